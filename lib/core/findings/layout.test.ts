import { describe, expect, it } from 'vitest';
import { contextOf, type Finding, type FindingCode, type Severity } from '../assessment';
import { NOW, buildTopology, prodSpec, stagingSpec, type TopologySpec } from '../testing/topology-builder';
import { layoutRule } from './layout';

type Row = {
  name: string;
  spec: TopologySpec;
  /** What the rule alone emits, in its order: [code, severity, subject]. */
  findings: [FindingCode, Severity, string | null][];
  check?: (findings: Finding[]) => void;
};

const rows: Row[] = [
  { name: 'three replicas in three zones', spec: prodSpec(), findings: [] },
  {
    name: 'a member without a VM is no voter of the placement (MemberWithoutVm says so)',
    spec: prodSpec({ extraMembers: [{ name: 'etcd-prod-master-x9z' }] }),
    findings: [],
  },
  {
    name: 'two replicas',
    spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }] }),
    findings: [['TwoReplicaLayout', 'critical', null]],
    check: (f) => expect(f[0]?.fix).toContain('Add a replica in europe-west1-d'),
  },
  {
    name: 'a replica outside the region',
    spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'us-east1-b' }] }),
    findings: [['ZoneOutsideRegion', 'critical', 'prod-master-b03']],
  },
  {
    name: 'four replicas as 2+1+1, no free zone: remove one',
    spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'd' }] }),
    findings: [
      ['ZoneHoldsQuorum', 'critical', 'europe-west1-b'],
      ['EvenReplicaCount', 'warning', null],
    ],
    check: (f) => expect(f[0]?.fix).toContain('Remove one replica in europe-west1-b'),
  },
  {
    name: 'four replicas as 2+1+1 with a free zone: rebalance into it',
    spec: stagingSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'f' }] }),
    findings: [
      ['ZoneHoldsQuorum', 'critical', 'us-central1-b'],
      ['EvenReplicaCount', 'warning', null],
      ['ZoneShared', 'warning', 'us-central1-b'],
    ],
    check: (f) => {
      expect(f[0]?.action).toEqual({ kind: 'rebalance', zone: 'us-central1-a' });
      expect(f[2]?.action).toEqual({ kind: 'rebalance', zone: 'us-central1-a' });
    },
  },
  {
    name: 'three replicas in one zone',
    spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'b' }] }),
    findings: [
      ['ZoneHoldsQuorum', 'critical', 'europe-west1-b'],
      ['ZoneShared', 'warning', 'europe-west1-b'],
    ],
    check: (f) =>
      expect(f[1]?.fix).toContain('Move 2 replicas from europe-west1-b to europe-west1-c and europe-west1-d'),
  },
];

describe('layoutRule', () => {
  it.each(rows)('$name', ({ spec, findings, check }) => {
    const out = layoutRule.evaluate(contextOf(buildTopology(spec), NOW));
    expect(out.map((f) => [f.code, f.severity, f.subject])).toEqual(findings);
    check?.(out);
  });
});
