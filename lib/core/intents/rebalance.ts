// Rebalance: undo a zone shared by two replicas (left by a recovery during an outage) by adding a replica in a free
// zone, then removing one of the pair, each checked like its own plan.
import { listOf } from '../format';
import { replicasPerZone, toleranceOf, votersOf, type Layout, type LayoutReplica } from '../layout';
import type { RebalanceIntent } from '../planner';
import {
  addCommand,
  appendRemove,
  evenWarning,
  outsideRegion,
  pickForRemoval,
  planAdds,
  refuse,
  removalRefusal,
  removeCommand,
  twoReplicaRefusal,
  unavailableZone,
  unreachableZones,
  type Ctx,
  type Draft,
  type IntentPlanner,
} from './context';

function planRebalance(ctx: Ctx, start: Layout, intent: RebalanceIntent): Draft {
  const counts = replicasPerZone(start);
  const crowded = [...counts.entries()].filter(([, n]) => n >= 2).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  if (crowded.length === 0)
    return refuse(
      'InvalidInput',
      `No zone runs more than one replica of ${ctx.masterName}; there is nothing to rebalance.`,
      { variant: 'nothingToRebalance', cluster: ctx.masterName },
    );
  if (votersOf(start).length === 2) return twoReplicaRefusal(2, 2);
  const down = unreachableZones(ctx);
  let zone: string;
  if (intent.zone !== undefined) {
    const bad = outsideRegion(start, intent.zone) ?? unavailableZone(ctx, intent.zone);
    if (bad) return bad;
    if ((counts.get(intent.zone) ?? 0) > 0)
      return refuse('InvalidInput', `${intent.zone} already runs a replica; rebalance into a zone that has none.`, {
        variant: 'zoneTaken',
        zone: intent.zone,
      });
    zone = intent.zone;
  } else {
    const free = start.regionZones.filter((z) => (counts.get(z) ?? 0) === 0);
    const reachable = free.find((z) => !down.has(z));
    if (reachable === undefined) {
      return free.length > 0
        ? refuse(
            'ZoneUnavailable',
            `${listOf(free)} ${free.length === 1 ? 'is' : 'are'} still unreachable; rebalance when ${free.length === 1 ? 'it is' : 'one is'} back.`,
            { variant: 'freeZones', zones: free, count: free.length },
          )
        : refuse(
            'InvalidInput',
            `Every zone of ${start.region} already runs a replica, so no replica can move to a free zone.`,
            { variant: 'noFreeZone', region: start.region },
          );
    }
    zone = reachable;
  }
  let victim: LayoutReplica | null;
  if (intent.name !== undefined) {
    victim = start.replicas.find((r) => r.name === intent.name) ?? null;
    if (!victim)
      return refuse('NotFound', `${intent.name} is not a replica of ${ctx.masterName}.`, {
        variant: 'notReplica',
        name: intent.name,
        cluster: ctx.masterName,
      });
    if ((counts.get(victim.zone) ?? 0) < 2)
      return refuse(
        'InvalidInput',
        `${victim.name} is alone in ${victim.zone}; rebalance removes one of the replicas that share a zone.`,
        { variant: 'alone', name: victim.name, zone: victim.zone },
      );
  } else {
    const from = crowded[0]?.[0] ?? '';
    victim = pickForRemoval(
      start.replicas.filter((r) => r.zone === from),
      ctx.leader,
    );
  }
  // Defensive: a crowded zone has two replicas to pick from, so this sentence has no params.
  if (!victim) return refuse('NotFound', `No replica to move.`);
  ctx.prefix = '1.';
  const added = planAdds(ctx, start, intent, [zone]);
  if (!added.ok) return added;
  const mid = added.plan.steps.at(-1)?.layoutAfter ?? start;
  const bad = removalRefusal(mid, victim);
  if (bad) return bad;
  ctx.prefix = '2.';
  const end = appendRemove(ctx, mid, victim, intent.name === undefined);
  const after = toleranceOf(end);
  return {
    ok: true,
    plan: {
      intent,
      summary: `Rebalance: add a replica in ${zone}, then remove ${victim.name} from ${victim.zone}`,
      summaryParams: { newZone: zone, name: victim.name, zone: victim.zone },
      steps: ctx.steps,
      before: toleranceOf(start),
      after,
      warnings: evenWarning(after),
      kubeUpCommand: `${addCommand(ctx, zone)} && ${removeCommand(ctx, victim.zone, victim.name)}`,
    },
  };
}

export const rebalancePlanner: IntentPlanner<'rebalance'> = { kind: 'rebalance', plan: planRebalance };
