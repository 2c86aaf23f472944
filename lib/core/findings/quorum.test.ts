import { describe, expect, it } from 'vitest';
import { contextOf, type Finding, type FindingCode, type Severity } from '../assessment';
import { NOW, buildTopology, prodSpec } from '../testing/topology-builder';
import type { Topology } from '../topology';
import { quorumRule } from './quorum';

const C = 'prod-master-c02';
const D = 'prod-master-d03';

type Row = {
  name: string;
  topology: () => Topology;
  /** What the rule alone emits, in its order: [code, severity, subject]. */
  findings: [FindingCode, Severity, string | null][];
  check?: (findings: Finding[]) => void;
};

const rows: Row[] = [
  { name: 'healthy prod: nothing', topology: () => buildTopology(prodSpec()), findings: [] },
  {
    name: 'two of three stopped: quorum lost in main and in events, bring the stopped ones back',
    topology: () =>
      buildTopology(
        prodSpec({
          replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd', vmStatus: 'TERMINATED' }],
        }),
      ),
    findings: [
      ['QuorumLost', 'critical', 'etcd main'],
      ['QuorumLost', 'critical', 'etcd events'],
    ],
    check: (f) => expect(f[0]?.fix).toContain(`Bring back ${C} and ${D}`),
  },
  {
    name: 'every member silent: unreachable as a warning, quorum not called lost on silence',
    topology: () =>
      buildTopology(
        prodSpec({
          replicas: [
            { zone: 'b', etcd: 'timeout' },
            { zone: 'c', etcd: 'timeout' },
            { zone: 'd', etcd: 'timeout' },
          ],
        }),
      ),
    findings: [
      ['EtcdUnreachable', 'warning', 'etcd main'],
      ['EtcdUnreachable', 'warning', 'etcd events'],
    ],
    check: (f) => expect(f[1]?.fix).toContain('client port 4002'),
  },
  {
    name: 'every member refuses on running VMs: unreachable and lost, cluster by cluster',
    topology: () =>
      buildTopology(
        prodSpec({
          replicas: [
            { zone: 'b', etcd: 'refused' },
            { zone: 'c', etcd: 'refused' },
            { zone: 'd', etcd: 'refused' },
          ],
        }),
      ),
    findings: [
      ['EtcdUnreachable', 'critical', 'etcd main'],
      ['QuorumLost', 'critical', 'etcd main'],
      ['EtcdUnreachable', 'critical', 'etcd events'],
      ['QuorumLost', 'critical', 'etcd events'],
    ],
  },
  {
    name: 'no SSH access to any replica: nothing here, the NoAccess findings say what to fix',
    topology: () =>
      buildTopology(
        prodSpec({
          replicas: [
            { zone: 'b', etcd: 'noaccess' },
            { zone: 'c', etcd: 'noaccess' },
            { zone: 'd', etcd: 'noaccess' },
          ],
        }),
      ),
    findings: [],
  },
  {
    name: 'no replica left: no voting member in either cluster',
    topology: () => ({
      ...buildTopology(prodSpec()),
      replicas: [],
      etcd: { main: { members: null, error: 'no endpoint' }, events: { members: null, error: 'no endpoint' } },
    }),
    findings: [
      ['QuorumLost', 'critical', 'etcd main'],
      ['QuorumLost', 'critical', 'etcd events'],
    ],
    check: (f) => expect(f[0]?.message).toContain('no voting member left'),
  },
];

describe('quorumRule', () => {
  it.each(rows)('$name', ({ topology, findings, check }) => {
    const out = quorumRule.evaluate(contextOf(topology(), NOW));
    expect(out.map((f) => [f.code, f.severity, f.subject])).toEqual(findings);
    check?.(out);
  });
});
