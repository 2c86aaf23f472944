import { describe, expect, it } from 'vitest';
import { assessTopology } from '../assessment';
import { INTENT_KINDS, planOperation, type ClusterIntent } from '../planner';
import { NOW, buildTopology, prodSpec, stagingSpec } from '../testing/topology-builder';
import type { Topology } from '../topology';
import { INTENT_PLANNERS, type ClusterIntentKind } from './index';
import { draftOf } from '../testing/intent-planning';

/** create-cluster has no topology to plan on: planOperation hands it to planCreateCluster instead. */
const CLUSTER_INTENT_KINDS = INTENT_KINDS.filter((k): k is ClusterIntentKind => k !== 'create-cluster');

const stopped = (zone: string) =>
  buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone, vmStatus: 'TERMINATED' }, { zone: 'd' }] }));

/** One intent of each kind that plans (a Record, so a new kind needs its sample here). */
const samples: { [K in ClusterIntentKind]: { t: () => Topology; intent: Extract<ClusterIntent, { kind: K }> } } = {
  'add-replica': { t: () => buildTopology(prodSpec()), intent: { kind: 'add-replica', zone: 'europe-west1-d' } },
  'remove-replica': {
    t: () => buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }] })),
    intent: { kind: 'remove-replica', zone: 'europe-west1-b' },
  },
  'replace-replica': { t: () => stopped('c'), intent: { kind: 'replace-replica', name: 'prod-master-c02' } },
  'restart-replica': { t: () => stopped('c'), intent: { kind: 'restart-replica', name: 'prod-master-c02' } },
  rebalance: {
    t: () => buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'd' }] })),
    intent: { kind: 'rebalance' },
  },
  scale: { t: () => buildTopology(stagingSpec()), intent: { kind: 'scale', replicas: 3 } },
};

describe('INTENT_PLANNERS', () => {
  it('has one entry per intent kind that plans on a cluster, and none for create-cluster', () => {
    expect(Object.keys(INTENT_PLANNERS).sort()).toEqual([...CLUSTER_INTENT_KINDS].sort());
    expect(INTENT_PLANNERS).not.toHaveProperty('create-cluster');
  });

  it.each(CLUSTER_INTENT_KINDS)('%s: its planner is of its own kind, and serves no other', (kind) => {
    const planner = INTENT_PLANNERS[kind];
    expect(planner.kind).toBe(kind);
    expect(Object.values(INTENT_PLANNERS).filter((p) => p === planner)).toHaveLength(1);
  });

  it.each(CLUSTER_INTENT_KINDS)('%s: planOperation plans it with that planner', (kind) => {
    const { viaEntry, viaPlanner } = plansOf(kind);
    // A sample that does not plan would make this pass on two equal refusals.
    if (!viaEntry.ok) throw new Error(`${kind} sample refused: ${viaEntry.refusal.message}`);
    expect(viaPlanner.ok && viaPlanner.plan.steps).toEqual(viaEntry.plan.steps);
    expect(viaPlanner.ok && viaPlanner.plan.summary).toBe(viaEntry.plan.summary);
  });
});

/** The sample of `kind` planned through planOperation, and by its registry entry alone. */
function plansOf<K extends ClusterIntentKind>(kind: K) {
  const { t, intent } = samples[kind];
  const topology = t();
  const viaEntry = planOperation({
    topology,
    assessment: assessTopology(topology, NOW),
    intent,
    operationInProgress: false,
  });
  return { viaEntry, viaPlanner: draftOf(INTENT_PLANNERS[kind], topology, intent) };
}
