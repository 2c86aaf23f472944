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
    return refuse('NotFound', `No replica of ${ctx.masterName} runs in ${intent.zone}.`, {
      variant: 'noneInZone',
      cluster: ctx.masterName,
      zone: intent.zone,
    });
  }
  let victim: LayoutReplica | null;
  if (intent.name !== undefined) {
    victim = inZone.find((r) => r.name === intent.name) ?? null;
    if (!victim) {
      const elsewhere = start.replicas.find((r) => r.name === intent.name);
      return elsewhere
        ? refuse('NotFound', `${intent.name} runs in ${elsewhere.zone}, not in ${intent.zone}.`, {
            variant: 'elsewhere',
            name: intent.name,
            zone: elsewhere.zone,
            asked: intent.zone,
          })
        : refuse('NotFound', `${intent.name} is not a replica of ${ctx.masterName} in ${intent.zone}.`, {
            variant: 'notInZone',
            name: intent.name,
            cluster: ctx.masterName,
            zone: intent.zone,
          });
    }
  } else {
    victim = pickForRemoval(inZone, ctx.leader);
  }
  // Defensive: pickForRemoval always picks from a zone that has a replica, so this sentence has no params.
  if (!victim) return refuse('NotFound', `No replica runs in ${intent.zone}.`);
  // Counted in voters: removing a leftover learner is clean-up, not a step down to two replicas.
  if (victim.role === 'voter' && votersOf(start).length === 3) return twoReplicaRefusal(3, 2);
  const bad = removalRefusal(start, victim);
  if (bad) return bad;
  const end = appendRemove(ctx, start, victim, intent.name === undefined);
  const before = toleranceOf(start);
  const after = toleranceOf(end);
  const picked = intent.name === undefined ? pickReason(victim, inZone.length, ctx.leader) : null;
  return {
    ok: true,
    plan: {
      intent,
      summary: `Remove ${victim.name} from ${victim.zone}${picked ? ` (picked: ${PICK_REASONS[picked]})` : ''}`,
      summaryParams: { name: victim.name, zone: victim.zone, picked: picked ?? 'named' },
      steps: ctx.steps,
      before,
      after,
      warnings: evenWarning(after),
      kubeUpCommand: removeCommand(ctx, victim.zone, victim.name),
    },
  };
}

const PICK_REASONS = {
  onlyOne: 'the only replica in the zone',
  unhealthy: 'it is not healthy',
  notLeader: 'it does not lead etcd',
  byName: 'first by name',
} as const;

/** Why the planner picked `r` (a key of PICK_REASONS, as the catalog's `picked` select names it). */
function pickReason(r: LayoutReplica, candidates: number, leader: string | null): keyof typeof PICK_REASONS {
  if (candidates === 1) return 'onlyOne';
  if (!r.healthy) return 'unhealthy';
  if (r.name !== leader) return 'notLeader';
  return 'byName';
}

export const removeReplicaPlanner: IntentPlanner<'remove-replica'> = {
  kind: 'remove-replica',
  plan: planRemoveReplica,
};
