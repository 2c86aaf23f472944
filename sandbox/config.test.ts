import { describe, expect, it } from 'vitest';
import { loadSandboxConfig } from './config';

describe('SANDBOX_NET', () => {
  // The nets today's callers use: default, integration, e2e, system, bench, bench add-replica and
  // write-safety, and the emulator/load-balancer unit tests.
  it.each([10, 20, 30, 36, 50, 60, 63, 77, 1, 127])('accepts %i', (net) => {
    expect(loadSandboxConfig({ SANDBOX_NET: String(net) }, '/tmp').net).toBe(net);
  });

  it.each(['0', '128', '254', '10.5'])('refuses %s: the twin has a /22 of 198.18.0.0/15 for nets 1-127 only', (net) => {
    expect(() => loadSandboxConfig({ SANDBOX_NET: net }, '/tmp')).toThrow(/SANDBOX_NET/);
  });
});
