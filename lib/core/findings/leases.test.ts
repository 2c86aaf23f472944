import { describe, expect, it } from 'vitest';
import { contextOf, type Finding, type FindingCode, type Severity } from '../assessment';
import { NOW, buildTopology, leaseOf, prodSpec, type TopologySpec } from '../testing/topology-builder';
import { leasesRule } from './leases';

const B = 'prod-master-b01';
const C = 'prod-master-c02';

type Row = {
  name: string;
  spec: TopologySpec;
  /** What the rule alone emits, in its order: [code, severity, subject]. */
  findings: [FindingCode, Severity, string | null][];
  check?: (findings: Finding[]) => void;
};

const rows: Row[] = [
  { name: 'every lease held and fresh', spec: prodSpec(), findings: [] },
  {
    name: 'a lease nobody renewed',
    spec: prodSpec({
      leases: [
        leaseOf('kube-controller-manager', B),
        leaseOf('kube-scheduler', C, { renewedSecondsAgo: 60 }),
        leaseOf('cluster-autoscaler', B),
      ],
    }),
    findings: [['LeaseWithoutHolder', 'warning', 'kube-scheduler']],
    check: (f) => expect(f[0]?.message).toContain(`held by ${C} expired 45s ago`),
  },
  {
    name: 'leases absent or empty: the optional autoscaler is only info',
    spec: prodSpec({ leases: [leaseOf('kube-scheduler', '')] }),
    findings: [
      ['LeaseWithoutHolder', 'warning', 'kube-controller-manager'],
      ['LeaseWithoutHolder', 'warning', 'kube-scheduler'],
      ['LeaseWithoutHolder', 'info', 'cluster-autoscaler'],
    ],
    check: (f) => expect(f[1]?.message).toContain('has no holder'),
  },
  {
    name: 'held by a stopped replica, and by a VM of another cluster',
    spec: prodSpec({
      replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }],
      leases: [
        leaseOf('kube-controller-manager', C),
        leaseOf('kube-scheduler', B),
        leaseOf('cluster-autoscaler', 'other-master-a1b'),
      ],
    }),
    findings: [
      ['LeaseWithoutHolder', 'warning', 'kube-controller-manager'],
      ['LeaseWithoutHolder', 'warning', 'cluster-autoscaler'],
    ],
    check: (f) => {
      expect(f[0]?.message).toContain(`held by ${C}, which is STOPPED`);
      expect(f[1]?.message).toContain('not a replica of this cluster');
    },
  },
  { name: 'no lease observed says nothing', spec: prodSpec({ leases: null }), findings: [] },
];

describe('leasesRule', () => {
  it.each(rows)('$name', ({ spec, findings, check }) => {
    const out = leasesRule.evaluate(contextOf(buildTopology(spec), NOW));
    expect(out.map((f) => [f.code, f.severity, f.subject])).toEqual(findings);
    check?.(out);
  });
});
