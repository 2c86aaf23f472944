import { describe, expect, it } from 'vitest';
import { assessTopology } from './assessment';
import type { DomainErrorCode } from './errors';
import {
  planCreateCluster,
  planOperation,
  STEP_KINDS,
  type ClusterIntent,
  type Plan,
  type PlanResult,
  type PlanWarningCode,
  type StepKind,
} from './planner';
import {
  NOW,
  buildTopology,
  prodSpec,
  stagingSpec,
  withPeerLinks,
  type TopologySpec,
} from './testing/topology-builder';
import type { Topology } from './topology';

type PlanOpts = { operationInProgress?: boolean; newNames?: string[]; backupGateOverride?: { reason: string } };
const planFor = (t: Topology, intent: ClusterIntent, opts: PlanOpts = {}): PlanResult =>
  planOperation({
    topology: t,
    assessment: assessTopology(t, NOW),
    intent,
    operationInProgress: opts.operationInProgress ?? false,
    newNames: opts.newNames,
    ...(opts.backupGateOverride ? { backupGateOverride: opts.backupGateOverride } : {}),
  });

const planOf = (spec: TopologySpec, intent: ClusterIntent, opts: PlanOpts = {}): Plan => {
  const r = planFor(buildTopology(spec), intent, opts);
  if (!r.ok) throw new Error(`refused: ${r.refusal.code}: ${r.refusal.message}`);
  return r.plan;
};

/** us-central1 has four zones (a b c f), so a zone can be free while replicas share another. */
const central = (replicas: TopologySpec['replicas']): TopologySpec => ({
  region: 'us-central1',
  masterName: 'central-master',
  replicas,
});

const ADD: StepKind[] = [
  'pick-name',
  'issue-certificates',
  'snapshot-etcd',
  'add-learner',
  'create-disk',
  'create-instance',
  'add-to-target-pool',
  'await-learner-catch-up',
  'promote-learner',
  'await-api-server',
  'verify',
];
/** The first add from one replica: the backup gate, then the load balancer, then the add without its own gate. */
const LB_UP: StepKind[] = [
  'snapshot-etcd',
  'move-first-replica-to-ephemeral-ip',
  'create-target-pool',
  'create-forwarding-rule',
  'await-cluster-address',
];
const REMOVE: StepKind[] = [
  'resolve-replica',
  'move-leadership',
  'snapshot-etcd',
  'remove-member',
  'remove-from-target-pool',
  'delete-instance',
  'delete-disk',
  'verify',
];
const LB_DOWN: StepKind[] = ['delete-forwarding-rule', 'return-static-ip-to-last-replica', 'delete-target-pool'];

