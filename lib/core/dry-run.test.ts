import { describe, expect, it } from 'vitest';
import { assessTopology } from './assessment';
import { callLine, parsePlanCalls, withNamesChosen, type PlanCalls } from './dry-run';
import { planCreateCluster, planOperation, type ClusterIntent, type Plan } from './planner';
import { NOW, STATIC_IP, buildTopology, prodSpec, stagingSpec, type TopologySpec } from './testing/topology-builder';

const P = 'sandbox-project';

function planOf(spec: TopologySpec, intent: ClusterIntent, newNames?: string[]): Plan {
  const t = buildTopology(spec);
  const r = planOperation({
    topology: t,
    assessment: assessTopology(t, NOW),
    intent,
    operationInProgress: false,
    ...(newNames ? { newNames } : {}),
  });
  if (!r.ok) throw new Error(`refused: ${r.refusal.message}`);
  return r.plan;
}

/** Step kind -> its calls in one line each; steps without calls left out. */
const byStep = (calls: PlanCalls) =>
  calls.steps.filter((s) => s.calls.length > 0).map((s) => [s.kind, s.calls.map(callLine)] as const);

describe('listPlanCalls', () => {
  it('lists an add on prod (load balancer in place): snapshot, learner, disk, instance with its metadata and key, pool, promote', () => {
    const plan = planOf(prodSpec(), { kind: 'add-replica', zone: 'europe-west1-b' }, ['prod-master-xyz']);
    expect(plan.calls.chosenAtRunTime).toEqual([]);
    // b01 leads both clusters (the builder's first voter), so the snapshots come from the first follower.
    expect(byStep(plan.calls)).toEqual([
      ['snapshot-etcd', ['etcd Snapshot main etcd-prod-master-c02', 'etcd Snapshot events etcd-prod-master-c02']],
      [
        'add-learner',
        ['etcd MemberAddAsLearner main etcd-prod-master-xyz', 'etcd MemberAddAsLearner events etcd-prod-master-xyz'],
      ],
      ['create-disk', [`compute disks.insert ${P}/europe-west1-b/prod-master-xyz-pd`]],
      [
        'create-instance',
        [
          `compute instances.insert ${P}/europe-west1-b/prod-master-xyz`,
          `metadata ${P}/europe-west1-b/prod-master-xyz kube-env,kube-master-certs,ssh-keys`,
          `ssh-key ${P}/europe-west1-b/prod-master-xyz`,
        ],
      ],
      ['add-to-target-pool', [`compute targetPools.addInstance ${P}/europe-west1/prod-master`]],
      [
        'promote-learner',
        ['etcd MemberPromote main etcd-prod-master-xyz', 'etcd MemberPromote events etcd-prod-master-xyz'],
      ],
    ]);
    // Every step is listed, those that only read or wait with no calls.
    expect(plan.calls.steps.map((s) => s.stepId)).toEqual(plan.steps.map((s) => s.id));
  });

  it('moves leadership only in the clusters the victim leads, and snapshots from another voter', () => {
    const leader = planOf(
      prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }] }),
      {
        kind: 'remove-replica',
        zone: 'europe-west1-b',
        name: 'prod-master-b01',
      },
    );
    expect(byStep(leader.calls)).toEqual([
      ['move-leadership', ['etcd MoveLeader main etcd-prod-master-b01', 'etcd MoveLeader events etcd-prod-master-b01']],
      ['snapshot-etcd', ['etcd Snapshot main etcd-prod-master-b04', 'etcd Snapshot events etcd-prod-master-b04']],
      [
        'remove-member',
        ['etcd MemberRemove main etcd-prod-master-b01', 'etcd MemberRemove events etcd-prod-master-b01'],
      ],
      ['remove-from-target-pool', [`compute targetPools.removeInstance ${P}/europe-west1/prod-master`]],
      ['delete-instance', [`compute instances.delete ${P}/europe-west1-b/prod-master-b01`]],
      ['delete-disk', [`compute disks.delete ${P}/europe-west1-b/prod-master-b01-pd`]],
    ]);
    expect(leader.calls.steps.find((s) => s.kind === 'move-leadership')?.calls[0]).toMatchObject({
      when: expect.stringContaining('leads etcd main now'),
    });
    const follower = planOf(
      prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }] }),
      {
        kind: 'remove-replica',
        zone: 'europe-west1-b',
        name: 'prod-master-b04',
      },
    );
    expect(follower.calls.steps.find((s) => s.kind === 'move-leadership')?.calls).toEqual([]);
  });

  it('a member that a cluster does not list is not removed from it', () => {
    const plan = planOf(
      prodSpec({
        replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'd', memberOf: ['main'] }, { zone: 'b' }],
      }),
      {
        kind: 'remove-replica',
        zone: 'europe-west1-d',
        name: 'prod-master-d04',
      },
    );
    expect(plan.calls.steps.find((s) => s.kind === 'remove-member')?.calls.map(callLine)).toEqual([
      'etcd MemberRemove main etcd-prod-master-d04',
    ]);
  });

  it('scales 1 -> 3 behind a new load balancer: the static IP leaves the first replica, the pool and rule come, two adds', () => {
    const plan = planOf(stagingSpec(), { kind: 'scale', replicas: 3 }, ['staging-master-aaa', 'staging-master-bbb']);
    const compute = plan.calls.steps.flatMap((s) => s.calls.filter((c) => c.kind === 'compute').map(callLine));
    expect(compute).toEqual([
      `compute instances.deleteAccessConfig ${P}/us-central1-b/staging-master-b01`,
      `compute instances.addAccessConfig ${P}/us-central1-b/staging-master-b01`,
      `compute targetPools.insert ${P}/us-central1/staging-master`,
      `compute forwardingRules.insert ${P}/us-central1/staging-master`,
      `compute disks.insert ${P}/us-central1-a/staging-master-aaa-pd`,
      `compute instances.insert ${P}/us-central1-a/staging-master-aaa`,
      `compute targetPools.addInstance ${P}/us-central1/staging-master`,
      `compute disks.insert ${P}/us-central1-c/staging-master-bbb-pd`,
      `compute instances.insert ${P}/us-central1-c/staging-master-bbb`,
      `compute targetPools.addInstance ${P}/us-central1/staging-master`,
    ]);
    // The second add's snapshot may come from the first new replica, a voter by then (followers first, by name).
    const snapshots = plan.calls.steps.filter((s) => s.kind === 'snapshot-etcd').map((s) => s.calls.map(callLine)[0]);
    expect(snapshots).toEqual([
      'etcd Snapshot main etcd-staging-master-b01',
      'etcd Snapshot main etcd-staging-master-aaa',
    ]);
  });

  it('a first replica that no longer holds the static IP keeps its address', () => {
    const plan = planOf(stagingSpec({ staticAddress: 'none' }), { kind: 'scale', replicas: 3 }, [
      'staging-master-aaa',
      'staging-master-bbb',
    ]);
    expect(plan.calls.steps.find((s) => s.kind === 'move-first-replica-to-ephemeral-ip')?.calls).toEqual([]);
  });

  it('scales 3 -> 1: the last removal deletes the rule, gives the static IP back and deletes the pool', () => {
    const plan = planOf(stagingSpec({ replicas: [{ zone: 'b' }, { zone: 'a' }, { zone: 'c' }] }), {
      kind: 'scale',
      replicas: 1,
    });
    const last = plan.calls.steps.slice(plan.calls.steps.findLastIndex((s) => s.kind === 'resolve-replica'));
    expect(
      byStep({ steps: last, chosenAtRunTime: [] }).filter(([k]) =>
        ['delete-forwarding-rule', 'return-static-ip-to-last-replica', 'delete-target-pool'].includes(k),
      ),
    ).toEqual([
      ['delete-forwarding-rule', [`compute forwardingRules.delete ${P}/us-central1/staging-master`]],
      [
        'return-static-ip-to-last-replica',
        [
          `compute instances.deleteAccessConfig ${P}/us-central1-b/staging-master-b01`,
          `compute instances.addAccessConfig ${P}/us-central1-b/staging-master-b01`,
        ],
      ],
      ['delete-target-pool', [`compute targetPools.delete ${P}/us-central1/staging-master`]],
    ]);
    expect(last.find((s) => s.kind === 'return-static-ip-to-last-replica')?.calls[1]).toMatchObject({
      detail: `the static IP ${STATIC_IP}`,
    });
  });

  it('keeps a name picked at run time as its placeholder, and substitutes the name the run picked', () => {
    const plan = planOf(prodSpec(), { kind: 'add-replica', zone: 'europe-west1-c' });
    expect(plan.calls.chosenAtRunTime).toEqual(['prod-master-???']);
    const lines = plan.calls.steps.flatMap((s) => s.calls.map(callLine));
    expect(lines).toContain(`compute instances.insert ${P}/europe-west1-c/prod-master-???`);
    const chosen = withNamesChosen(plan.calls, { 'prod-master-???': 'prod-master-q7z' });
    expect(chosen.chosenAtRunTime).toEqual([]);
    expect(chosen.steps.flatMap((s) => s.calls.map(callLine))).toEqual(
      lines.map((l) => l.replaceAll('prod-master-???', 'prod-master-q7z')),
    );
  });

  it('substitutes the longer placeholder first (-???-2 is not -??? followed by -2)', () => {
    const plan = planOf(stagingSpec(), { kind: 'scale', replicas: 3 });
    expect(plan.calls.chosenAtRunTime).toEqual(['staging-master-???', 'staging-master-???-2']);
    const chosen = withNamesChosen(plan.calls, {
      'staging-master-???': 'staging-master-one',
      'staging-master-???-2': 'staging-master-two',
    });
    const inserts = chosen.steps.flatMap((s) =>
      s.calls.filter((c) => c.kind === 'compute' && c.method === 'instances.insert').map(callLine),
    );
    expect(inserts).toEqual([
      `compute instances.insert ${P}/us-central1-a/staging-master-one`,
      `compute instances.insert ${P}/us-central1-c/staging-master-two`,
    ]);
  });

  it('lists a create: firewall rules, static address, disk, first master, and the key published when Quorum first gets in', () => {
    const r = planCreateCluster({
      intent: { kind: 'create-cluster', masterName: 'dev-master', zone: 'us-east1-b', multizone: true },
      project: P,
    });
    if (!r.ok) throw new Error(r.refusal.message);
    expect(byStep(r.plan.calls)).toEqual([
      [
        'create-firewall-rules',
        [
          `compute firewalls.insert ${P}/global/dev-master-etcd`,
          `compute firewalls.insert ${P}/global/dev-master-https`,
        ],
      ],
      ['reserve-static-address', [`compute addresses.insert ${P}/us-east1/dev-master-ip`]],
      ['create-disk', [`compute disks.insert ${P}/us-east1-b/dev-master-pd`]],
      [
        'create-instance',
        [
          `compute instances.insert ${P}/us-east1-b/dev-master`,
          `metadata ${P}/us-east1-b/dev-master kube-env,kube-master-certs,cluster-name,cluster-location`,
        ],
      ],
      [
        'await-etcd',
        [
          `compute instances.setMetadata ${P}/us-east1-b/dev-master`,
          `metadata ${P}/us-east1-b/dev-master ssh-keys`,
          `ssh-key ${P}/us-east1-b/dev-master`,
        ],
      ],
    ]);
  });
});

describe('parsePlanCalls', () => {
  it('reads back a stored list as it was, and nothing from an operation stored before dry runs', () => {
    const plan = planOf(stagingSpec({ replicas: [{ zone: 'b' }, { zone: 'a' }, { zone: 'c' }] }), {
      kind: 'scale',
      replicas: 1,
    });
    expect(parsePlanCalls(JSON.parse(JSON.stringify(plan.calls)))).toEqual(plan.calls);
    expect(parsePlanCalls(undefined)).toBeNull();
    expect(
      parsePlanCalls({
        steps: [{ stepId: 'x', kind: 'verify', title: 't', calls: [{ kind: 'etcd', call: 'Compact' }] }],
        chosenAtRunTime: [],
      }),
    ).toBeNull();
  });
});
