// Plans and refusals that between them make the planner say every sentence it has: every intent kind, step kind,
// warning code and refusal, in each of their variants (the planner's and the intent planners' table tests' cases, and
// one for each branch they do not reach). For tests that check how plans are worded, such as
// tests/unit/plans-catalog.test.ts.
import { assessTopology } from '../assessment';
import { planCreateCluster, planOperation, type ClusterIntent, type PlanResult } from '../planner';
import type { Topology } from '../topology';
import {
  NOW,
  buildTopology,
  prodSpec,
  stagingSpec,
  withPeerLinks,
  withReplica,
  type TopologySpec,
} from './topology-builder';

export type PlanCase = { name: string; result: () => PlanResult };

type Opts = {
  operationInProgress?: boolean;
  newNames?: string[];
  backupGateOverride?: { reason: string };
};

/** What planOperation makes of `intent` on `t`, as the preview asks for it. */
function planOn(t: Topology, intent: ClusterIntent, opts: Opts = {}): PlanResult {
  return planOperation({
    topology: t,
    assessment: assessTopology(t, NOW),
    intent,
    operationInProgress: opts.operationInProgress ?? false,
    ...(opts.newNames ? { newNames: opts.newNames } : {}),
    ...(opts.backupGateOverride ? { backupGateOverride: opts.backupGateOverride } : {}),
  });
}

const on = (name: string, topology: () => Topology, intent: ClusterIntent, opts: Opts = {}): PlanCase => ({
  name,
  result: () => planOn(topology(), intent, opts),
});
const spec = (name: string, s: TopologySpec, intent: ClusterIntent, opts: Opts = {}): PlanCase =>
  on(name, () => buildTopology(s), intent, opts);
const create = (name: string, input: Parameters<typeof planCreateCluster>[0]): PlanCase => ({
  name,
  result: () => planCreateCluster(input),
});

const B = 'prod-master-b01';
const C = 'prod-master-c02';
const D = 'prod-master-d03';
const zones = (...letters: string[]) => letters.map((l) => `europe-west1-${l}`);
const prod = () => buildTopology(prodSpec());
const fiveSpec = prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }] });
/** us-central1 has four zones (a b c f), so a zone can be free while replicas share another. */
const central = (replicas: TopologySpec['replicas']): TopologySpec => ({
  region: 'us-central1',
  masterName: 'central-master',
  replicas,
});
/** `t` with the nodes of `downZones` NotReady: with its replicas silent, the diagnosis' second witness of an outage. */
const nodesDown = (t: Topology, ...downZones: string[]): Topology => ({
  ...t,
  nodes: (t.nodes ?? []).map((n) => (n.zone !== null && downZones.includes(n.zone) ? { ...n, ready: false } : n)),
});
const silent = { etcd: 'timeout', apiServer: 'timeout' } as const;
/** prod with europe-west1-c down: its replica silent, its nodes NotReady. */
const cDown = () =>
  nodesDown(
    buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', ...silent }, { zone: 'd' }] })),
    zones('c')[0] ?? '',
  );
/** After a recovery during an outage: b holds two replicas, c is free again. */
const paired = prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b', name: 'prod-master-r2d' }, { zone: 'd' }] });
/** A replica whose etcd main answers as a learner while the member list has it as a voter: a voter that does not vote. */
const answersAsLearner = (t: Topology, name: string): Topology =>
  withReplica(t, name, (r) =>
    r.etcd.main.ok ? { ...r, etcd: { ...r.etcd, main: { ...r.etcd.main, isLearner: true } } } : r,
  );

