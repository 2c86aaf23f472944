import { describe, expect, it } from 'vitest';
import { contextOf, type Finding, type FindingCode, type Severity } from '../assessment';
import { NOW, buildTopology, prodSpec, type TopologySpec } from '../testing/topology-builder';
import { membershipRule } from './membership';

const D = 'prod-master-d03';

type Row = {
  name: string;
  spec: TopologySpec;
  /** What the rule alone emits, in its order: [code, severity, subject]. */
  findings: [FindingCode, Severity, string | null][];
  check?: (findings: Finding[]) => void;
};

const rows: Row[] = [
  { name: 'every replica a voter of both clusters', spec: prodSpec(), findings: [] },
  {
    name: 'a member no VM backs, in both clusters: one finding',
    spec: prodSpec({ extraMembers: [{ name: 'etcd-prod-master-x9z' }] }),
    findings: [['MemberWithoutVm', 'critical', 'etcd-prod-master-x9z']],
    check: (f) => expect(f[0]?.message).toContain('(main and events)'),
  },
  {
    name: 'a replica that is a member of neither cluster',
    spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'd', memberOf: [] }] }),
    findings: [['VmWithoutMember', 'warning', 'prod-master-d04']],
  },
  {
    name: 'main and events list different members',
    spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd', memberOf: ['main'] }] }),
    findings: [
      ['VmWithoutMember', 'warning', D],
      ['MembershipMismatch', 'warning', null],
    ],
    check: (f) => {
      expect(f[0]?.message).toContain('no member of etcd events');
      expect(f[1]?.message).toContain(`only in main: ${D}`);
    },
  },
  {
    name: 'a learner catching up',
    spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b', learner: true }] }),
    findings: [['LearnerPresent', 'info', 'prod-master-b04']],
  },
  {
    name: 'a learner whose replica does not answer is stranded',
    spec: prodSpec({
      replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b', learner: true, etcd: 'refused' }],
    }),
    findings: [['LearnerPresent', 'warning', 'prod-master-b04']],
    check: (f) => expect(f[0]?.message).toContain('whose replica does not answer'),
  },
  {
    name: 'a learner added but never started (no VM)',
    spec: prodSpec({ extraMembers: [{ name: '', isLearner: true, peerHost: '10.0.0.50' }] }),
    findings: [['LearnerPresent', 'warning', '10.0.0.50']],
  },
];

describe('membershipRule', () => {
  it.each(rows)('$name', ({ spec, findings, check }) => {
    const out = membershipRule.evaluate(contextOf(buildTopology(spec), NOW));
    expect(out.map((f) => [f.code, f.severity, f.subject])).toEqual(findings);
    check?.(out);
  });
});
