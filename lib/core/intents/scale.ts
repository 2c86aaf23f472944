// Scale to a number of replicas: adds or removals one after the other, each checked on the layout the ones before
// leave; the two-voter state inside 1 -> 3 and 3 -> 1 is marked transient on every step that leaves it.
import { partParams } from '../findings/params';
import { listOf } from '../format';
import { toleranceOf, type Layout, type LayoutReplica } from '../layout';
import type { ScaleIntent } from '../planner';
import {
  appendRemove,
  evenWarning,
  learnerRefusal,
  pickForRemoval,
  planAdds,
  plural,
  refuse,
  removalRefusal,
  removeCommand,
  twoReplicaRefusal,
  unreachableZones,
  zoneForAdd,
  type Ctx,
  type Draft,
  type IntentPlanner,
} from './context';

/** Bounds of a scale target: one replica, up to seven (etcd's recommended maximum cluster size). */
export const MIN_REPLICAS = 1;
export const MAX_REPLICAS = 7;

/** Zone to remove from: the most replicas, ties to a zone with an unhealthy replica, then one without the leader, then by name. */
function zoneForRemoval(layout: Layout, leader: string | null): string | null {
  const byZone = new Map<string, LayoutReplica[]>();
  for (const r of layout.replicas) byZone.set(r.zone, [...(byZone.get(r.zone) ?? []), r]);
  const key = (zone: string, rs: LayoutReplica[]) => ({
    zone,
    n: rs.length,
    unhealthy: rs.some((r) => !r.healthy),
    leader: rs.some((r) => r.name === leader),
  });
  const zones = [...byZone.entries()].map(([z, rs]) => key(z, rs));
  zones.sort(
    (x, y) =>
      y.n - x.n ||
      Number(y.unhealthy) - Number(x.unhealthy) ||
      Number(x.leader) - Number(y.leader) ||
      (x.zone < y.zone ? -1 : x.zone > y.zone ? 1 : 0),
  );
  return zones[0]?.zone ?? null;
}

function planScale(ctx: Ctx, start: Layout, intent: ScaleIntent): Draft {
  const current = start.replicas.length;
  const target = intent.replicas;
  if (!Number.isInteger(target) || target < MIN_REPLICAS || target > MAX_REPLICAS) {
    return refuse(
      'InvalidInput',
      `A cluster runs ${MIN_REPLICAS} to ${MAX_REPLICAS} replicas; ${target} is outside that range.`,
      // As the sentence prints it, whatever number came in (no digit grouping, decimals as they are).
      { variant: 'outOfRange', min: MIN_REPLICAS, max: MAX_REPLICAS, target: String(target) },
    );
  }
  if (target === current)
    return refuse('InvalidInput', `The cluster already runs ${plural(current, 'replica')}.`, {
      variant: 'alreadyThere',
      count: current,
    });
  const delta = Math.abs(target - current);
  if (intent.zones !== undefined && intent.zones.length !== delta) {
    return refuse(
      'InvalidInput',
      `Scaling from ${current} to ${target} ${target > current ? 'adds' : 'removes'} ${plural(delta, 'replica')}, so give ${delta} zone${delta === 1 ? '' : 's'}, not ${intent.zones.length}.`,
      {
        variant: 'zoneCount',
        current,
        target,
        direction: target > current ? 'up' : 'down',
        delta,
        given: intent.zones.length,
      },
    );
  }
  if (target === 2) return twoReplicaRefusal(current, target);
  // The target counts replicas; a learner left by an unfinished add would make it miscount voters.
  const learner = learnerRefusal(start);
  if (learner) return learner;

  if (target > current) {
    const zones: string[] = [];
    if (intent.zones) zones.push(...intent.zones);
    else {
      // Pick each zone on the layout as it will be after the adds before it.
      let sim = start;
      for (let i = 0; i < delta; i += 1) {
        const zone = zoneForAdd(sim, unreachableZones(ctx));
        if (zone === null)
          return refuse('InvalidInput', `The region ${start.region} has no zones to add replicas in.`, {
            variant: 'noZones',
            region: start.region,
          });
        zones.push(zone);
        sim = { ...sim, replicas: [...sim.replicas, { name: `+${i}`, zone, role: 'voter', healthy: true }] };
      }
    }
    return planAdds(ctx, start, intent, zones);
  }

  // Removals, one at a time, each checked against the layout the ones before it leave.
  let layout = start;
  const commands: string[] = [];
  const removed: LayoutReplica[] = [];
  for (let i = 0; i < delta; i += 1) {
    const zone = intent.zones?.[i] ?? zoneForRemoval(layout, ctx.leader);
    const inZone = zone === null ? [] : layout.replicas.filter((r) => r.zone === zone);
    const victim = pickForRemoval(inZone, ctx.leader);
    if (zone === null || !victim)
      return refuse(
        'NotFound',
        `No replica ${removed.length > 0 ? 'is left ' : 'runs '}in ${zone ?? start.region} to remove.`,
        { variant: 'noneToRemove', left: removed.length > 0, zone: zone ?? start.region },
      );
    const bad = removalRefusal(layout, victim);
    if (bad) return bad;
    ctx.prefix = `${i + 1}.`;
    layout = appendRemove(ctx, layout, victim, true);
    removed.push(victim);
    commands.push(removeCommand(ctx, victim.zone, victim.name));
  }
  const before = toleranceOf(start);
  const after = toleranceOf(layout);
  return {
    ok: true,
    plan: {
      intent,
      summary: `Scale from ${current} to ${plural(target, 'replica')}: remove ${listOf(removed.map((r) => `${r.name} (${r.zone})`))}`,
      summaryParams: {
        direction: 'down',
        current,
        target,
        ...partParams(
          'removed',
          removed.map((r) => ({ name: r.name, zone: r.zone })),
        ),
      },
      steps: ctx.steps,
      before,
      after,
      warnings: evenWarning(after),
      kubeUpCommand: commands.join(' && '),
    },
  };
}

export const scalePlanner: IntentPlanner<'scale'> = { kind: 'scale', plan: planScale };