describe('refusals', () => {
  type Row = {
    name: string;
    spec: TopologySpec;
    intent: ClusterIntent;
    code: DomainErrorCode;
    says: RegExp;
    opts?: { operationInProgress?: boolean; newNames?: string[] };
  };
  const rows: Row[] = [
    {
      name: 'another operation runs',
      spec: prodSpec(),
      intent: { kind: 'add-replica', zone: 'europe-west1-b' },
      opts: { operationInProgress: true },
      code: 'OperationInProgress',
      says: /Another operation/,
    },
    {
      name: 'a learner is left from an unfinished add',
      spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'd', learner: true }] }),
      intent: { kind: 'add-replica', zone: 'europe-west1-b' },
      code: 'OperationInProgress',
      says: /prod-master-d04 is still an etcd learner/,
    },
    {
      name: 'add to one replica makes two',
      spec: stagingSpec(),
      intent: { kind: 'add-replica', zone: 'us-central1-c' },
      code: 'TwoReplicaLayout',
      says: /Scale from 1 to 3/,
    },
    {
      name: 'remove from three makes two',
      spec: prodSpec(),
      intent: { kind: 'remove-replica', zone: 'europe-west1-c' },
      code: 'TwoReplicaLayout',
      says: /Scale from 3 to 1/,
    },
    {
      name: 'scale to two',
      spec: prodSpec(),
      intent: { kind: 'scale', replicas: 2 },
      code: 'TwoReplicaLayout',
      says: /two replicas/,
    },
    {
      name: 'add in another region',
      spec: prodSpec(),
      intent: { kind: 'add-replica', zone: 'us-east1-b' },
      code: 'ZoneOutsideRegion',
      says: /us-east1-b is in us-east1, outside the cluster's region europe-west1/,
    },
    {
      name: 'add in a zone the region lacks',
      spec: prodSpec(),
      intent: { kind: 'add-replica', zone: 'europe-west1-a' },
      code: 'ZoneOutsideRegion',
      says: /not a zone of/,
    },
    {
      name: 'scale zones outside the region',
      spec: prodSpec(),
      intent: { kind: 'scale', replicas: 5, zones: ['europe-west1-b', 'asia-east1-a'] },
      code: 'ZoneOutsideRegion',
      says: /asia-east1-a/,
    },
    {
      name: 'remove in another region with no replica there',
      spec: prodSpec(),
      intent: { kind: 'remove-replica', zone: 'us-east1-b' },
      code: 'ZoneOutsideRegion',
      says: /outside/,
    },
    {
      name: 'remove the last replica',
      spec: stagingSpec(),
      intent: { kind: 'remove-replica', zone: 'us-central1-b' },
      code: 'LastReplica',
      says: /only replica/,
    },
    {
      name: 'removing a healthy voter loses quorum',
      spec: prodSpec({
        replicas: [
          { zone: 'b' },
          { zone: 'c' },
          { zone: 'd', vmStatus: 'STOPPED' },
          { zone: 'b', vmStatus: 'STOPPED' },
          { zone: 'c' },
        ],
      }),
      intent: { kind: 'remove-replica', zone: 'europe-west1-c', name: 'prod-master-c02' },
      code: 'QuorumAtRisk',
      says: /Removing prod-master-c02 would leave 2 healthy of 4 voters, fewer than the 3/,
    },
    {
      name: 'quorum already lost',
      spec: prodSpec({
        replicas: [
          { zone: 'b' },
          { zone: 'c', vmStatus: 'STOPPED' },
          { zone: 'd', vmStatus: 'STOPPED' },
          { zone: 'b', vmStatus: 'STOPPED' },
          { zone: 'c' },
        ],
      }),
      intent: { kind: 'remove-replica', zone: 'europe-west1-d' },
      code: 'QuorumAtRisk',
      says: /lost quorum/,
    },
    {
      name: 'add while a voter is down names it',
      spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] }),
      intent: { kind: 'add-replica', zone: 'europe-west1-c' },
      code: 'VoterUnhealthy',
      says: /prod-master-c02 \(VM is STOPPED\) is not healthy/,
    },
    {
      name: 'add while a member with no VM is a voter',
      spec: prodSpec({ extraMembers: [{ name: 'etcd-prod-master-zzz' }, { name: 'etcd-prod-master-yyy' }] }),
      intent: { kind: 'add-replica', zone: 'europe-west1-b' },
      code: 'VoterUnhealthy',
      says: /2 voting members with no replica behind them/,
    },
    {
      name: 'scale up while a voter is down',
      spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'refused' }, { zone: 'd' }] }),
      intent: { kind: 'scale', replicas: 5 },
      code: 'VoterUnhealthy',
      says: /prod-master-c02/,
    },
    {
      name: 'add while Quorum has no SSH access to a voter says so',
      spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] }),
      intent: { kind: 'add-replica', zone: 'europe-west1-c' },
      code: 'NoAccess',
      says: /cannot get into prod-master-c02 .*over SSH.*fix Quorum's access first/,
    },
    {
      name: 'add on etcd older than 3.4 (no learners: it would add a voter)',
      spec: prodSpec({ etcdVersion: '3.3.27' }),
      intent: { kind: 'add-replica', zone: 'europe-west1-b' },
      code: 'EtcdTooOld',
      says: /etcd on prod-master is 3\.3\.27, and etcd before 3\.4 has no learners: it would add the new member as a voter at once/,
    },
    {
      name: 'scale up on etcd 3.3',
      spec: prodSpec({ etcdVersion: '3.3.10' }),
      intent: { kind: 'scale', replicas: 5 },
      code: 'EtcdTooOld',
      says: /Upgrade etcd to 3\.4/,
    },
    {
      name: 'make HA on etcd 3.3',
      spec: stagingSpec({ etcdVersion: '3.3.10' }),
      intent: { kind: 'scale', replicas: 3 },
      code: 'EtcdTooOld',
      says: /staging-master is 3\.3\.10/,
    },
    {
      name: 'name not in that zone',
      spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }] }),
      intent: { kind: 'remove-replica', zone: 'europe-west1-c', name: 'prod-master-b01' },
      code: 'NotFound',
      says: /prod-master-b01 runs in europe-west1-b, not in europe-west1-c/,
    },
    {
      name: 'unknown name',
      spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }] }),
      intent: { kind: 'remove-replica', zone: 'europe-west1-c', name: 'prod-master-xyz' },
      code: 'NotFound',
      says: /prod-master-xyz is not a replica/,
    },
    {
      name: 'no replica in the zone',
      spec: central([{ zone: 'b' }, { zone: 'c' }, { zone: 'f' }]),
      intent: { kind: 'remove-replica', zone: 'us-central1-a' },
      code: 'NotFound',
      says: /No replica .* in us-central1-a/,
    },
    {
      name: 'scale to zero',
      spec: prodSpec(),
      intent: { kind: 'scale', replicas: 0 },
      code: 'InvalidInput',
      says: /1 to 7/,
    },
    {
      name: 'scale to eight',
      spec: prodSpec(),
      intent: { kind: 'scale', replicas: 8 },
      code: 'InvalidInput',
      says: /1 to 7/,
    },
    {
      name: 'scale to the current count',
      spec: prodSpec(),
      intent: { kind: 'scale', replicas: 3 },
      code: 'InvalidInput',
      says: /already runs 3 replicas/,
    },
    {
      name: 'scale with too few zones',
      spec: stagingSpec(),
      intent: { kind: 'scale', replicas: 3, zones: ['us-central1-a'] },
      code: 'InvalidInput',
      says: /give 2 zones, not 1/,
    },
    {
      name: 'a new name of another cluster',
      spec: prodSpec(),
      intent: { kind: 'scale', replicas: 5 },
      opts: { newNames: ['staging-master-abc'] },
      code: 'InvalidInput',
      says: /not a replica name of prod-master/,
    },
    {
      name: 'a new name already taken',
      spec: prodSpec(),
      intent: { kind: 'scale', replicas: 5 },
      opts: { newNames: ['prod-master-c02'] },
      code: 'InvalidInput',
      says: /already taken/,
    },
  ];
  it.each(rows)('$name -> $code', ({ spec, intent, opts, code, says }) => {
    const r = planFor(buildTopology(spec), intent, opts);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.refusal.code).toBe(code);
    expect(r.refusal.message).toMatch(says);
    expect(r).not.toHaveProperty('plan');
  });
});

describe('a partition etcd reports', () => {
  // prod b01 (leader), c02, d03: c02 and d03 answer Quorum but not each other.
  const cut = () => withPeerLinks(buildTopology(prodSpec()), [['prod-master-c02', 'prod-master-d03']]);

  it.each<[string, ClusterIntent]>([
    ['add', { kind: 'add-replica', zone: 'europe-west1-b' }],
    ['remove', { kind: 'remove-replica', zone: 'europe-west1-d', name: 'prod-master-d03' }],
    ['replace', { kind: 'replace-replica', name: 'prod-master-c02' }],
    ['scale', { kind: 'scale', replicas: 5 }],
  ])('refuses %s, naming the zones and what to fix', (_label, intent) => {
    const r = planFor(cut(), intent);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.refusal.code).toBe('NetworkPartition');
    expect(r.refusal.message).toContain('zones europe-west1-c and europe-west1-d cannot reach each other');
    expect(r.refusal.message).toContain('tcp:2380-2381');
  });

  it('plans as before once the links are whole', () => {
    expect(planFor(withPeerLinks(buildTopology(prodSpec()), []), { kind: 'scale', replicas: 5 }).ok).toBe(true);
  });
});

