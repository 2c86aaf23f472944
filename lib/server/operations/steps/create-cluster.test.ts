import { describe, expect, it } from 'vitest';
import type { FirewallInfo } from '@/lib/ports/compute';
import { firewallMismatch, masterFirewallRules } from './create-cluster';

const [etcd, https] = masterFirewallRules('blue-master');
const asCreated = (spec: typeof etcd): FirewallInfo => {
  if (!spec) throw new Error('no rule');
  return { network: 'default', ...spec };
};

describe('masterFirewallRules', () => {
  it("are kube-up's: etcd peer ports between master tags, 443 to masters from anywhere", () => {
    expect(etcd).toMatchObject({
      name: 'blue-master-etcd',
      sourceTags: ['blue-master'],
      targetTags: ['blue-master'],
      allowed: [{ protocol: 'tcp', ports: ['2380', '2381'] }],
    });
    expect(https).toMatchObject({
      name: 'blue-master-https',
      sourceRanges: ['0.0.0.0/0'],
      targetTags: ['blue-master'],
      allowed: [{ protocol: 'tcp', ports: ['443'] }],
    });
  });
});

describe('firewallMismatch', () => {
  const want = etcd ?? masterFirewallRules('x')[0];
  if (!want) throw new Error('no rule');
  it.each<{ name: string; have: FirewallInfo; says: RegExp | null }>([
    { name: 'the same rule', have: asCreated(want), says: null },
    {
      name: 'ports and tags in another order, protocol in capitals',
      have: { ...asCreated(want), allowed: [{ protocol: 'TCP', ports: ['2381', '2380'] }] },
      says: null,
    },
    {
      name: 'other ports',
      have: { ...asCreated(want), allowed: [{ protocol: 'tcp', ports: ['2380'] }] },
      says: /allows tcp:2380 instead of tcp:2380,2381/,
    },
    {
      name: 'other target tags',
      have: { ...asCreated(want), targetTags: ['green-master'] },
      says: /target tags \[green-master\] instead of \[blue-master\]/,
    },
    {
      name: 'open to the world',
      have: { ...asCreated(want), sourceRanges: ['0.0.0.0/0'] },
      says: /source ranges \[0.0.0.0\/0\] instead of \[\]/,
    },
    { name: 'another network', have: { ...asCreated(want), network: 'vpc-2' }, says: /network vpc-2/ },
  ])('$name', ({ have, says }) => {
    const result = firewallMismatch(want, have);
    if (says === null) expect(result).toBeNull();
    else expect(result).toMatch(says);
  });
});
