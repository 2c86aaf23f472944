// Layout: how many voters there are and where they are placed (zones, region).
import type { RuleFinding } from '../assessment';
import { listOf, pluralize } from '../format';
import { quorumOf, zoneLossKeepsQuorum, type ZoneLayout } from '../quorum';
import { regionOfZone } from '../topology';
import type { ClusterEval, Context, FindingRule } from './context';

/**
 * The placement as if every replica were healthy: the voters a replica backs, by zone. Members with no VM are
 * left out here; MemberWithoutVm reports them, and counting them would flag every zone at once.
 */
function placementLayout(c: ClusterEval): ZoneLayout {
  const healthyByZone: Record<string, number> = {};
  let voters = 0;
  for (const s of c.voters) {
    if (!s.replica) continue;
    voters += 1;
    healthyByZone[s.replica.zone] = (healthyByZone[s.replica.zone] ?? 0) + 1;
  }
  return { voters, healthyByZone };
}

/**
 * A zone to suggest for a new replica: a free zone of the region, else the region zone with fewest replicas; null
 * when the region lists no zone.
 */
function zoneToAdd(ctx: Context, exclude: string | null = null): string | null {
  const free = ctx.freeZones.find((z) => z !== exclude);
  if (free) return free;
  const candidates = ctx.t.regionZones.filter((z) => z !== exclude);
  const sorted = [...candidates].sort(
    (a, b) => (ctx.replicasByZone.get(a)?.length ?? 0) - (ctx.replicasByZone.get(b)?.length ?? 0),
  );
  return sorted[0] ?? null;
}

/** zoneToAdd in a sentence, and as params (`addZoneKnown` false: "a zone of <region>"). */
function addZoneOf(ctx: Context): {
  words: string;
  params: { addZone: string; addZoneKnown: boolean; region: string };
} {
  const zone = zoneToAdd(ctx);
  const region = ctx.t.cluster.region;
  return {
    words: zone ?? `a zone of ${region}`,
    params: { addZone: zone ?? '', addZoneKnown: zone !== null, region },
  };
}