describe('warnings', () => {
  type Row = { name: string; spec: TopologySpec; intent: ClusterIntent; warnings: PlanWarningCode[]; says?: RegExp };
  const rows: Row[] = [
    {
      name: 'a shared zone while one is free, and an even count',
      spec: central([{ zone: 'b' }, { zone: 'c' }, { zone: 'f' }]),
      intent: { kind: 'add-replica', zone: 'us-central1-b' },
      warnings: ['ZoneShared', 'EvenReplicaCount'],
      says: /us-central1-b already runs 1 replica while us-central1-a has none/,
    },
    {
      name: 'an even count with no free zone',
      spec: prodSpec(),
      intent: { kind: 'add-replica', zone: 'europe-west1-b' },
      warnings: ['EvenReplicaCount'],
      says: /4 etcd voters/,
    },
    {
      name: 'the free zone itself',
      spec: central([{ zone: 'b' }, { zone: 'c' }, { zone: 'f' }]),
      intent: { kind: 'add-replica', zone: 'us-central1-a' },
      warnings: ['EvenReplicaCount'],
    },
    { name: 'five over three zones', spec: prodSpec(), intent: { kind: 'scale', replicas: 5 }, warnings: [] },
    {
      name: 'removal ending even',
      spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }] }),
      intent: { kind: 'remove-replica', zone: 'europe-west1-c' },
      warnings: ['EvenReplicaCount'],
    },
    {
      name: 'staging 1 -> 3',
      spec: stagingSpec(),
      intent: { kind: 'scale', replicas: 3 },
      // The static IP moves to the load balancer: the cluster address is away for the propagation (20 min by default).
      warnings: ['ClusterAddressUnreachable'],
      says: /^The cluster address 35\.0\.0\.1 does not answer for about 20 min 30 s while the static IP moves from staging-master-b01 to the new load balancer/,
    },
  ];
  it.each(rows)('$name', ({ spec, intent, warnings, says }) => {
    const plan = planOf(spec, intent);
    expect(plan.warnings.map((w) => w.code)).toEqual(warnings);
    if (says) expect(plan.warnings[0]?.message).toMatch(says);
  });
});

describe('staging 1 -> 3', () => {
  const plan = planOf(
    stagingSpec(),
    { kind: 'scale', replicas: 3 },
    { newNames: ['staging-master-x1a', 'staging-master-x2b'] },
  );

  it('sets up the load balancer once, then adds two replicas in the free zones', () => {
    expect(plan.steps.map((s) => s.kind)).toEqual([...LB_UP, ...ADD.filter((k) => k !== 'snapshot-etcd'), ...ADD]);
    expect(plan.summary).toBe('Scale from 1 to 3 replicas: add in us-central1-a and us-central1-c');
    expect(plan.steps.filter((s) => s.kind === 'add-learner').map((s) => [s.params.name, s.params.zone])).toEqual([
      ['staging-master-x1a', 'us-central1-a'],
      ['staging-master-x2b', 'us-central1-c'],
    ]);
  });

  it('marks the two-replica state between the two promotions as transient', () => {
    const transient = plan.steps.filter((s) => s.transient !== undefined).map((s) => s.id);
    const promotions = plan.steps.flatMap((s, i) => (s.kind === 'promote-learner' ? [i] : []));
    expect(promotions).toHaveLength(2);
    const [first = -1, second = -1] = promotions;
    expect(transient).toEqual(plan.steps.slice(first, second).map((s) => s.id));
    expect(transient[0]).toBe('1.add:us-central1-a:promote-learner');
    expect(plan.steps[first]?.transient).toMatch(/consensus needs both/);
    for (const s of plan.steps.slice(first, second))
      expect(s.toleranceAfter).toMatchObject({ voters: 2, healthyVoters: 2, hasQuorum: true });
  });

  it('ends with three voters in three zones behind the load balancer', () => {
    expect(plan.before).toMatchObject({ voters: 1, canLoseReplicas: 0, canLoseZones: 0 });
    expect(plan.after).toMatchObject({ voters: 3, healthyVoters: 3, canLoseReplicas: 1, canLoseZones: 1 });
    const end = plan.steps[plan.steps.length - 1]?.layoutAfter;
    expect(end?.loadBalancer).toBe(true);
    expect(end?.replicas.map((r) => `${r.zone}:${r.role}`)).toEqual([
      'us-central1-b:voter',
      'us-central1-a:voter',
      'us-central1-c:voter',
    ]);
  });

  it('gives the load balancer to the layout once the forwarding rule exists', () => {
    const at = (kind: StepKind) => plan.steps.find((s) => s.kind === kind)?.layoutAfter.loadBalancer;
    expect(at('create-target-pool')).toBe(false);
    expect(at('create-forwarding-rule')).toBe(true);
  });

  it('names the replicas at run time when no names are supplied', () => {
    const p = planOf(stagingSpec(), { kind: 'scale', replicas: 3 });
    const picks = p.steps.filter((s) => s.kind === 'pick-name').map((s) => [s.params.name, s.params.namePending]);
    expect(picks).toEqual([
      ['staging-master-???', true],
      ['staging-master-???-2', true],
    ]);
  });

  it('has stable, unique step ids', () => {
    expect(new Set(plan.steps.map((s) => s.id)).size).toBe(plan.steps.length);
    expect(plan.steps[0]?.id).toBe('1.add:us-central1-a:snapshot-etcd');
  });
});

describe('prod add and remove', () => {
  it('adds to an HA cluster without touching the load balancer', () => {
    const plan = planOf(prodSpec(), { kind: 'add-replica', zone: 'europe-west1-d' }, { newNames: ['prod-master-k9z'] });
    expect(plan.summary).toBe('Add a replica in europe-west1-d');
    expect(plan.steps.map((s) => s.kind)).toEqual(ADD);
    expect(plan.steps.map((s) => s.id)[0]).toBe('add:europe-west1-d:pick-name');
    expect(plan.steps.find((s) => s.kind === 'add-learner')?.title).toBe(
      'Add prod-master-k9z as a learner in etcd main and events',
    );
    // The learner counts for nothing until promoted.
    expect(plan.steps.find((s) => s.kind === 'add-learner')?.toleranceAfter.voters).toBe(3);
    expect(plan.after.voters).toBe(4);
  });

  it('removes a named replica from a five-replica cluster', () => {
    const spec = prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }] });
    const plan = planOf(spec, { kind: 'remove-replica', zone: 'europe-west1-c', name: 'prod-master-c05' });
    expect(plan.steps.map((s) => s.kind)).toEqual(REMOVE);
    expect(plan.summary).toBe('Remove prod-master-c05 from europe-west1-c');
    expect(plan.after).toMatchObject({ voters: 4, healthyVoters: 4 });
    expect(plan.steps.find((s) => s.kind === 'remove-member')?.layoutAfter.replicas.map((r) => r.name)).not.toContain(
      'prod-master-c05',
    );
  });

  it('moves leadership off the replica it removes when that one leads', () => {
    const spec = prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }] });
    const plan = planOf(spec, { kind: 'remove-replica', zone: 'europe-west1-b', name: 'prod-master-b01' });
    expect(plan.steps.find((s) => s.kind === 'move-leadership')?.params).toMatchObject({
      name: 'prod-master-b01',
      leadsNow: true,
    });
  });

  it('removes an unhealthy replica when quorum holds without it', () => {
    const spec = prodSpec({
      replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b', vmStatus: 'STOPPED' }, { zone: 'c' }],
    });
    const plan = planOf(spec, { kind: 'remove-replica', zone: 'europe-west1-b' });
    expect(plan.summary).toBe('Remove prod-master-b04 from europe-west1-b (picked: it is not healthy)');
    expect(plan.after).toMatchObject({ voters: 4, healthyVoters: 4, hasQuorum: true });
  });
});

