// Clusters that between them make the finding rules say every sentence they have: every code, and every variant of
// its message and fix (the rules' table tests' clusters, and one for each branch they do not reach). For tests that
// check how findings are worded, such as tests/unit/findings-catalog.test.ts.
import { contextOf, noAccessFinding, type RuleFinding } from '../assessment';
import { FINDING_RULES } from '../findings';
import { noAccessError } from '../probe-errors';
import { reachWhyText } from '../reach-why';
import type { Topology, VmStatus } from '../topology';
import {
  NOW,
  buildTopology,
  leaseOf,
  prodSpec,
  stagingSpec,
  withPeerLinks,
  withReplica,
  type ReplicaSpec,
  type TopologySpec,
} from './topology-builder';

export type FindingCase = { name: string; findings: () => RuleFinding[] };

const B = 'prod-master-b01';
const C = 'prod-master-c02';
const D = 'prod-master-d03';

/** What every rule finds in `t`, in FINDING_RULES order. */
export function ruleFindingsOf(t: Topology): RuleFinding[] {
  const ctx = contextOf(t, NOW);
  return FINDING_RULES.flatMap((rule) => rule.evaluate(ctx));
}

const cluster = (name: string, topology: () => Topology): FindingCase => ({
  name,
  findings: () => ruleFindingsOf(topology()),
});
const spec = (name: string, s: TopologySpec): FindingCase => cluster(name, () => buildTopology(s));

const prod = () => buildTopology(prodSpec());
const five = () =>
  buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'c' }, { zone: 'd' }] }));
const zones = (...letters: string[]) => letters.map((l) => `europe-west1-${l}`);
/** `n` healthy replicas over b, c, d, e, f, g, h (one zone each), `patch` applied to the last. */
const spread = (n: number, patch: Partial<ReplicaSpec> = {}): TopologySpec =>
  prodSpec({
    regionZones: zones('b', 'c', 'd', 'e', 'f', 'g', 'h'),
    replicas: ['b', 'c', 'd', 'e', 'f', 'g', 'h']
      .slice(0, n)
      .map((zone, i) => (i === n - 1 ? { zone, ...patch } : { zone })),
  });
const nodesDownIn = (t: Topology, zone: string): Topology => ({
  ...t,
  nodes: (t.nodes ?? []).map((n) => (n.zone === zone ? { ...n, ready: false } : n)),
});
const outOfPool = (t: Topology, name: string): Topology => ({
  ...t,
  targetPool: t.targetPool && { ...t.targetPool, instances: t.targetPool.instances.filter((i) => !i.endsWith(name)) },
});
/** Every probe of `name` refused by Quorum's own SSH access, with `error`. */
const noAccessOn = (t: Topology, name: string, error: string): Topology =>
  withReplica(t, name, (r) => ({
    ...r,
    etcd: { main: { ok: false, error }, events: { ok: false, error } },
    apiServer: { ready: null, live: null, error },
  }));
/** Cut pairs of five(), by the replicas' suffixes: `['b01', 'c03']`. */
const cutsIn = (...pairs: Array<[string, string]>) =>
  pairs.map(([a, b]) => [`prod-master-${a}`, `prod-master-${b}`] as const);
const lagging = (t: Topology) =>
  withReplica(t, B, (r) =>
    r.etcd.main.ok ? { ...r, etcd: { ...r.etcd, main: { ...r.etcd.main, raftIndex: 90_000 } } } : r,
  );
const timeout = { etcd: 'timeout', apiServer: 'timeout' } as const;
const pinned = `SHA256:${'p'.repeat(43)}`;
const presented = `SHA256:${'n'.repeat(43)}`;
const WAITING: readonly VmStatus[] = [
  'PENDING',
  'PROVISIONING',
  'STAGING',
  'STOPPING',
  'DEPROVISIONING',
  'SUSPENDING',
  'REPAIRING',
  'UNKNOWN',
];

