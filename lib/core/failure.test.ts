import { describe, expect, it } from 'vitest';
import { assessTopology } from './assessment';
import {
  diagnoseCluster,
  trackFailureSince,
  zoneSubject,
  LAG_ENTRIES,
  type ClusterDiagnosis,
  type FailureClass,
} from './failure';
import { NOW, buildTopology, prodSpec, withReplica } from './testing/topology-builder';
import type { Topology } from './topology';

const B = 'prod-master-b01';
const C = 'prod-master-c02';
const D = 'prod-master-d03';

/** prod with every node of europe-west1-c NotReady, as the node lifecycle controller marks a lost zone's nodes. */
const nodesDownIn = (t: Topology, zone: string): Topology => ({
  ...t,
  nodes: (t.nodes ?? []).map((n) => (n.zone === zone ? { ...n, ready: false } : n)),
});

/** Replica `name`'s etcd `cluster` status with another raft index. */
const atIndex = (t: Topology, name: string, cluster: 'main' | 'events', raftIndex: number): Topology =>
  withReplica(t, name, (r) => {
    const s = r.etcd[cluster];
    return s.ok ? { ...r, etcd: { ...r.etcd, [cluster]: { ...s, raftIndex } } } : r;
  });

type Row = {
  name: string;
  topology: () => Topology;
  /** Per replica: the class of each failure found (one per probe), primary first ([] = healthy). */
  classes: Record<string, FailureClass[]>;
  zonesUnreachable?: string[];
  /** Substrings of the primary failure's evidence, per replica. */
  evidence?: Record<string, string[]>;
};