describe('remove without a name', () => {
  // The builder's etcd leader is the first answering voter: prod-master-b01 when it runs.
  const rows: { name: string; replicas: TopologySpec['replicas']; zone: string; picks: string; because: string }[] = [
    {
      name: 'not the leader',
      replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }],
      zone: 'europe-west1-b',
      picks: 'prod-master-b04',
      because: 'it does not lead etcd',
    },
    {
      name: 'unhealthy first',
      replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'b', etcd: 'refused' }],
      zone: 'europe-west1-b',
      picks: 'prod-master-b05',
      because: 'it is not healthy',
    },
    {
      name: 'then by name',
      replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'c' }, { zone: 'd' }],
      zone: 'europe-west1-c',
      picks: 'prod-master-c02',
      because: 'it does not lead etcd',
    },
    {
      name: 'the only one in the zone',
      replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }],
      zone: 'europe-west1-d',
      picks: 'prod-master-d03',
      because: 'the only replica in the zone',
    },
  ];
  it.each(rows)('$name: $picks', ({ replicas, zone, picks, because }) => {
    const plan = planOf(prodSpec({ replicas }), { kind: 'remove-replica', zone });
    expect(plan.summary).toBe(`Remove ${picks} from ${zone} (picked: ${because})`);
    const resolve = plan.steps[0];
    expect(resolve?.kind).toBe('resolve-replica');
    expect(resolve?.params).toMatchObject({ name: picks, zone, picked: true });
    expect(resolve?.title).toContain(picks);
  });
});

describe('replace a failed replica', () => {
  const spec = prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] });

  it('removes the failed member first, then adds its replacement in the same zone', () => {
    const plan = planOf(spec, { kind: 'replace-replica', name: 'prod-master-c02' }, { newNames: ['prod-master-r2d'] });
    expect(plan.steps.map((s) => s.kind)).toEqual([...REMOVE, ...ADD]);
    expect(plan.summary).toBe('Replace prod-master-c02 in europe-west1-c: remove it, then add a new replica there');
    expect(plan.steps.find((s) => s.kind === 'add-learner')?.params).toMatchObject({
      name: 'prod-master-r2d',
      zone: 'europe-west1-c',
    });
    expect(plan.before).toMatchObject({ voters: 3, healthyVoters: 2, canLoseReplicas: 0 });
    expect(plan.after).toMatchObject({ voters: 3, healthyVoters: 3, canLoseReplicas: 1, canLoseZones: 1 });
    // Between the removal and the promotion the cluster runs on two healthy voters.
    expect(plan.steps.filter((s) => s.transient).map((s) => s.id)[0]).toBe('1.remove:europe-west1-c:remove-member');
    expect(plan.kubeUpCommand).toBe(
      'PROJECT=sandbox-project KUBE_GCE_INSTANCE_PREFIX=prod KUBE_DELETE_NODES=false KUBE_GCE_ZONE=europe-west1-c KUBE_REPLICA_NAME=prod-master-c02 ./cluster/kube-down.sh && ' +
        'PROJECT=sandbox-project KUBE_GCE_INSTANCE_PREFIX=prod KUBE_GCE_ZONE=europe-west1-c KUBE_REPLICATE_EXISTING_MASTER=true ./cluster/kube-up.sh',
    );
  });

  const refusals: { name: string; spec: TopologySpec; replica: string; code: DomainErrorCode }[] = [
    { name: 'unknown replica', spec, replica: 'prod-master-zzz', code: 'NotFound' },
    // Quorum's own access problem is no evidence that the replica failed: it is not replaced.
    {
      name: 'no SSH access to it',
      spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] }),
      replica: 'prod-master-c02',
      code: 'NoAccess',
    },
    {
      name: 'another voter is down too',
      spec: prodSpec({
        replicas: [
          { zone: 'b' },
          { zone: 'c', vmStatus: 'STOPPED' },
          { zone: 'd' },
          { zone: 'b', vmStatus: 'STOPPED' },
          { zone: 'c' },
        ],
      }),
      replica: 'prod-master-c02',
      code: 'VoterUnhealthy',
    },
    {
      name: 'quorum lost',
      spec: prodSpec({
        replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd', vmStatus: 'STOPPED' }],
      }),
      replica: 'prod-master-c02',
      code: 'QuorumAtRisk',
    },
    {
      name: 'the only replica',
      spec: stagingSpec({ replicas: [{ zone: 'b', vmStatus: 'STOPPED' }] }),
      replica: 'staging-master-b01',
      code: 'LastReplica',
    },
    // Found by the property test (b): the replacement would have been the second voter.
    {
      name: 'a leftover learner next to a single voter',
      spec: stagingSpec({ replicas: [{ zone: 'b' }, { zone: 'c', learner: true }] }),
      replica: 'staging-master-c02',
      code: 'TwoReplicaLayout',
    },
    {
      name: 'outside the region',
      spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'us-east1-b' }] }),
      replica: 'prod-master-b03',
      code: 'ZoneOutsideRegion',
    },
  ];
  it.each(refusals)('refuses: $name -> $code', ({ spec: s, replica, code }) => {
    const r = planFor(buildTopology(s), { kind: 'replace-replica', name: replica });
    expect(r.ok ? null : r.refusal.code).toBe(code);
  });
});

