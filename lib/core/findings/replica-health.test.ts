import { describe, expect, it } from 'vitest';
import { contextOf, type Finding, type FindingCode, type Severity } from '../assessment';
import {
  NOW,
  buildTopology,
  prodSpec,
  withPeerLinks,
  withReplica,
  type TopologySpec,
} from '../testing/topology-builder';
import type { Topology } from '../topology';
import { replicaHealthRule } from './replica-health';

const B = 'prod-master-b01';
const C = 'prod-master-c02';
const D = 'prod-master-d03';

type Row = {
  name: string;
  topology: () => Topology;
  /** What the rule alone emits, in its order: [code, severity, subject]. */
  findings: [FindingCode, Severity, string | null][];
  check?: (findings: Finding[]) => void;
};

const build = (spec: TopologySpec) => () => buildTopology(spec);
/** Every node of `zone` NotReady: the second witness of a zone outage (failure.ts). */
const nodesDownIn = (t: Topology, zone: string): Topology => ({
  ...t,
  nodes: (t.nodes ?? []).map((n) => (n.zone === zone ? { ...n, ready: false } : n)),
});

const rows: Row[] = [
  { name: 'every replica healthy', topology: build(prodSpec()), findings: [] },
  {
    name: 'one of three stopped: critical, with a recovery',
    topology: build(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] })),
    findings: [['ReplicaUnhealthy', 'critical', C]],
    check: (f) => {
      expect(f[0]?.action).toEqual({ kind: 'recover', replica: C });
      expect(f[0]?.fix).toContain(`gcloud compute instances start ${C} --zone europe-west1-c`);
    },
  },
  {
    name: 'one of five stopped: a warning',
    topology: build(
      prodSpec({
        regionZones: ['europe-west1-b', 'europe-west1-c', 'europe-west1-d', 'europe-west1-e', 'europe-west1-f'],
        replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'e', vmStatus: 'STOPPED' }, { zone: 'f' }],
      }),
    ),
    findings: [['ReplicaUnhealthy', 'warning', 'prod-master-e04']],
  },
  {
    name: 'a time-out is unknown, never critical',
    topology: build(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout' }, { zone: 'd' }] })),
    findings: [['ReplicaUnhealthy', 'warning', C]],
    check: (f) => expect(f[0]?.message).toContain(`Replica ${C} did not answer in time`),
  },
  {
    name: 'a refusal next to a replica Quorum cannot get into, in replica order',
    topology: build(
      prodSpec({ replicas: [{ zone: 'b', etcd: 'refused' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] }),
    ),
    findings: [
      ['ReplicaUnhealthy', 'critical', B],
      ['NoAccess', 'warning', C],
    ],
    check: (f) => expect(f[1]?.action).toBeUndefined(),
  },
  {
    name: 'a zone down with its replica: the replica, then the zone',
    topology: () =>
      nodesDownIn(
        buildTopology(
          prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout', apiServer: 'timeout' }, { zone: 'd' }] }),
        ),
        'europe-west1-c',
      ),
    findings: [
      ['ReplicaUnhealthy', 'warning', C],
      ['ZoneUnreachable', 'critical', 'europe-west1-c'],
    ],
    check: (f) => {
      expect(f[0]?.failure).toBe('zone-unreachable');
      expect(f[1]?.action).toEqual({ kind: 'recover', replica: C });
    },
  },
  {
    name: 'a free zone down: only a warning that it cannot take a replica',
    topology: () =>
      nodesDownIn(
        buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b', name: 'prod-master-r2d' }, { zone: 'd' }] })),
        'europe-west1-c',
      ),
    findings: [['ZoneUnreachable', 'warning', 'europe-west1-c']],
  },
  {
    name: 'followers far behind the leader lag',
    topology: () =>
      withReplica(buildTopology(prodSpec()), B, (r) =>
        r.etcd.main.ok ? { ...r, etcd: { ...r.etcd, main: { ...r.etcd.main, raftIndex: 90_000 } } } : r,
      ),
    findings: [
      ['MemberLagging', 'warning', C],
      ['MemberLagging', 'warning', D],
    ],
  },
  {
    name: 'a follower cut off from the leader: unhealthy, but the network is the fix, not a recovery',
    topology: () =>
      withReplica(withPeerLinks(buildTopology(prodSpec()), [[B, C]]), C, (r) => ({
        ...r,
        etcd: { ...r.etcd, main: r.etcd.main.ok ? { ...r.etcd.main, leaderId: '0' } : r.etcd.main },
        apiServer: { ready: false, live: true },
      })),
    findings: [['ReplicaUnhealthy', 'critical', C]],
    check: (f) => {
      expect(f[0]?.action).toBeUndefined();
      expect(f[0]?.fix).toMatch(/^Do not replace/);
    },
  },
];

describe('replicaHealthRule', () => {
  it.each(rows)('$name', ({ topology, findings, check }) => {
    const out = replicaHealthRule.evaluate(contextOf(topology(), NOW));
    expect(out.map((f) => [f.code, f.severity, f.subject])).toEqual(findings);
    check?.(out);
  });
});