const rows: Row[] = [
  { name: 'healthy prod', topology: () => buildTopology(prodSpec()), classes: { [B]: [], [C]: [], [D]: [] } },
  {
    name: 'VM stopped: Compute is the evidence, probes are not second-guessed',
    topology: () =>
      buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'TERMINATED' }, { zone: 'd' }] })),
    classes: { [B]: [], [C]: ['vm-stopped'], [D]: [] },
    evidence: { [C]: ['TERMINATED'] },
  },
  {
    name: 'VM stopping counts as stopped',
    topology: () => withReplica(buildTopology(prodSpec()), C, { vmStatus: 'STOPPING' }),
    classes: { [B]: [], [C]: ['vm-stopped'], [D]: [] },
  },
  {
    name: 'etcd main killed: connection refused, and the API server that needs it not ready',
    topology: () =>
      buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', main: 'refused' }, { zone: 'd' }] })),
    classes: { [B]: [], [C]: ['etcd-unreachable', 'apiserver-not-ready'], [D]: [] },
    evidence: { [C]: ['etcd main', '10.0.0.3:2379', 'ECONNREFUSED'] },
  },
  {
    name: 'etcd events killed: the API server stays ready',
    topology: () =>
      buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', events: 'refused' }, { zone: 'd' }] })),
    classes: { [B]: [], [C]: ['etcd-unreachable'], [D]: [] },
    evidence: { [C]: ['etcd events', '10.0.0.3:4002'] },
  },
  {
    name: 'etcd frozen: a time-out, not a refusal',
    topology: () =>
      buildTopology(
        prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', main: 'timeout', apiServer: 'not-ready' }, { zone: 'd' }] }),
      ),
    classes: { [B]: [], [C]: ['etcd-frozen', 'apiserver-not-ready'], [D]: [] },
    evidence: { [C]: ['timeout'] },
  },
  {
    name: 'one refused and one timed out: refused wins (the host answered)',
    topology: () =>
      buildTopology(
        prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', main: 'refused', events: 'timeout' }, { zone: 'd' }] }),
      ),
    classes: { [B]: [], [C]: ['etcd-unreachable', 'etcd-frozen', 'apiserver-not-ready'], [D]: [] },
  },
  {
    name: 'no SSH access to a replica is no evidence of a failure',
    topology: () =>
      buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] })),
    classes: { [B]: [], [C]: [], [D]: [] },
    zonesUnreachable: [],
  },
  {
    name: 'no SSH access to every replica of a zone whose nodes are NotReady: still no zone outage from the probes',
    topology: () =>
      nodesDownIn(
        buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] })),
        'europe-west1-c',
      ),
    classes: { [B]: [], [C]: [], [D]: [] },
    zonesUnreachable: [],
  },
  {
    name: 'port 22 silent on every replica of a zone whose nodes are NotReady: a zone outage (a real partition)',
    topology: () =>
      nodesDownIn(
        buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'ssh-silent' }, { zone: 'd' }] })),
        'europe-west1-c',
      ),
    classes: { [B]: [], [C]: ['zone-unreachable'], [D]: [] },
    zonesUnreachable: ['europe-west1-c'],
  },
  {
    name: 'port 22 silent on one replica, nodes Ready: Quorum cannot get in, no evidence of a failure',
    topology: () =>
      buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'ssh-silent' }, { zone: 'd' }] })),
    classes: { [B]: [], [C]: [], [D]: [] },
    zonesUnreachable: [],
  },
  {
    name: 'a whole replica frozen, alone in its zone, nodes Ready: frozen, not a zone outage',
    topology: () =>
      buildTopology(
        prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout', apiServer: 'timeout' }, { zone: 'd' }] }),
      ),
    classes: { [B]: [], [C]: ['etcd-frozen', 'etcd-frozen', 'apiserver-not-ready'], [D]: [] },
    zonesUnreachable: [],
  },
  {
    name: 'zone down: its only replica silent and its nodes NotReady',
    topology: () =>
      nodesDownIn(
        buildTopology(
          prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout', apiServer: 'timeout' }, { zone: 'd' }] }),
        ),
        'europe-west1-c',
      ),
    classes: { [B]: [], [C]: ['zone-unreachable', 'etcd-frozen', 'etcd-frozen', 'apiserver-not-ready'], [D]: [] },
    zonesUnreachable: ['europe-west1-c'],
    evidence: { [C]: ['its replica answered nothing', '1 of its 1 nodes are not Ready'] },
  },
  {
    name: 'two silent replicas in one zone make a zone outage without node evidence',
    topology: () =>
      buildTopology(
        prodSpec({
          replicas: [
            { zone: 'b' },
            { zone: 'c', etcd: 'timeout', apiServer: 'timeout' },
            { zone: 'c', etcd: 'timeout', apiServer: 'timeout' },
            { zone: 'd' },
            { zone: 'd' },
          ],
        }),
      ),
    classes: {
      [B]: [],
      'prod-master-c02': ['zone-unreachable', 'etcd-frozen', 'etcd-frozen', 'apiserver-not-ready'],
      'prod-master-c03': ['zone-unreachable', 'etcd-frozen', 'etcd-frozen', 'apiserver-not-ready'],
      'prod-master-d04': [],
      'prod-master-d05': [],
    },
    zonesUnreachable: ['europe-west1-c'],
  },
  {
    name: 'nodes NotReady but the replica answers a refusal: no zone outage (the host is reachable)',
    topology: () =>
      nodesDownIn(
        buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'refused' }, { zone: 'd' }] })),
        'europe-west1-c',
      ),
    classes: { [B]: [], [C]: ['etcd-unreachable', 'etcd-unreachable', 'apiserver-not-ready'], [D]: [] },
    zonesUnreachable: [],
  },
  {
    name: 'a zone whose replica is stopped is not "unreachable"',
    topology: () =>
      nodesDownIn(
        buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'TERMINATED' }, { zone: 'd' }] })),
        'europe-west1-c',
      ),
    classes: { [B]: [], [C]: ['vm-stopped'], [D]: [] },
    zonesUnreachable: [],
  },
  {
    name: `a follower more than ${LAG_ENTRIES} entries behind the leader is lagging`,
    topology: () => atIndex(atIndex(buildTopology(prodSpec()), B, 'main', 50_000), D, 'main', 50_000 - LAG_ENTRIES - 1),
    classes: { [B]: [], [C]: ['member-lagging'], [D]: ['member-lagging'] },
    evidence: { [D]: ['raft index 48999', `leader ${B} at 50000`, '1001 entries behind'] },
  },
  {
    name: `exactly ${LAG_ENTRIES} behind is not lagging`,
    topology: () => atIndex(buildTopology(prodSpec()), B, 'main', 1000 + LAG_ENTRIES),
    classes: { [B]: [], [C]: [], [D]: [] },
  },
  {
    name: 'a learner catching up is not lagging (LearnerPresent says so)',
    topology: () =>
      atIndex(
        buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd', learner: true }] })),
        B,
        'main',
        90_000,
      ),
    classes: { [B]: [], [C]: ['member-lagging'], [D]: [] },
  },
  {
    name: 'API server not ready on its own',
    topology: () =>
      buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', apiServer: 'not-ready' }, { zone: 'd' }] })),
    classes: { [B]: [], [C]: ['apiserver-not-ready'], [D]: [] },
    evidence: { [C]: ['/readyz: not ready (livez ok)'] },
  },
];