describe('replace during a zone outage, then rebalance', () => {
  /** prod with europe-west1-c down: its replica silent, its nodes NotReady (the diagnosis' second witness). */
  const zoneDown = (spec: TopologySpec, zone = 'europe-west1-c'): Topology => {
    const t = buildTopology(spec);
    return { ...t, nodes: (t.nodes ?? []).map((n) => (n.zone === zone ? { ...n, ready: false } : n)) };
  };
  const cDown = () =>
    zoneDown(
      prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout', apiServer: 'timeout' }, { zone: 'd' }] }),
    );

  it('puts the replacement in the emptiest reachable zone and says what that costs in zone tolerance', () => {
    const r = planFor(cDown(), { kind: 'replace-replica', name: 'prod-master-c02' }, { newNames: ['prod-master-r2d'] });
    if (!r.ok) throw new Error(r.refusal.message);
    const plan = r.plan;
    expect(plan.steps.map((s) => s.kind)).toEqual([...REMOVE, ...ADD]);
    expect(plan.steps.find((s) => s.kind === 'add-learner')?.params).toMatchObject({
      name: 'prod-master-r2d',
      zone: 'europe-west1-b',
    });
    expect(plan.summary).toBe(
      'Replace prod-master-c02 (europe-west1-c) by a new replica in europe-west1-b: remove it, then add the new one',
    );
    expect(plan.after).toMatchObject({ voters: 3, healthyVoters: 3, canLoseReplicas: 1, canLoseZones: 0 });
    const warning = plan.warnings.find((w) => w.code === 'ZoneToleranceReduced');
    expect(warning?.message).toContain('because europe-west1-c is unreachable, next to prod-master-b01');
    expect(warning?.message).toContain('only 0 zone outages instead of 1');
    expect(warning?.message).toContain('When europe-west1-c is back, rebalance');
    expect(plan.kubeUpCommand).toContain('KUBE_GCE_ZONE=europe-west1-b KUBE_REPLICATE_EXISTING_MASTER=true');
  });

  it("replaces a replica of a zone cut off the network: its port 22 silent too (the twin's real partition)", () => {
    const silent = zoneDown(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'ssh-silent' }, { zone: 'd' }] }));
    const r = planFor(silent, { kind: 'replace-replica', name: 'prod-master-c02' }, { newNames: ['prod-master-r2d'] });
    expect(r.ok ? r.plan.steps.find((s) => s.kind === 'add-learner')?.params.zone : r.refusal.code).toBe(
      'europe-west1-b',
    );
  });

  it('takes the zone the operator picks, and refuses the unreachable one', () => {
    const d = planFor(cDown(), { kind: 'replace-replica', name: 'prod-master-c02', zone: 'europe-west1-d' });
    expect(d.ok && d.plan.steps.find((s) => s.kind === 'add-learner')?.params.zone).toBe('europe-west1-d');
    const c = planFor(cDown(), { kind: 'replace-replica', name: 'prod-master-c02', zone: 'europe-west1-c' });
    expect(c.ok ? null : c.refusal).toMatchObject({
      code: 'ZoneUnavailable',
      message: expect.stringContaining('europe-west1-c is unreachable now'),
    });
    const add = planFor(cDown(), { kind: 'add-replica', zone: 'europe-west1-c' });
    expect(add.ok ? null : add.refusal.code).toBe('ZoneUnavailable');
  });

  it('replaces in place, with no tolerance warning, when only the replica failed', () => {
    const plan = planOf(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'refused' }, { zone: 'd' }] }), {
      kind: 'replace-replica',
      name: 'prod-master-c02',
    });
    expect(plan.steps.find((s) => s.kind === 'add-learner')?.params.zone).toBe('europe-west1-c');
    expect(plan.warnings).toEqual([]);
  });

  /** After the recovery: b holds two replicas, c is free again. */
  const paired = prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b', name: 'prod-master-r2d' }, { zone: 'd' }] });

  it('rebalances: adds in the free zone, then removes one of the pair, one plan back to one replica per zone', () => {
    const plan = planOf(paired, { kind: 'rebalance' }, { newNames: ['prod-master-k7x'] });
    expect(plan.steps.map((s) => s.kind)).toEqual([...ADD, ...REMOVE]);
    expect(plan.steps.find((s) => s.kind === 'add-learner')?.params).toMatchObject({
      name: 'prod-master-k7x',
      zone: 'europe-west1-c',
    });
    expect(plan.steps.find((s) => s.kind === 'remove-member')?.params.zone).toBe('europe-west1-b');
    expect(plan.steps[0]?.id.startsWith('1.')).toBe(true);
    expect(plan.steps.at(-1)?.id.startsWith('2.')).toBe(true);
    expect(plan.before).toMatchObject({ voters: 3, canLoseZones: 0 });
    expect(plan.after).toMatchObject({ voters: 3, canLoseReplicas: 1, canLoseZones: 1 });
    const zones = plan.steps
      .at(-1)
      ?.layoutAfter.replicas.map((r) => r.zone)
      .sort();
    expect(zones).toEqual(['europe-west1-b', 'europe-west1-c', 'europe-west1-d']);
    expect(plan.summary).toMatch(
      /^Rebalance: add a replica in europe-west1-c, then remove prod-master-(b01|r2d) from europe-west1-b$/,
    );
  });

  it('removes the replica of the pair the operator names', () => {
    const plan = planOf(paired, { kind: 'rebalance', name: 'prod-master-r2d' });
    expect(plan.steps.find((s) => s.kind === 'remove-member')?.params.name).toBe('prod-master-r2d');
  });

  const refusals: { name: string; t: () => Topology; intent: ClusterIntent; code: DomainErrorCode; says: RegExp }[] = [
    {
      name: 'one replica per zone already',
      t: () => buildTopology(prodSpec()),
      intent: { kind: 'rebalance' },
      code: 'InvalidInput',
      says: /nothing to rebalance/,
    },
    {
      name: 'the free zone is still down',
      // Its replica moved out, so the zone's NotReady nodes are the only witness left.
      t: () => zoneDown(paired),
      intent: { kind: 'rebalance', zone: 'europe-west1-c' },
      code: 'ZoneUnavailable',
      says: /europe-west1-c is unreachable now/,
    },
    {
      name: 'no free zone is reachable yet',
      t: () => zoneDown(paired),
      intent: { kind: 'rebalance' },
      code: 'ZoneUnavailable',
      says: /europe-west1-c is still unreachable; rebalance when it is back/,
    },
    {
      name: 'a zone that has a replica',
      t: () => buildTopology(paired),
      intent: { kind: 'rebalance', zone: 'europe-west1-d' },
      code: 'InvalidInput',
      says: /already runs a replica/,
    },
    {
      name: 'a replica alone in its zone',
      t: () => buildTopology(paired),
      intent: { kind: 'rebalance', name: 'prod-master-d03' },
      code: 'InvalidInput',
      says: /alone in europe-west1-d/,
    },
    {
      name: 'a voter is down',
      t: () =>
        buildTopology(
          prodSpec({
            replicas: [{ zone: 'b' }, { zone: 'b', name: 'prod-master-r2d' }, { zone: 'd', vmStatus: 'STOPPED' }],
          }),
        ),
      intent: { kind: 'rebalance' },
      code: 'VoterUnhealthy',
      says: /prod-master-d03/,
    },
    {
      name: 'two replicas in one zone',
      t: () => buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b', name: 'prod-master-r2d' }] })),
      intent: { kind: 'rebalance' },
      code: 'TwoReplicaLayout',
      says: /two replicas/,
    },
  ];
  it.each(refusals)('refuses: $name -> $code', ({ t, intent, code, says }) => {
    const r = planFor(t(), intent);
    expect(r.ok ? null : r.refusal.code).toBe(code);
    expect(r.ok ? '' : r.refusal.message).toMatch(says);
  });
});