export const PLAN_CASES: readonly PlanCase[] = [
  // --- Plans ---------------------------------------------------------------------------------------------------
  spec('staging 1 -> 3, names picked at run time', stagingSpec(), { kind: 'scale', replicas: 3 }),
  spec(
    'staging 1 -> 3 with names',
    stagingSpec(),
    { kind: 'scale', replicas: 3 },
    { newNames: ['staging-master-x1a', 'staging-master-x2b'] },
  ),
  spec(
    'staging 1 -> 3, backup gate overridden',
    stagingSpec(),
    { kind: 'scale', replicas: 3 },
    { backupGateOverride: { reason: 'disk full on the dashboard host' } },
  ),
  spec('prod add', prodSpec(), { kind: 'add-replica', zone: 'europe-west1-d' }, { newNames: ['prod-master-k9z'] }),
  spec('add next to a replica while a zone is free', central([{ zone: 'b' }, { zone: 'c' }, { zone: 'f' }]), {
    kind: 'add-replica',
    zone: 'us-central1-b',
  }),
  spec('add to a zone of two while three are free', central([{ zone: 'b' }, { zone: 'b' }]), {
    kind: 'add-replica',
    zone: 'us-central1-b',
  }),
  spec('five plus one: six voters', fiveSpec, { kind: 'add-replica', zone: 'europe-west1-d' }),
  spec('prod 3 -> 5', prodSpec(), { kind: 'scale', replicas: 5 }),
  spec('remove a named replica of five', fiveSpec, {
    kind: 'remove-replica',
    zone: 'europe-west1-c',
    name: 'prod-master-c05',
  }),
  spec('remove, picked: not the leader', fiveSpec, { kind: 'remove-replica', zone: 'europe-west1-b' }),
  spec(
    'remove, picked: not healthy',
    prodSpec({
      replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'b', etcd: 'refused' }],
    }),
    { kind: 'remove-replica', zone: 'europe-west1-b' },
  ),
  spec('remove, picked: the only one in its zone', fiveSpec, { kind: 'remove-replica', zone: 'europe-west1-d' }),
  spec('prod 3 -> 1', prodSpec(), { kind: 'scale', replicas: 1 }),
  spec('five -> 3', fiveSpec, { kind: 'scale', replicas: 3 }),
  spec(
    'replace in place',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] }),
    { kind: 'replace-replica', name: C },
    { newNames: ['prod-master-r2d'] },
  ),
  on('replace during a zone outage', cDown, { kind: 'replace-replica', name: C }, { newNames: ['prod-master-r2d'] }),
  spec(
    'replace in another zone, chosen',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'refused' }, { zone: 'd' }] }),
    { kind: 'replace-replica', name: C, zone: 'europe-west1-d' },
  ),
  on(
    'replace during an outage of one of five zones',
    () =>
      nodesDown(
        buildTopology(
          prodSpec({
            regionZones: zones('b', 'c', 'd', 'e', 'f'),
            replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'e' }, { zone: 'f', ...silent }],
          }),
        ),
        'europe-west1-f',
      ),
    { kind: 'replace-replica', name: 'prod-master-f05' },
  ),
  spec(
    'restart: start a stopped VM',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'TERMINATED' }, { zone: 'd' }] }),
    { kind: 'restart-replica', name: C },
  ),
  spec(
    'restart: reset a VM whose etcd refuses',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'refused' }, { zone: 'd' }] }),
    { kind: 'restart-replica', name: C },
  ),
  spec('rebalance, the replica picked', paired, { kind: 'rebalance' }, { newNames: ['prod-master-k7x'] }),
  spec('rebalance, the replica named', paired, { kind: 'rebalance', name: 'prod-master-r2d' }),
  create('create, multizone', {
    intent: { kind: 'create-cluster', masterName: 'prod-master', zone: 'europe-west1-b', multizone: true },
    regionZones: zones('b', 'c', 'd'),
  }),
  create('create, one zone', {
    intent: { kind: 'create-cluster', masterName: 'kubernetes-master', zone: 'us-central1-b', multizone: false },
  }),

  // --- Refusals: the operation lock, names, a partition (planOperation) --------------------------------------------
  spec(
    'another operation runs',
    prodSpec(),
    { kind: 'add-replica', zone: 'europe-west1-b' },
    { operationInProgress: true },
  ),
  spec(
    'a new name of another cluster',
    prodSpec(),
    { kind: 'scale', replicas: 5 },
    { newNames: ['staging-master-abc'] },
  ),
  spec('a new name already taken', prodSpec(), { kind: 'scale', replicas: 5 }, { newNames: [C] }),
  on('zones cut from each other', () => withPeerLinks(prod(), [[C, D]]), {
    kind: 'add-replica',
    zone: 'europe-west1-b',
  }),
  on('two members cut, their zones still linked', () => withPeerLinks(buildTopology(fiveSpec), [[B, C]]), {
    kind: 'scale',
    replicas: 7,
  }),

  // --- Refusals: adds -------------------------------------------------------------------------------------------
  spec(
    'a learner left from an unfinished add',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'd', learner: true }] }),
    {
      kind: 'add-replica',
      zone: 'europe-west1-b',
    },
  ),
  spec('add to one replica makes two', stagingSpec(), { kind: 'add-replica', zone: 'us-central1-c' }),
  spec('add in another region', prodSpec(), { kind: 'add-replica', zone: 'us-east1-b' }),
  spec('add in a zone the region lacks', prodSpec(), { kind: 'add-replica', zone: 'europe-west1-a' }),
  spec(
    'add while a voter is down',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] }),
    { kind: 'add-replica', zone: 'europe-west1-c' },
  ),
  spec(
    'add while two voters are down, one for several reasons',
    prodSpec({
      replicas: [
        { zone: 'b' },
        { zone: 'c', vmStatus: 'STOPPED' },
        { zone: 'd' },
        { zone: 'b', main: 'refused', events: 'timeout', apiServer: 'not-ready' },
        { zone: 'c' },
      ],
    }),
    { kind: 'add-replica', zone: 'europe-west1-d' },
  ),
  spec('add while a member with no VM votes', prodSpec({ extraMembers: [{ name: 'etcd-prod-master-zzz' }] }), {
    kind: 'add-replica',
    zone: 'europe-west1-b',
  }),
  spec(
    'add while two members with no VM vote',
    prodSpec({ extraMembers: [{ name: 'etcd-prod-master-zzz' }, { name: 'etcd-prod-master-yyy' }] }),
    { kind: 'add-replica', zone: 'europe-west1-b' },
  ),
  on('add while a voter answers as a learner', () => answersAsLearner(prod(), C), {
    kind: 'add-replica',
    zone: 'europe-west1-b',
  }),
  on(
    'add while two voters answer as learners',
    () => answersAsLearner(answersAsLearner(buildTopology(fiveSpec), C), D),
    { kind: 'add-replica', zone: 'europe-west1-b' },
  ),
  spec(
    'add while Quorum cannot get into a voter',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] }),
    { kind: 'add-replica', zone: 'europe-west1-c' },
  ),
  spec(
    'add while Quorum cannot get into two voters',
    prodSpec({
      replicas: [
        { zone: 'b' },
        { zone: 'c', etcd: 'noaccess' },
        { zone: 'd', etcd: 'noaccess' },
        { zone: 'b' },
        { zone: 'c' },
      ],
    }),
    { kind: 'add-replica', zone: 'europe-west1-d' },
  ),
  spec('add on etcd 3.3', prodSpec({ etcdVersion: '3.3.27' }), { kind: 'add-replica', zone: 'europe-west1-b' }),
  on('add in a zone that is down', cDown, { kind: 'add-replica', zone: 'europe-west1-c' }),
  on(
    'add to a cluster with no replica',
    () => ({
      ...prod(),
      replicas: [],
      etcd: { main: { members: null, error: 'no endpoint' }, events: { members: null, error: 'no endpoint' } },
    }),
    { kind: 'add-replica', zone: 'europe-west1-b' },
  ),

  // --- Refusals: removals ---------------------------------------------------------------------------------------
  spec('remove from three makes two', prodSpec(), { kind: 'remove-replica', zone: 'europe-west1-c' }),
  spec('remove in another region with no replica there', prodSpec(), { kind: 'remove-replica', zone: 'us-east1-b' }),
  spec('remove the last replica', stagingSpec(), { kind: 'remove-replica', zone: 'us-central1-b' }),
  spec(
    'removing a healthy voter loses quorum',
    prodSpec({
      replicas: [
        { zone: 'b' },
        { zone: 'c' },
        { zone: 'd', vmStatus: 'STOPPED' },
        { zone: 'b', vmStatus: 'STOPPED' },
        { zone: 'c' },
      ],
    }),
    { kind: 'remove-replica', zone: 'europe-west1-c', name: C },
  ),
  spec(
    'quorum already lost',
    prodSpec({
      replicas: [
        { zone: 'b' },
        { zone: 'c', vmStatus: 'STOPPED' },
        { zone: 'd', vmStatus: 'STOPPED' },
        { zone: 'b', vmStatus: 'STOPPED' },
        { zone: 'c' },
      ],
    }),
    { kind: 'remove-replica', zone: 'europe-west1-d' },
  ),
  spec('remove a name from another zone', fiveSpec, { kind: 'remove-replica', zone: 'europe-west1-c', name: B }),
  spec('remove an unknown name', fiveSpec, { kind: 'remove-replica', zone: 'europe-west1-c', name: 'prod-master-xyz' }),
  spec('remove in a zone with no replica', central([{ zone: 'b' }, { zone: 'c' }, { zone: 'f' }]), {
    kind: 'remove-replica',
    zone: 'us-central1-a',
  }),

  // --- Refusals: scale ------------------------------------------------------------------------------------------
  spec('scale to two', prodSpec(), { kind: 'scale', replicas: 2 }),
  spec('scale to zero', prodSpec(), { kind: 'scale', replicas: 0 }),
  spec('scale to eight', prodSpec(), { kind: 'scale', replicas: 8 }),
  spec('scale to the current three', prodSpec(), { kind: 'scale', replicas: 3 }),
  spec('scale to the current one', stagingSpec(), { kind: 'scale', replicas: 1 }),
  spec('scale up with too few zones', stagingSpec(), { kind: 'scale', replicas: 3, zones: ['us-central1-a'] }),
  spec('scale up by one with no zone', prodSpec(), { kind: 'scale', replicas: 4, zones: [] }),
  spec('scale down with too few zones', prodSpec(), { kind: 'scale', replicas: 1, zones: ['europe-west1-b'] }),
  spec('scale up into another region', prodSpec(), {
    kind: 'scale',
    replicas: 5,
    zones: ['europe-west1-b', 'asia-east1-a'],
  }),
  spec('scale up on etcd 3.3', stagingSpec({ etcdVersion: '3.3.10' }), { kind: 'scale', replicas: 3 }),
  spec(
    'scale up while a voter refuses',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'refused' }, { zone: 'd' }] }),
    {
      kind: 'scale',
      replicas: 5,
    },
  ),
  on(
    'scale up with the only zone of the region down',
    () =>
      nodesDown(
        buildTopology(prodSpec({ regionZones: zones('c'), replicas: [{ zone: 'c', ...silent }] })),
        'europe-west1-c',
      ),
    { kind: 'scale', replicas: 3 },
  ),
  spec('scale down from a zone emptied on the way', fiveSpec, {
    kind: 'scale',
    replicas: 3,
    zones: ['europe-west1-d', 'europe-west1-d'],
  }),
  spec(
    'scale down from a zone with no replica',
    central([{ zone: 'b' }, { zone: 'c' }, { zone: 'f' }, { zone: 'b' }, { zone: 'c' }]),
    {
      kind: 'scale',
      replicas: 3,
      zones: ['us-central1-a', 'us-central1-b'],
    },
  ),

  // --- Refusals: replace ----------------------------------------------------------------------------------------
  spec('replace an unknown replica', prodSpec(), { kind: 'replace-replica', name: 'prod-master-zzz' }),
  spec(
    'replace a replica Quorum cannot get into',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] }),
    { kind: 'replace-replica', name: C },
  ),
  spec(
    'replace while another voter is down',
    prodSpec({
      replicas: [
        { zone: 'b' },
        { zone: 'c', vmStatus: 'STOPPED' },
        { zone: 'd' },
        { zone: 'b', vmStatus: 'STOPPED' },
        { zone: 'c' },
      ],
    }),
    { kind: 'replace-replica', name: C },
  ),
  spec(
    'replace with quorum lost',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd', vmStatus: 'STOPPED' }] }),
    { kind: 'replace-replica', name: C },
  ),
  spec('replace the only replica', stagingSpec({ replicas: [{ zone: 'b', vmStatus: 'STOPPED' }] }), {
    kind: 'replace-replica',
    name: 'staging-master-b01',
  }),
  spec('replace one of two voters', prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }] }), {
    kind: 'replace-replica',
    name: C,
  }),
  spec(
    'replace a learner next to a single voter',
    stagingSpec({ replicas: [{ zone: 'b' }, { zone: 'c', learner: true }] }),
    {
      kind: 'replace-replica',
      name: 'staging-master-c02',
    },
  ),
  spec(
    'replace a replica outside the region',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'us-east1-b' }] }),
    {
      kind: 'replace-replica',
      name: 'prod-master-b03',
    },
  ),
  on('replace into a zone that is down', cDown, { kind: 'replace-replica', name: C, zone: 'europe-west1-c' }),

  // --- Refusals: restart ----------------------------------------------------------------------------------------
  spec('restart a healthy replica', prodSpec(), { kind: 'restart-replica', name: C }),
  spec(
    'restart a VM that is stopping',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPING' }, { zone: 'd' }] }),
    { kind: 'restart-replica', name: C },
  ),
  spec(
    'restart a replica Quorum cannot get into',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'noaccess', apiServer: 'noaccess' }, { zone: 'd' }] }),
    { kind: 'restart-replica', name: C },
  ),
  spec(
    'restart a replica that is no member',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', memberOf: [] }, { zone: 'd' }] }),
    {
      kind: 'restart-replica',
      name: C,
    },
  ),
  spec('restart a replica that does not exist', prodSpec(), { kind: 'restart-replica', name: 'prod-master-x99' }),
  on('restart a replica in a zone that is down', cDown, { kind: 'restart-replica', name: C }),
  spec(
    'reset a voter the quorum needs',
    prodSpec({ replicas: [{ zone: 'b', vmStatus: 'TERMINATED' }, { zone: 'c', apiServer: 'refused' }, { zone: 'd' }] }),
    { kind: 'restart-replica', name: C },
  ),

  // --- Refusals: rebalance --------------------------------------------------------------------------------------
  spec('rebalance one replica per zone', prodSpec(), { kind: 'rebalance' }),
  on('rebalance into a zone still down', () => nodesDown(buildTopology(paired), 'europe-west1-c'), {
    kind: 'rebalance',
    zone: 'europe-west1-c',
  }),
  on('rebalance while the free zone is down', () => nodesDown(buildTopology(paired), 'europe-west1-c'), {
    kind: 'rebalance',
  }),
  on(
    'rebalance while both free zones are down',
    () =>
      nodesDown(
        buildTopology(central([{ zone: 'b' }, { zone: 'b' }, { zone: 'f' }])),
        'us-central1-a',
        'us-central1-c',
      ),
    { kind: 'rebalance' },
  ),
  spec('rebalance into a zone that has a replica', paired, { kind: 'rebalance', zone: 'europe-west1-d' }),
  spec('rebalance with no free zone', fiveSpec, { kind: 'rebalance' }),
  spec('rebalance an unknown replica', paired, { kind: 'rebalance', name: 'prod-master-zzz' }),
  spec('rebalance a replica alone in its zone', paired, { kind: 'rebalance', name: D }),
  spec(
    'rebalance two replicas in one zone',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b', name: 'prod-master-r2d' }] }),
    {
      kind: 'rebalance',
    },
  ),
  spec(
    'rebalance while a voter is down',
    prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b', name: 'prod-master-r2d' }, { zone: 'd', vmStatus: 'STOPPED' }] }),
    { kind: 'rebalance' },
  ),

  // --- Refusals: create -----------------------------------------------------------------------------------------
  create('create a bad name', {
    intent: { kind: 'create-cluster', masterName: 'Prod_Master', zone: 'europe-west1-b', multizone: true },
  }),
  create('create a name kube-up does not give', {
    intent: { kind: 'create-cluster', masterName: 'blue', zone: 'europe-west1-b', multizone: true },
  }),
  create('create in a bad zone', {
    intent: { kind: 'create-cluster', masterName: 'prod-master', zone: 'europe', multizone: true },
  }),
  create('create in a zone the region lacks', {
    intent: { kind: 'create-cluster', masterName: 'prod-master', zone: 'europe-west1-a', multizone: true },
    regionZones: zones('b', 'c'),
  }),
  create('create while an operation runs', {
    intent: { kind: 'create-cluster', masterName: 'prod-master', zone: 'europe-west1-b', multizone: true },
    operationInProgress: true,
  }),
];
