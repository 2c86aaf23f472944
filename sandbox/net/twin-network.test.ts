// The refusal when the twin cannot run; the real namespaces are tested in twin-network.netns.test.ts.
import { describe, expect, it } from 'vitest';
import { TwinNetwork, twinPrerequisiteProblem } from './twin-network';

describe('twinPrerequisiteProblem', () => {
  it.each([
    [
      { uid: 1000, ipVersion: 'ip utility, iproute2-6.1.0', netnsError: undefined },
      /only root can make \(running as uid 1000\)/,
    ],
    [{ uid: undefined, ipVersion: undefined, netnsError: undefined }, /only root can make \(running as uid unknown\)/],
    [{ uid: 0, ipVersion: undefined, netnsError: undefined }, /`ip` was not found/],
    [
      { uid: 0, ipVersion: 'ip utility', netnsError: 'mount --make-shared /run/netns failed: Operation not permitted' },
      /could not make a network namespace \(`ip netns add`: mount --make-shared/,
    ],
    [
      {
        uid: 0,
        ipVersion: 'ip utility',
        netnsError: undefined,
        nftError: 'exec of "nft" failed: No such file or directory',
      },
      /firewall rules with nftables inside each VM, and `nft` failed in a namespace \(exec of "nft" failed/,
    ],
  ])('%j is refused', (probe, message) => {
    const problem = twinPrerequisiteProblem(probe);
    expect(problem).toMatch(message);
    expect(problem).toMatch(/as root on Linux with iproute2 and nftables installed.*no fallback/);
  });

  it('accepts root with ip and namespaces', () => {
    expect(twinPrerequisiteProblem({ uid: 0, ipVersion: 'ip utility', netnsError: undefined })).toBeUndefined();
  });

  it('refuses a net outside the plan before touching anything', () => {
    expect(() => new TwinNetwork({ net: 200 })).toThrow(/outside the twin's plan \(1-127\)/);
  });
});