describe('3 -> 1', () => {
  const plan = planOf(prodSpec(), { kind: 'scale', replicas: 1 });

  it('removes two replicas, then dismantles the load balancer', () => {
    const kinds = plan.steps.map((s) => s.kind);
    expect(kinds).toEqual([...REMOVE, ...REMOVE.slice(0, -1), ...LB_DOWN, 'verify']);
    expect(kinds.slice(-4)).toEqual([...LB_DOWN, 'verify']);
    expect(plan.steps.find((s) => s.kind === 'return-static-ip-to-last-replica')?.params.lastReplica).toBe(
      'prod-master-b01',
    );
    expect(plan.steps[plan.steps.length - 1]?.layoutAfter.loadBalancer).toBe(false);
  });

  it('keeps the leader and removes the others, two voters only in between', () => {
    expect(plan.summary).toBe(
      'Scale from 3 to 1 replica: remove prod-master-c02 (europe-west1-c) and prod-master-d03 (europe-west1-d)',
    );
    const transient = plan.steps.filter((s) => s.transient).map((s) => s.kind);
    expect(transient).toEqual([
      'remove-member',
      'remove-from-target-pool',
      'delete-instance',
      'delete-disk',
      'verify',
      'resolve-replica',
      'move-leadership',
      'snapshot-etcd',
    ]);
    expect(plan.after).toMatchObject({ voters: 1, healthyVoters: 1, hasQuorum: true });
  });

  it('removes an unhealthy replica first when scaling down', () => {
    const p = planOf(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] }), {
      kind: 'scale',
      replicas: 1,
    });
    expect(p.summary).toBe(
      'Scale from 3 to 1 replica: remove prod-master-c02 (europe-west1-c) and prod-master-d03 (europe-west1-d)',
    );
    expect(p.before).toMatchObject({ voters: 3, healthyVoters: 2, canLoseReplicas: 0 });
    expect(p.after).toMatchObject({ voters: 1, healthyVoters: 1, hasQuorum: true });
  });

  it('refuses a scale-down whose removals would lose quorum on the way', () => {
    const r = planFor(
      buildTopology(
        prodSpec({
          replicas: [
            { zone: 'b' },
            { zone: 'c', vmStatus: 'STOPPED' },
            { zone: 'd', vmStatus: 'STOPPED' },
            { zone: 'b' },
            { zone: 'c' },
          ],
        }),
      ),
      {
        kind: 'scale',
        replicas: 1,
        zones: ['europe-west1-b', 'europe-west1-b', 'europe-west1-c', 'europe-west1-c'],
      },
    );
    expect(r.ok ? null : r.refusal.code).toBe('QuorumAtRisk');
  });

  it('removes from the most crowded zone first when scaling down, sparing the leader on ties', () => {
    // b and c both hold two; b holds the leader (b01), so c goes first and never the leader itself.
    const p = planOf(
      prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }] }),
      { kind: 'scale', replicas: 3 },
    );
    expect(p.summary).toBe(
      'Scale from 5 to 3 replicas: remove prod-master-c02 (europe-west1-c) and prod-master-b04 (europe-west1-b)',
    );
    expect(p.after).toMatchObject({ voters: 3, canLoseZones: 1 });
  });
});

describe('kube-up commands', () => {
  const rows: { name: string; plan: () => Plan; command: string }[] = [
    {
      name: 'add',
      plan: () => planOf(prodSpec(), { kind: 'add-replica', zone: 'europe-west1-d' }),
      command:
        'PROJECT=sandbox-project KUBE_GCE_INSTANCE_PREFIX=prod KUBE_GCE_ZONE=europe-west1-d KUBE_REPLICATE_EXISTING_MASTER=true ./cluster/kube-up.sh',
    },
    {
      name: 'remove',
      plan: () =>
        planOf(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }] }), {
          kind: 'remove-replica',
          zone: 'europe-west1-c',
        }),
      command:
        'PROJECT=sandbox-project KUBE_GCE_INSTANCE_PREFIX=prod KUBE_DELETE_NODES=false KUBE_GCE_ZONE=europe-west1-c KUBE_REPLICA_NAME=prod-master-c02 ./cluster/kube-down.sh',
    },
    {
      name: 'scale 1 -> 3',
      plan: () => planOf(stagingSpec(), { kind: 'scale', replicas: 3 }),
      command:
        'PROJECT=sandbox-project KUBE_GCE_INSTANCE_PREFIX=staging KUBE_GCE_ZONE=us-central1-a KUBE_REPLICATE_EXISTING_MASTER=true ./cluster/kube-up.sh && ' +
        'PROJECT=sandbox-project KUBE_GCE_INSTANCE_PREFIX=staging KUBE_GCE_ZONE=us-central1-c KUBE_REPLICATE_EXISTING_MASTER=true ./cluster/kube-up.sh',
    },
    {
      name: 'create',
      plan: () =>
        createPlan({ kind: 'create-cluster', masterName: 'prod-master', zone: 'europe-west1-b', multizone: true }),
      command: 'KUBE_GCE_INSTANCE_PREFIX=prod MULTIZONE=true KUBE_GCE_ZONE=europe-west1-b ./cluster/kube-up.sh',
    },
    {
      name: 'create with kube-up defaults',
      plan: () =>
        createPlan({
          kind: 'create-cluster',
          masterName: 'kubernetes-master',
          zone: 'us-central1-b',
          multizone: false,
        }),
      command: 'KUBE_GCE_ZONE=us-central1-b ./cluster/kube-up.sh',
    },
  ];
  it.each(rows)('$name', ({ plan, command }) => {
    expect(plan().kubeUpCommand).toBe(command);
  });
});

