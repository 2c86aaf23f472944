import { describe, expect, it } from 'vitest';
import { MAX_FORWARDED_PORTS, forwardedPorts } from './network-view';

describe('forwardedPorts', () => {
  it.each([
    { portRange: '443-443', ports: [443] },
    { portRange: '443', ports: [443] },
    { portRange: '8080-8082', ports: [8080, 8081, 8082] },
    // No portRange: a target-pool rule forwards every port on GCE; the sandbox forwards the API server's.
    { portRange: undefined, ports: [6443] },
    { portRange: '', ports: [6443] },
    { portRange: '0-10', ports: [] },
    { portRange: '20-10', ports: [] },
    { portRange: 'https', ports: [] },
  ])('$portRange -> $ports', ({ portRange, ports }) => {
    expect(forwardedPorts(portRange, 6443)).toEqual(ports);
  });

  it(`opens at most ${MAX_FORWARDED_PORTS} listeners for a wide range`, () => {
    expect(forwardedPorts('1-65535', 443)).toHaveLength(MAX_FORWARDED_PORTS);
  });
});