function layoutFindings(ctx: Context): RuleFinding[] {
  const out: RuleFinding[] = [];
  const { t } = ctx;
  // Counts are about placement: voters a replica backs. A member without a VM is MemberWithoutVm's business,
  // and counting it here would ask the operator to add or remove replicas for the wrong reason.
  const [main] = ctx.clusters;
  const voters = main ? placementLayout(main).voters : 0;

  if (voters === 2) {
    const add = addZoneOf(ctx);
    out.push({
      code: 'TwoReplicaLayout',
      severity: 'critical',
      subject: null,
      message:
        'The cluster has two etcd voters and consensus needs both, so it is less available than a single replica: losing either one stops the control plane.',
      fix: `Add a replica in ${add.words} to reach three (Add replica wizard), or remove one to go back to a single replica (Remove replica wizard).`,
      params: add.params,
    });
  }

  for (const r of t.replicas) {
    if (regionOfZone(r.zone) === t.cluster.region) continue;
    const add = addZoneOf(ctx);
    out.push({
      code: 'ZoneOutsideRegion',
      severity: 'critical',
      subject: r.name,
      message: `Replica ${r.name} runs in ${r.zone}, outside the cluster's region ${t.cluster.region}, so the regional load balancer cannot send it traffic and every etcd write waits on a cross-region round trip.`,
      fix: `Add a replica in ${add.words} (Add replica wizard), then remove ${r.name} (Remove replica wizard).`,
      params: { replica: r.name, zone: r.zone, ...add.params },
    });
  }

  // Placement: a zone whose outage alone loses quorum when everything else is up. Two voters are covered by
  // TwoReplicaLayout and a single replica by its tolerance of 0, so only three or more voters are checked.
  const holding = new Map<string, { inZone: number; voters: number }>();
  for (const c of ctx.clusters) {
    const layout = placementLayout(c);
    if (layout.voters < 3) continue;
    for (const zone of Object.keys(layout.healthyByZone).sort()) {
      if (zoneLossKeepsQuorum(layout, zone) || holding.has(zone)) continue;
      holding.set(zone, { inZone: layout.healthyByZone[zone] ?? 0, voters: layout.voters });
    }
  }
  for (const [zone, { inZone, voters: v }] of holding) {
    const free = ctx.freeZones.find((z) => z !== zone);
    const removalSuffices = 2 * inZone <= v && v - 1 >= 3;
    const remedy = free ? 'rebalance' : removalSuffices ? 'remove' : 'addOrRemove';
    out.push({
      code: 'ZoneHoldsQuorum',
      severity: 'critical',
      subject: zone,
      message: `Zone ${zone} holds ${inZone} of the ${v} etcd voters, so an outage of that one zone loses quorum and stops the control plane.`,
      fix: free
        ? `Move a replica out of ${zone}: rebalance (one operation: add a replica in ${free}, then remove one in ${zone}).`
        : removalSuffices
          ? `Remove one replica in ${zone} (Remove replica wizard), so that the remaining ${v - 1} voters survive the loss of any zone.`
          : `Add replicas in other zones of ${t.cluster.region} (Add replica wizard), or remove replicas in ${zone} (Remove replica wizard), until ${zone} holds fewer than half of the voters.`,
      params: {
        zone,
        inZone,
        voters: v,
        remedy,
        freeZone: free ?? '',
        remaining: v - 1,
        region: t.cluster.region,
      },
      ...(free && (ctx.replicasByZone.get(zone)?.length ?? 0) >= 2
        ? { action: { kind: 'rebalance' as const, zone: free } }
        : {}),
    });
  }

  if (voters >= 4 && voters % 2 === 0) {
    const crowded =
      [...ctx.replicasByZone.entries()].sort((a, b) => b[1].length - a[1].length)[0]?.[0] ?? t.cluster.region;
    const add = addZoneOf(ctx);
    out.push({
      code: 'EvenReplicaCount',
      severity: 'warning',
      subject: null,
      message: `The cluster has ${voters} etcd voters, which tolerate ${pluralize(voters - quorumOf(voters), 'failure')} like ${voters - 1} would, while every write needs ${quorumOf(voters)} members instead of ${quorumOf(voters - 1)}.`,
      fix: `Remove a replica in ${crowded} (Remove replica wizard) to run ${voters - 1}, or add one in ${add.words} (Add replica wizard) to run ${voters + 1}.`,
      params: {
        voters,
        tolerated: voters - quorumOf(voters),
        fewer: voters - 1,
        more: voters + 1,
        quorum: quorumOf(voters),
        fewerQuorum: quorumOf(voters - 1),
        crowdedZone: crowded,
        ...add.params,
      },
    });
  }

  if (ctx.freeZones.length > 0) {
    for (const [zone, replicas] of ctx.replicasByZone) {
      if (replicas.length < 2) continue;
      const moves = Math.min(replicas.length - 1, ctx.freeZones.length);
      const targets = ctx.freeZones.slice(0, moves);
      out.push({
        code: 'ZoneShared',
        severity: 'warning',
        subject: zone,
        message: `Zone ${zone} runs ${replicas.length} replicas while ${listOf(ctx.freeZones)} ${ctx.freeZones.length === 1 ? 'has' : 'have'} none, so one zone outage takes down ${replicas.length} replicas at once.`,
        fix:
          moves === 1
            ? `Move a replica from ${zone} to ${listOf(targets)}: rebalance (one operation: add a replica in ${listOf(targets)}, then remove one in ${zone}).`
            : `Move ${moves} replicas from ${zone} to ${listOf(targets)}, one at a time: rebalance (add a replica in a free zone, then remove one in ${zone}), then again.`,
        action: { kind: 'rebalance', zone: targets[0] ?? '' },
        params: {
          zone,
          replicas: replicas.length,
          freeZones: ctx.freeZones,
          freeZoneCount: ctx.freeZones.length,
          moves,
          targets,
        },
      });
    }
  }
  return out;
}

export const layoutRule: FindingRule = {
  name: 'layout',
  codes: ['TwoReplicaLayout', 'ZoneOutsideRegion', 'ZoneHoldsQuorum', 'EvenReplicaCount', 'ZoneShared'],
  evaluate: layoutFindings,
};