function createPlan(intent: Parameters<typeof planCreateCluster>[0]['intent'], regionZones?: string[]): Plan {
  const r = planOperation({ topology: null, intent, regionZones });
  if (!r.ok) throw new Error(r.refusal.message);
  return r.plan;
}

describe('create cluster', () => {
  it('lists the steps of a first master and ends with one healthy voter', () => {
    const plan = createPlan(
      { kind: 'create-cluster', masterName: 'prod-master', zone: 'europe-west1-b', multizone: true },
      ['europe-west1-b', 'europe-west1-c'],
    );
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'create-firewall-rules',
      'reserve-static-address',
      'issue-cluster-certificates',
      'create-disk',
      'create-instance',
      'await-etcd',
      'await-api-server',
      'verify',
    ]);
    expect(plan.summary).toBe('Create cluster prod-master with one master in europe-west1-b');
    expect(plan.before.voters).toBe(0);
    expect(plan.after).toMatchObject({ voters: 1, healthyVoters: 1, hasQuorum: true });
    expect(plan.steps.find((s) => s.kind === 'create-instance')?.params).toMatchObject({ multizone: true });
  });

  const refusals: { name: string; input: Parameters<typeof planCreateCluster>[0]; code: DomainErrorCode }[] = [
    {
      name: 'bad name',
      input: { intent: { kind: 'create-cluster', masterName: 'Prod_Master', zone: 'europe-west1-b', multizone: true } },
      code: 'InvalidInput',
    },
    {
      name: 'name too long for <master>-https',
      input: {
        intent: {
          kind: 'create-cluster',
          masterName: `m${'a'.repeat(50)}-master`,
          zone: 'europe-west1-b',
          multizone: true,
        },
      },
      code: 'InvalidInput',
    },
    {
      name: 'a name kube-up does not give a master (not <prefix>-master)',
      input: { intent: { kind: 'create-cluster', masterName: 'blue', zone: 'europe-west1-b', multizone: true } },
      code: 'InvalidInput',
    },
    {
      name: 'no prefix',
      input: { intent: { kind: 'create-cluster', masterName: 'master', zone: 'europe-west1-b', multizone: true } },
      code: 'InvalidInput',
    },
    {
      name: 'bad zone',
      input: { intent: { kind: 'create-cluster', masterName: 'prod-master', zone: 'europe', multizone: true } },
      code: 'InvalidInput',
    },
    {
      name: 'zone the region lacks',
      input: {
        intent: { kind: 'create-cluster', masterName: 'prod-master', zone: 'europe-west1-a', multizone: true },
        regionZones: ['europe-west1-b'],
      },
      code: 'ZoneOutsideRegion',
    },
    {
      name: 'operation in progress',
      input: {
        intent: { kind: 'create-cluster', masterName: 'prod-master', zone: 'europe-west1-b', multizone: true },
        operationInProgress: true,
      },
      code: 'OperationInProgress',
    },
  ];
  it('names the project in the kube-up command when given', () => {
    const r = planCreateCluster({
      intent: { kind: 'create-cluster', masterName: 'blue-master', zone: 'europe-west1-c', multizone: true },
      project: 'my-project',
    });
    expect(r.ok && r.plan.kubeUpCommand).toBe(
      'PROJECT=my-project KUBE_GCE_INSTANCE_PREFIX=blue MULTIZONE=true KUBE_GCE_ZONE=europe-west1-c ./cluster/kube-up.sh',
    );
  });

  it('takes the longest master name whose firewall rule <master>-https is still a Compute Engine name', () => {
    const masterName = `m${'a'.repeat(49)}-master`;
    const r = planCreateCluster({
      intent: { kind: 'create-cluster', masterName, zone: 'europe-west1-b', multizone: true },
    });
    expect(r.ok && r.plan.steps[0]?.title).toContain(`${masterName}-https`);
    expect(`${masterName}-https`).toHaveLength(63);
  });

  it.each(refusals)('refuses: $name', ({ input, code }) => {
    const r = planCreateCluster(input);
    expect(r.ok ? null : r.refusal.code).toBe(code);
  });

  it('says why a name that is not <prefix>-master is refused, and what would do', () => {
    const r = planCreateCluster({
      intent: { kind: 'create-cluster', masterName: 'blue', zone: 'europe-west1-b', multizone: true },
    });
    expect(r.ok ? null : r.refusal.message).toMatch(
      /kube-up .*always names it <prefix>-master .*KUBE_GCE_INSTANCE_PREFIX.* like blue-master\./,
    );
  });
});

describe('backup gate', () => {
  const kindsOf = (p: Plan) => p.steps.map((s) => s.kind);

  it.each([
    {
      name: 'prod add',
      spec: prodSpec(),
      intent: { kind: 'add-replica', zone: 'europe-west1-b' } as ClusterIntent,
      before: ['add-learner'],
    },
    {
      name: 'staging 1 -> 3',
      spec: stagingSpec(),
      intent: { kind: 'scale', replicas: 3 } as ClusterIntent,
      before: ['move-first-replica-to-ephemeral-ip', 'add-learner'],
    },
    {
      name: 'prod 3 -> 1',
      spec: prodSpec(),
      intent: { kind: 'scale', replicas: 1 } as ClusterIntent,
      before: ['remove-member', 'remove-member'],
    },
    {
      name: 'prod replace',
      spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] }),
      intent: { kind: 'replace-replica', name: 'prod-master-c02' } as ClusterIntent,
      before: ['remove-member', 'add-learner'],
    },
  ])('$name: a snapshot step comes right before each group of membership changes', ({ spec, intent, before }) => {
    const kinds = kindsOf(planOf(spec, intent));
    expect(kinds.flatMap((k, i) => (k === 'snapshot-etcd' ? [kinds[i + 1]] : []))).toEqual(before);
  });

  it('takes the snapshot of a removal from a member other than the one removed', () => {
    const spec = prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }] });
    const plan = planOf(spec, { kind: 'remove-replica', zone: 'europe-west1-c', name: 'prod-master-c05' });
    const gate = plan.steps.find((s) => s.kind === 'snapshot-etcd');
    expect(gate?.params).toMatchObject({ zone: 'europe-west1-c', exclude: 'prod-master-c05' });
  });

  it('changes nothing in the layout', () => {
    const plan = planOf(prodSpec(), { kind: 'add-replica', zone: 'europe-west1-b' });
    const i = plan.steps.findIndex((s) => s.kind === 'snapshot-etcd');
    expect(plan.steps[i]?.layoutAfter).toEqual(plan.steps[i - 1]?.layoutAfter);
  });

  it('carries an override and its reason in the gate steps only, and says so in their titles', () => {
    const plain = planOf(stagingSpec(), { kind: 'scale', replicas: 3 });
    const overridden = planOf(
      stagingSpec(),
      { kind: 'scale', replicas: 3 },
      { backupGateOverride: { reason: '  disk full on the dashboard host  ' } },
    );
    expect(kindsOf(overridden)).toEqual(kindsOf(plain));
    for (const [i, step] of overridden.steps.entries()) {
      if (step.kind !== 'snapshot-etcd') {
        expect(step).toEqual(plain.steps[i]);
        continue;
      }
      expect(step.params).toMatchObject({ gateOverridden: true, overrideReason: 'disk full on the dashboard host' });
      expect(step.title).toContain('backup gate overridden: disk full on the dashboard host');
      expect(plain.steps[i]?.params.gateOverridden).toBeUndefined();
    }
  });

  it('is not part of a create', () => {
    expect(
      kindsOf(
        createPlan({ kind: 'create-cluster', masterName: 'blue-master', zone: 'europe-west1-b', multizone: true }),
      ),
    ).not.toContain('snapshot-etcd');
  });
});