const classesOf = (d: ClusterDiagnosis, name: string) => d.replicas[name]?.failures.map((f) => f.class) ?? [];

describe('diagnoseCluster', () => {
  it.each(rows)('$name', (row) => {
    const d = diagnoseCluster(row.topology());
    for (const [name, classes] of Object.entries(row.classes)) {
      expect(classesOf(d, name), name).toEqual(classes);
      expect(d.replicas[name]?.primary, name).toBe(classes[0] ?? null);
    }
    if (row.zonesUnreachable) expect(d.zonesUnreachable.map((z) => z.zone)).toEqual(row.zonesUnreachable);
    for (const [name, parts] of Object.entries(row.evidence ?? {})) {
      const first = d.replicas[name]?.failures[0];
      const text = `${first?.source ?? ''} ${first?.detail ?? ''}`;
      for (const part of parts) expect(text, name).toContain(part);
    }
  });
});

describe('findings carry the class', () => {
  it('ReplicaUnhealthy names the class and the zone outage has its own finding', () => {
    const t = nodesDownIn(
      buildTopology(
        prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout', apiServer: 'timeout' }, { zone: 'd' }] }),
      ),
      'europe-west1-c',
    );
    const a = assessTopology(t, NOW);
    const replica = a.findings.find((f) => f.code === 'ReplicaUnhealthy' && f.subject === C);
    expect(replica?.failure).toBe('zone-unreachable');
    expect(replica?.message).toContain('zone unreachable');
    const zone = a.findings.find((f) => f.code === 'ZoneUnreachable');
    expect(zone).toMatchObject({ severity: 'critical', subject: 'europe-west1-c', failure: 'zone-unreachable' });
    expect(zone?.message).toContain('1 of its 1 nodes are not Ready');
    expect(zone?.fix).toContain('europe-west1-b and europe-west1-d');
  });

  it('a lagging but otherwise healthy member is a warning of its own', () => {
    const a = assessTopology(atIndex(buildTopology(prodSpec()), B, 'main', 90_000), NOW);
    expect(a.replicaHealth[C]).toBe('healthy');
    expect(a.findings.filter((f) => f.code === 'MemberLagging').map((f) => [f.subject, f.severity])).toEqual([
      [C, 'warning'],
      [D, 'warning'],
    ]);
  });
});

describe('trackFailureSince', () => {
  const healthy = buildTopology(prodSpec());
  const killed = buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', main: 'refused' }, { zone: 'd' }] }));
  const frozenZone = nodesDownIn(
    buildTopology(
      prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout', apiServer: 'timeout' }, { zone: 'd' }] }),
    ),
    'europe-west1-c',
  );
  const T = (s: number) => new Date(Date.UTC(2026, 0, 10, 12, 0, s)).toISOString();

  it.each([
    {
      name: 'a class keeps the time it was first seen',
      steps: [healthy, killed, killed],
      expected: { [C]: { 'etcd-unreachable': T(1), 'apiserver-not-ready': T(1) } },
    },
    { name: 'a class that cleared is dropped', steps: [killed, healthy], expected: {} },
    {
      name: 'a class that comes back starts again',
      steps: [killed, healthy, killed],
      expected: { [C]: { 'etcd-unreachable': T(2), 'apiserver-not-ready': T(2) } },
    },
    {
      name: 'a new class on a failed replica starts at its own time; the zone is tracked too',
      steps: [killed, frozenZone],
      expected: {
        [C]: { 'zone-unreachable': T(1), 'etcd-frozen': T(1), 'apiserver-not-ready': T(0) },
        [zoneSubject('europe-west1-c')]: { 'zone-unreachable': T(1) },
      },
    },
  ])('$name', ({ steps, expected }) => {
    const since = steps.reduce((prev, t, i) => trackFailureSince(prev, diagnoseCluster(t), T(i)), {});
    expect(since).toEqual(expected);
  });
});