export const FINDING_CASES: readonly FindingCase[] = [
  // Quorum
  spec(
    'two of three stopped',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd', vmStatus: 'TERMINATED' }] }),
  ),
  spec(
    'every member silent',
    prodSpec({
      replicas: [
        { zone: 'b', ...timeout },
        { zone: 'c', ...timeout },
        { zone: 'd', ...timeout },
      ],
    }),
  ),
  spec(
    'every member refuses',
    prodSpec({
      replicas: [
        { zone: 'b', etcd: 'refused' },
        { zone: 'c', etcd: 'refused' },
        { zone: 'd', etcd: 'refused' },
      ],
    }),
  ),
  cluster('no replica left', () => ({
    ...prod(),
    replicas: [],
    etcd: { main: { members: null, error: 'no endpoint' }, events: { members: null, error: 'no endpoint' } },
  })),
  spec('one replica, refusing', stagingSpec({ replicas: [{ zone: 'b', etcd: 'refused' }] })),
  spec(
    'quorum lost to members without a VM',
    prodSpec({ replicas: [{ zone: 'b' }], extraMembers: [{ name: 'etcd-x1' }, { name: 'etcd-x2' }] }),
  ),
  // Replica health
  spec(
    'one of three stopped',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] }),
  ),
  spec(
    'one of three suspended',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'SUSPENDED' }, { zone: 'd' }] }),
  ),
  ...WAITING.map((vmStatus) =>
    spec(`one of three ${vmStatus}`, prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus }, { zone: 'd' }] })),
  ),
  spec('one of five stopped', spread(5, { vmStatus: 'STOPPED' })),
  spec('one of seven stopped', spread(7, { vmStatus: 'STOPPED' })),
  spec('a time-out', prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout' }, { zone: 'd' }] })),
  spec(
    'an API server not ready',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', apiServer: 'not-ready' }, { zone: 'd' }] }),
  ),
  spec(
    'an API server too slow',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', apiServer: 'timeout' }, { zone: 'd' }] }),
  ),
  spec(
    'an API server refusing',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', apiServer: 'refused' }, { zone: 'd' }] }),
  ),
  spec(
    'not ready, late and no access at once',
    prodSpec({
      replicas: [
        { zone: 'b' },
        { zone: 'c', main: 'timeout', events: 'noaccess', apiServer: 'not-ready' },
        { zone: 'd' },
      ],
    }),
  ),
  spec(
    'a refusal next to no access',
    prodSpec({ replicas: [{ zone: 'b', etcd: 'refused' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] }),
  ),
  cluster('a zone down with its replica', () =>
    nodesDownIn(
      buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', ...timeout }, { zone: 'd' }] })),
      'europe-west1-c',
    ),
  ),
  cluster('a zone down with its two replicas, nodes unknown', () => ({
    ...buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', ...timeout }, { zone: 'c', ...timeout }] })),
    nodes: null,
  })),
  spec(
    'a zone down with two of five',
    prodSpec({
      replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c', ...timeout }, { zone: 'c', ...timeout }, { zone: 'd' }],
    }),
  ),
  cluster('a zone of five down with its replica', () =>
    nodesDownIn(buildTopology(spread(5, timeout)), 'europe-west1-f'),
  ),
  cluster('a zone of seven down with its replica', () =>
    nodesDownIn(buildTopology(spread(7, timeout)), 'europe-west1-h'),
  ),
  cluster('the only zone of the region down', () =>
    nodesDownIn(
      buildTopology(prodSpec({ regionZones: zones('c'), replicas: [{ zone: 'c', ...timeout }] })),
      'europe-west1-c',
    ),
  ),
  cluster('a free zone down', () =>
    nodesDownIn(
      buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b', name: 'prod-master-r2d' }, { zone: 'd' }] })),
      'europe-west1-c',
    ),
  ),
  cluster('followers lagging', () => lagging(prod())),
  cluster('a follower cut off from the leader', () =>
    withReplica(withPeerLinks(prod(), [[B, C]]), C, (r) => ({
      ...r,
      etcd: { ...r.etcd, main: r.etcd.main.ok ? { ...r.etcd.main, leaderId: '0' } : r.etcd.main },
      apiServer: { ready: false, live: true },
    })),
  ),
  spec('no SSH answer', prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'ssh-silent' }, { zone: 'd' }] })),
  cluster('a changed host key', () =>
    noAccessOn(prod(), C, noAccessError(reachWhyText('hostKeyChanged', { pinned, presented }), 'HostKeyChanged')),
  ),
  cluster('an unknown host key', () =>
    noAccessOn(prod(), C, noAccessError('the host offers no pinned key', 'HostKeyUnknown')),
  ),
  cluster('OS Login', () => noAccessOn(prod(), C, noAccessError(reachWhyText('osLogin'), 'OsLoginUnsupported'))),
  cluster('no access of an unknown kind', () => noAccessOn(prod(), C, noAccessError('something else'))),
  {
    name: 'noAccessFinding of each kind',
    findings: () =>
      (['key', 'network', 'host-key', 'os-login', 'other'] as const).map((kind) =>
        noAccessFinding({ name: C, zone: 'europe-west1-c' }, { kind, reason: `a ${kind} problem` }),
      ),
  },
  // Membership
  spec('a member no VM backs', prodSpec({ extraMembers: [{ name: 'etcd-prod-master-x9z' }] })),
  spec(
    'a member no VM backs, in main only',
    prodSpec({ extraMembers: [{ name: 'etcd-prod-master-x9z', clusters: ['main'] }] }),
  ),
  spec(
    'a replica that is no member',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'd', memberOf: [] }] }),
  ),
  spec(
    'a replica only in main',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd', memberOf: ['main'] }] }),
  ),
  spec(
    'a replica only in events',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd', memberOf: ['events'] }] }),
  ),
  spec(
    'replicas only in main and only in events',
    prodSpec({
      replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd', memberOf: ['main'] }, { zone: 'd', memberOf: ['events'] }],
    }),
  ),
  spec(
    'a learner catching up',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b', learner: true }] }),
  ),
  spec(
    'a stranded learner',
    prodSpec({
      replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b', learner: true, etcd: 'refused' }],
    }),
  ),
  spec('a learner never started', prodSpec({ extraMembers: [{ name: '', isLearner: true, peerHost: '10.0.0.50' }] })),
  spec(
    'a learner never started, in main only',
    prodSpec({ extraMembers: [{ name: '', isLearner: true, peerHost: '10.0.0.50', clusters: ['main'] }] }),
  ),
  // Layout
  spec('two replicas', prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }] })),
  spec(
    'two replicas, the region listing no zone',
    prodSpec({ regionZones: [], replicas: [{ zone: 'b' }, { zone: 'c' }] }),
  ),
  spec('a replica outside the region', prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'us-east1-b' }] })),
  spec(
    'a replica outside a region listing no zone',
    prodSpec({ regionZones: [], replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'us-east1-b' }] }),
  ),
  spec('four replicas as 2+1+1', prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'd' }] })),
  spec(
    'four replicas as 2+1+1 with a free zone',
    stagingSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'f' }] }),
  ),
  spec('three replicas in one zone', prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'b' }] })),
  spec(
    'five replicas as 3+1+1',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'd' }] }),
  ),
  spec('six replicas', spread(6)),
  spec(
    'four replicas, the region listing no zone',
    prodSpec({ regionZones: [], replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'd' }] }),
  ),
  spec(
    'two replicas in one zone, two zones free',
    stagingSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }] }),
  ),
  // Load balancer
  spec('three replicas and no load balancer', prodSpec({ loadBalancer: false })),
  cluster('no forwarding rule', () => ({ ...prod(), forwardingRule: null })),
  cluster('no target pool', () => ({ ...prod(), targetPool: null })),
  cluster('a replica out of the pool, the address not reserved', () =>
    outOfPool(buildTopology(prodSpec({ staticAddress: 'none' })), D),
  ),
  spec('the static address on a replica while a load balancer exists', prodSpec({ staticAddress: { onReplica: B } })),
  cluster('the static address on nothing while a load balancer exists', () => {
    const t = withReplica(buildTopology(prodSpec({ staticAddress: { onReplica: B } })), B, { externalIp: '34.0.0.9' });
    return { ...t, staticAddress: t.staticAddress && { ...t.staticAddress, status: 'RESERVED', users: [] } };
  }),
  spec('one replica without a static address', stagingSpec({ staticAddress: 'none' })),
  cluster('one replica without a static address or external IP', () =>
    withReplica(buildTopology(stagingSpec({ staticAddress: 'none' })), 'staging-master-b01', { externalIp: null }),
  ),
  cluster('one replica whose static address is on nothing', () => {
    const t = withReplica(buildTopology(stagingSpec()), 'staging-master-b01', { externalIp: '34.0.0.9' });
    return { ...t, staticAddress: t.staticAddress && { ...t.staticAddress, status: 'RESERVED', users: [] } };
  }),
  cluster('one replica whose static address is on a leftover load balancer', () => {
    const t = withReplica(buildTopology(prodSpec({ replicas: [{ zone: 'b' }], loadBalancer: true })), B, {
      externalIp: '34.0.0.9',
    });
    return {
      ...t,
      forwardingRule: t.forwardingRule && { ...t.forwardingRule, ipAddress: '35.0.0.1' },
      staticAddress: t.staticAddress && { ...t.staticAddress, users: ['prod-master'] },
    };
  }),
  cluster('one replica whose static address is on a leftover forwarding rule, no pool', () => {
    const t = withReplica(buildTopology(prodSpec({ replicas: [{ zone: 'b' }], loadBalancer: true })), B, {
      externalIp: '34.0.0.9',
    });
    return {
      ...t,
      targetPool: null,
      forwardingRule: t.forwardingRule && { ...t.forwardingRule, ipAddress: '35.0.0.1' },
      staticAddress: t.staticAddress && { ...t.staticAddress, users: ['prod-master'] },
    };
  }),
  // Leases
  spec(
    'a lease nobody renewed',
    prodSpec({
      leases: [
        leaseOf('kube-controller-manager', B),
        leaseOf('kube-scheduler', C, { renewedSecondsAgo: 60 }),
        leaseOf('cluster-autoscaler', B),
      ],
    }),
  ),
  spec('leases absent or empty', prodSpec({ leases: [leaseOf('kube-scheduler', '')] })),
  spec(
    'a lease of each held elsewhere',
    prodSpec({
      replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }],
      leases: [
        leaseOf('kube-controller-manager', C),
        leaseOf('kube-scheduler', 'other-master-a1b'),
        leaseOf('cluster-autoscaler', C, { durationSeconds: 30 }),
      ],
    }),
  ),
  spec(
    'every lease expired',
    prodSpec({
      leases: [
        leaseOf('kube-controller-manager', B, { renewedSecondsAgo: 3600 }),
        leaseOf('kube-scheduler', B, { renewedSecondsAgo: 60 }),
        leaseOf('cluster-autoscaler', B, { renewedSecondsAgo: 200_000 }),
      ],
    }),
  ),
  // Settings
  spec('quorum reads off', stagingSpec()),
  // Partition
  cluster('two followers cut', () => withPeerLinks(prod(), [[C, D]])),
  cluster('two followers cut in events', () => withPeerLinks(prod(), [[C, D]], { cluster: 'events' })),
  cluster('every link cut', () =>
    withPeerLinks(prod(), [
      [B, C],
      [B, D],
      [C, D],
    ]),
  ),
  cluster('five replicas, one pair cut', () => withPeerLinks(five(), [['prod-master-b01', 'prod-master-c03']])),
  cluster('five replicas, two pairs cut', () =>
    withPeerLinks(five(), [
      ['prod-master-b01', 'prod-master-c03'],
      ['prod-master-b02', 'prod-master-c04'],
    ]),
  ),
  cluster('five replicas, a pair cut within a zone', () =>
    withPeerLinks(five(), [['prod-master-b01', 'prod-master-b02']]),
  ),
  cluster('five replicas, zone d cut off', () =>
    withPeerLinks(five(), [
      ['prod-master-b01', 'prod-master-d05'],
      ['prod-master-b02', 'prod-master-d05'],
      ['prod-master-c03', 'prod-master-d05'],
      ['prod-master-c04', 'prod-master-d05'],
    ]),
  ),
  cluster('seven replicas, zone h cut off', () =>
    withPeerLinks(
      buildTopology(spread(7)),
      ['b01', 'c02', 'd03', 'e04', 'f05', 'g06'].map((r) => [`prod-master-${r}`, 'prod-master-h07'] as const),
    ),
  ),
  cluster('five replicas, two pairs cut around b01', () =>
    withPeerLinks(five(), cutsIn(['b01', 'b02'], ['b01', 'c03'])),
  ),
  cluster('five replicas, zone b cut from c and within', () =>
    withPeerLinks(five(), cutsIn(['b01', 'b02'], ['b01', 'c03'], ['b01', 'c04'], ['b02', 'c03'], ['b02', 'c04'])),
  ),
  cluster('five replicas, zone b cut from all and within', () =>
    withPeerLinks(
      five(),
      cutsIn(
        ['b01', 'b02'],
        ['b01', 'c03'],
        ['b01', 'c04'],
        ['b01', 'd05'],
        ['b02', 'c03'],
        ['b02', 'c04'],
        ['b02', 'd05'],
      ),
    ),
  ),
  cluster('five replicas, no member reaching a majority', () =>
    withPeerLinks(
      five(),
      cutsIn(
        ['b01', 'b02'],
        ['b01', 'c03'],
        ['b01', 'c04'],
        ['b01', 'd05'],
        ['b02', 'c04'],
        ['b02', 'd05'],
        ['c03', 'c04'],
        ['c03', 'd05'],
      ),
    ),
  ),
  cluster('two followers cut, a learner seeing everyone', () =>
    withPeerLinks(
      buildTopology(
        prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'c', learner: true }] }),
      ),
      [[C, D]],
    ),
  ),
  cluster('two followers cut, one reporting no peer', () =>
    withPeerLinks(prod(), [
      [C, D],
      [B, D],
    ]),
  ),
];