it('STEP_KINDS covers every kind the plans use, once each', () => {
  expect(new Set(STEP_KINDS).size).toBe(STEP_KINDS.length);
  for (const k of [...ADD, ...LB_UP, ...REMOVE, ...LB_DOWN]) expect(STEP_KINDS).toContain(k);
});

describe('restart a failed replica in place (the lighter fix before a replacement)', () => {
  const C = 'prod-master-c02';
  const prod = (c: TopologySpec['replicas'][number]) => prodSpec({ replicas: [{ zone: 'b' }, c, { zone: 'd' }] });

  it.each<[string, TopologySpec['replicas'][number], 'start' | 'reset']>([
    ['a stopped VM is started', { zone: 'c', vmStatus: 'TERMINATED' }, 'start'],
    ['a running VM whose etcd refuses is reset', { zone: 'c', etcd: 'refused' }, 'reset'],
    ['a running VM whose API server alone is down is reset', { zone: 'c', apiServer: 'refused' }, 'reset'],
  ])('%s: no membership change, no snapshot, the same member comes back', (_what, c, action) => {
    const plan = planOf(prod(c), { kind: 'restart-replica', name: C });
    expect(plan.steps.map((s) => s.kind)).toEqual<StepKind[]>(['restart-instance', 'await-replica-rejoined', 'verify']);
    expect(plan.steps[0]?.params).toEqual({ name: C, zone: 'europe-west1-c', action });
    expect(plan.kubeUpCommand).toBe(
      `gcloud compute instances ${action} ${C} --zone europe-west1-c --project sandbox-project`,
    );
    expect(
      plan.calls.steps.flatMap((s) => s.calls).map((call) => (call.kind === 'compute' ? call.method : call.kind)),
    ).toEqual([`instances.${action}`]);
    expect(plan.after.canLoseReplicas).toBe(1);
  });

  it.each<[string, TopologySpec, DomainErrorCode]>([
    ['a healthy replica', prod({ zone: 'c' }), 'QuorumAtRisk'],
    [
      'a replica Quorum cannot get into (its key refused)',
      prod({ zone: 'c', etcd: 'noaccess', apiServer: 'noaccess' }),
      'NoAccess',
    ],
    ['a replica that is no member of etcd', prod({ zone: 'c', memberOf: [] }), 'NotFound'],
    ['a replica that does not exist', prod({ zone: 'c' }), 'NotFound'],
  ])('is refused for %s', (what, spec, code) => {
    const r = planFor(buildTopology(spec), {
      kind: 'restart-replica',
      name: what === 'a replica that does not exist' ? 'prod-master-x99' : C,
    });
    expect(r.ok ? null : r.refusal.code).toBe(code);
  });

  it('a replica only its API server keeps from being healthy is not reset while the others could not keep quorum', () => {
    const r = planFor(
      buildTopology(
        prodSpec({
          replicas: [{ zone: 'b', vmStatus: 'TERMINATED' }, { zone: 'c', apiServer: 'refused' }, { zone: 'd' }],
        }),
      ),
      { kind: 'restart-replica', name: C },
    );
    expect(r.ok ? null : r.refusal.code).toBe('QuorumAtRisk');
  });
});

describe('preview = run: names, fingerprint, estimate', () => {
  it('carries the names it gives new replicas, and its fingerprint changes when any step does', () => {
    const plan = planOf(
      stagingSpec(),
      { kind: 'scale', replicas: 3 },
      { newNames: ['staging-master-x1a', 'staging-master-x2b', 'staging-master-x3c'] },
    );
    expect(plan.newNames).toEqual(['staging-master-x1a', 'staging-master-x2b']);
    const again = planOf(stagingSpec(), { kind: 'scale', replicas: 3 }, { newNames: plan.newNames });
    expect(again.fingerprint).toBe(plan.fingerprint);
    const renamed = planOf(
      stagingSpec(),
      { kind: 'scale', replicas: 3 },
      { newNames: ['staging-master-x1a', 'staging-master-y2b'] },
    );
    expect(renamed.fingerprint).not.toBe(plan.fingerprint);
    expect(plan.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('estimates the run with the load balancer propagation it is given', () => {
    const t = buildTopology(stagingSpec());
    const r = planOperation({
      topology: t,
      assessment: assessTopology(t, NOW),
      intent: { kind: 'scale', replicas: 3 },
      operationInProgress: false,
      lbPropagationSeconds: 20,
    });
    if (!r.ok) throw new Error(r.refusal.message);
    const slow = planOperation({
      topology: t,
      assessment: assessTopology(t, NOW),
      intent: { kind: 'scale', replicas: 3 },
      operationInProgress: false,
      lbPropagationSeconds: 1200,
    });
    if (!slow.ok) throw new Error(slow.refusal.message);
    expect(slow.plan.etaSeconds - r.plan.etaSeconds).toBe(1180);
    expect(r.plan.warnings.find((w) => w.code === 'ClusterAddressUnreachable')?.message).toContain('for about 50 s');
  });
});
