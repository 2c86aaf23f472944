// Remove one replica of a zone: the named one, or the one the planner picks (pickForRemoval), with the backup gate
// right before its member leaves, and the load balancer dismantled when one replica is left.
import { toleranceOf, votersOf, type Layout, type LayoutReplica } from '../layout';
import type { RemoveReplicaIntent } from '../planner';
import {
  appendRemove,
  evenWarning,
  outsideRegion,
  pickForRemoval,
  refuse,
  removalRefusal,
  removeCommand,
  twoReplicaRefusal,
  type Ctx,
  type Draft,
  type IntentPlanner,
} from './context';

function planRemoveReplica(ctx: Ctx, start: Layout, intent: RemoveReplicaIntent): Draft {
  const inZone = start.replicas.filter((r) => r.zone === intent.zone);
  if (inZone.length === 0) {
    // A replica outside the region may be removed (the assessment asks for it), so this is checked only here.
    const bad = outsideRegion(start, intent.zone);
    if (bad) return bad;
    return refuse('NotFound', `No replica of ${ctx.masterName} runs in ${intent.zone}.`);
  }
  let victim: LayoutReplica | null;
  if (intent.name !== undefined) {
    victim = inZone.find((r) => r.name === intent.name) ?? null;
    if (!victim) {
      const elsewhere = start.replicas.find((r) => r.name === intent.name);
      return refuse(
        'NotFound',
        elsewhere
          ? `${intent.name} runs in ${elsewhere.zone}, not in ${intent.zone}.`
          : `${intent.name} is not a replica of ${ctx.masterName} in ${intent.zone}.`,
      );
    }
  } else {
    victim = pickForRemoval(inZone, ctx.leader);
  }
  if (!victim) return refuse('NotFound', `No replica runs in ${intent.zone}.`);
  // Counted in voters: removing a leftover learner is clean-up, not a step down to two replicas.
  if (victim.role === 'voter' && votersOf(start).length === 3) return twoReplicaRefusal(3, 2);
  const bad = removalRefusal(start, victim);
  if (bad) return bad;
  const end = appendRemove(ctx, start, victim, intent.name === undefined);
  const before = toleranceOf(start);
  const after = toleranceOf(end);
  return {
    ok: true,
    plan: {
      intent,
      summary: `Remove ${victim.name} from ${victim.zone}${intent.name === undefined ? ` (picked: ${pickReason(victim, inZone.length, ctx.leader)})` : ''}`,
      steps: ctx.steps,
      before,
      after,
      warnings: evenWarning(after),
      kubeUpCommand: removeCommand(ctx, victim.zone, victim.name),
    },
  };
}

function pickReason(r: LayoutReplica, candidates: number, leader: string | null): string {
  if (candidates === 1) return 'the only replica in the zone';
  if (!r.healthy) return 'it is not healthy';
  if (r.name !== leader) return 'it does not lead etcd';
  return 'first by name';
}

export const removeReplicaPlanner: IntentPlanner<'remove-replica'> = {
  kind: 'remove-replica',
  plan: planRemoveReplica,
};
