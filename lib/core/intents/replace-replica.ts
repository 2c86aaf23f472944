// Replace a failed replica: remove it, then add a new one, in its own zone or, when that zone is unreachable, in the
// reachable zone with the fewest replicas (with a ZoneToleranceReduced warning).
import { listOf } from '../format';
import { toleranceOf, votersOf, type Layout } from '../layout';
import type { PlanWarning, ReplaceReplicaIntent } from '../planner';
import {
  addCommand,
  appendAdd,
  appendRemove,
  evenWarning,
  learnerRefusal,
  noAccessOf,
  outsideRegion,
  plural,
  refuse,
  removalRefusal,
  removeCommand,
  unavailableZone,
  unhealthyVoterRefusal,
  unreachableZones,
  zoneForAdd,
  type Ctx,
  type Draft,
  type IntentPlanner,
} from './context';

function planReplaceReplica(ctx: Ctx, start: Layout, intent: ReplaceReplicaIntent): Draft {
  const victim = start.replicas.find((r) => r.name === intent.name);
  if (!victim)
    return refuse('NotFound', `${intent.name} is not a replica of ${ctx.masterName}.`, {
      variant: 'notReplica',
      name: intent.name,
      cluster: ctx.masterName,
    });
  // No access is Quorum's own problem, not the replica's: replacing a replica that may be fine is not a fix.
  const blocked = noAccessOf(ctx, victim.name);
  if (blocked !== null) {
    return refuse(
      'NoAccess',
      `Quorum cannot get into ${victim.name} over SSH (${blocked}), so it does not know that ${victim.name} has failed and will not replace it: fix Quorum's access first (see the cluster's findings).`,
      { variant: 'replace', name: victim.name, reason: blocked },
    );
  }
  if (intent.zone !== undefined) {
    const bad = outsideRegion(start, intent.zone) ?? unavailableZone(ctx, intent.zone);
    if (bad) return bad;
  } else if (outsideRegion(start, victim.zone)) {
    return refuse(
      'ZoneOutsideRegion',
      `${victim.name} runs in ${victim.zone}, outside the cluster's region ${start.region}, so its replacement cannot go there: add a replica in the region, then remove ${victim.name}.`,
      { variant: 'replace', name: victim.name, zone: victim.zone, region: start.region },
    );
  }
  if (votersOf(start).length === 2 && victim.role === 'voter') {
    return refuse(
      'TwoReplicaLayout',
      `The cluster would stay at two replicas, and consensus needs both of them. Scale from 1 to 3 replicas instead, after removing ${victim.name}.`,
      { variant: 'stayAtTwo', name: victim.name },
    );
  }
  // A leftover learner next to a single voter: its replacement would join as the second voter.
  if (votersOf(start).length === 1 && victim.role === 'learner') {
    return refuse(
      'TwoReplicaLayout',
      `Replacing the learner ${victim.name} would leave two voters, and consensus needs both of them. Remove ${victim.name}, then scale from 1 to 3 replicas.`,
      { variant: 'learner', name: victim.name },
    );
  }
  // The replacement joins as a learner, and etcd takes one at a time; the victim itself may be a stuck learner.
  const pending = learnerRefusal({ ...start, replicas: start.replicas.filter((r) => r.name !== victim.name) });
  if (pending) return pending;
  const removal = removalRefusal(start, victim);
  if (removal) return removal;
  ctx.prefix = '1.';
  const mid = appendRemove(ctx, start, victim, false);
  const unhealthy = unhealthyVoterRefusal(ctx, mid, victim);
  if (unhealthy) return unhealthy;
  const down = unreachableZones(ctx);
  const zone = intent.zone ?? (down.has(victim.zone) ? zoneForAdd(mid, down) : victim.zone);
  if (zone === null)
    return refuse(
      'ZoneUnavailable',
      `Every zone of ${start.region} is unreachable now; no replacement can be created.`,
      { variant: 'everyZone', region: start.region },
    );
  ctx.prefix = '2.';
  const end = appendAdd(ctx, mid, zone);
  const after = toleranceOf(end);
  const warnings: PlanWarning[] = [];
  if (zone !== victim.zone) {
    // What the same replacement in the failed replica's zone would have kept, had that zone been available.
    const inPlace = toleranceOf({
      ...end,
      replicas: end.replicas.map((r) =>
        r.zone === zone && !mid.replicas.some((m) => m.name === r.name) ? { ...r, zone: victim.zone } : r,
      ),
    });
    const sharing = mid.replicas.filter((r) => r.zone === zone).map((r) => r.name);
    const why = down.has(victim.zone)
      ? `because ${victim.zone} is unreachable`
      : `instead of its own zone ${victim.zone}`;
    if (after.canLoseZones < inPlace.canLoseZones) {
      const rebalance = ` When ${victim.zone} is ${down.has(victim.zone) ? 'back' : 'free'}, rebalance (the cluster page offers it): add a replica there, then remove one of the pair.`;
      warnings.push({
        code: 'ZoneToleranceReduced',
        message: `The replacement goes to ${zone} ${why}${sharing.length > 0 ? `, next to ${listOf(sharing)}` : ''}: the cluster will survive ${plural(after.canLoseReplicas, 'replica failure')} but only ${plural(after.canLoseZones, 'zone outage')} instead of ${inPlace.canLoseZones}, since losing ${zone} would take ${sharing.length + 1} voters at once.${rebalance}`,
        params: {
          zone,
          failedZone: victim.zone,
          cause: down.has(victim.zone) ? 'unreachable' : 'chosen',
          sharing,
          hasSharing: sharing.length > 0,
          canLoseReplicas: after.canLoseReplicas,
          canLoseZones: after.canLoseZones,
          inPlaceZones: inPlace.canLoseZones,
          voters: sharing.length + 1,
        },
      });
    }
  }
  warnings.push(...evenWarning(after));
  return {
    ok: true,
    plan: {
      intent,
      summary:
        zone === victim.zone
          ? `Replace ${victim.name} in ${victim.zone}: remove it, then add a new replica there`
          : `Replace ${victim.name} (${victim.zone}) by a new replica in ${zone}: remove it, then add the new one`,
      summaryParams: { name: victim.name, zone: victim.zone, newZone: zone, inPlace: zone === victim.zone },
      steps: ctx.steps,
      before: toleranceOf(start),
      after,
      warnings,
      kubeUpCommand: `${removeCommand(ctx, victim.zone, victim.name)} && ${addCommand(ctx, zone)}`,
    },
  };
}

export const replaceReplicaPlanner: IntentPlanner<'replace-replica'> = {
  kind: 'replace-replica',
  plan: planReplaceReplica,
};
