import { describe, expect, it } from 'vitest';
import { contextOf, FINDING_CODES, type FindingCode } from '../assessment';
import {
  NOW,
  buildTopology,
  leaseOf,
  prodSpec,
  stagingSpec,
  withPeerLinks,
  withReplica,
} from '../testing/topology-builder';
import type { Topology } from '../topology';
import { FINDING_RULES } from './index';

const B = 'prod-master-b01';
const C = 'prod-master-c02';
const D = 'prod-master-d03';
const prod = () => buildTopology(prodSpec());

/** Between them these make every rule emit every code it declares (checked below). */
const samples: Topology[] = [
  prod(),
  buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] })),
  buildTopology(
    prodSpec({ replicas: [{ zone: 'b', etcd: 'refused' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] }),
  ),
  buildTopology(
    prodSpec({
      replicas: [
        { zone: 'b', etcd: 'refused' },
        { zone: 'c', etcd: 'refused' },
        { zone: 'd', etcd: 'refused' },
      ],
    }),
  ),
  {
    ...buildTopology(
      prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout', apiServer: 'timeout' }, { zone: 'd' }] }),
    ),
    nodes: (prod().nodes ?? []).map((n) => ({ ...n, ready: n.zone !== 'europe-west1-c' })),
  },
  withReplica(prod(), B, (r) =>
    r.etcd.main.ok ? { ...r, etcd: { ...r.etcd, main: { ...r.etcd.main, raftIndex: 90_000 } } } : r,
  ),
  buildTopology(
    prodSpec({
      replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd', memberOf: ['main'] }, { zone: 'b', learner: true }],
      extraMembers: [{ name: 'etcd-prod-master-x9z' }],
    }),
  ),
  buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'us-east1-c' }] })),
  buildTopology(stagingSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'f' }] })),
  buildTopology(prodSpec({ loadBalancer: false, leases: [leaseOf('kube-scheduler', '')] })),
  buildTopology(prodSpec({ staticAddress: { onReplica: B } })),
  buildTopology(stagingSpec()),
  withPeerLinks(prod(), [[C, D]]),
  withPeerLinks(
    buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'c' }, { zone: 'd' }] })),
    [['prod-master-b01', 'prod-master-c03']],
  ),
];

describe('FINDING_RULES', () => {
  it.each([...FINDING_CODES])('%s is claimed by exactly one rule', (code) => {
    expect(FINDING_RULES.filter((r) => r.codes.includes(code)).map((r) => r.name)).toHaveLength(1);
  });

  it('claims no code twice within a rule, and none outside FINDING_CODES', () => {
    for (const rule of FINDING_RULES) {
      expect(new Set(rule.codes).size, rule.name).toBe(rule.codes.length);
      for (const code of rule.codes) expect(FINDING_CODES, rule.name).toContain(code);
    }
  });

  it('has unique rule names', () => {
    const names = FINDING_RULES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(FINDING_RULES.map((rule) => [rule.name, rule] as const))(
    '%s emits exactly the codes it declares, over the samples',
    (_, rule) => {
      const emitted = new Set<FindingCode>();
      for (const t of samples) for (const f of rule.evaluate(contextOf(t, NOW))) emitted.add(f.code);
      expect([...emitted].sort()).toEqual([...rule.codes].sort());
    },
  );
});
