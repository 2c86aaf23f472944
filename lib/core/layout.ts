// The simulated layout the planner reasons on: which replicas exist, where, whether each is an etcd voter or a
// learner and whether it is healthy, and whether a load balancer fronts them. Both etcd clusters (main and
// events) are changed together by every operation, so one layout stands for both.
import { bindMembersToReplicas, type Assessment } from './assessment';
import { hasQuorum, quorumOf, remainingFailures, zonesThatCanBeLost } from './quorum';
import type { Topology } from './topology';

export const REPLICA_ROLES = ['voter', 'learner'] as const;
export type ReplicaRole = (typeof REPLICA_ROLES)[number];

export type LayoutReplica = {
  name: string;
  zone: string;
  role: ReplicaRole;
  healthy: boolean;
};

export type Layout = {
  region: string;
  /** Zones of the cluster's region, sorted. */
  regionZones: string[];
  replicas: LayoutReplica[];
  /** A forwarding rule and a target pool front the replicas. */
  loadBalancer: boolean;
  /**
   * etcd voters no replica runs (a VM deleted without its member, an add interrupted after member add): they
   * count toward the quorum and are never healthy. The larger figure of main and events, as both change together.
   */
  strayVoters: number;
};

export type Tolerance = {
  voters: number;
  healthyVoters: number;
  /** floor(voters/2)+1 */
  quorum: number;
  /** More voters that can fail, on top of those already down, with quorum kept. */
  canLoseReplicas: number;
  /** More whole zones that can fail (worst case) with quorum kept. */
  canLoseZones: number;
  hasQuorum: boolean;
};

/**
 * The layout of an observed cluster. A replica is a learner when etcd says so in either cluster (a learner in
 * one and a voter in the other is an interrupted add, and it must not be counted on). Healthy means the
 * assessment calls it healthy: a replica whose probes timed out ('unknown') is not counted on, as in the
 * assessment's tolerance, which is a floor.
 *
 * Voting members no VM runs are counted in `strayVoters`, so they weigh on the quorum as etcd weighs them.
 */
export function layoutOf(t: Topology, a: Pick<Assessment, 'replicaHealth'>): Layout {
  // Bound as the assessment binds them (reported id, then member name, then peer URL host).
  const clusters = (['main', 'events'] as const).map((cluster) => {
    const members = t.etcd[cluster].members;
    return {
      cluster,
      members,
      bound: members ? bindMembersToReplicas(members, t.replicas, cluster) : new Map<string, string>(),
    };
  });
  const learnerIn = (name: string): boolean =>
    clusters.some(({ cluster, members, bound }) => {
      const member = members?.find((m) => bound.get(m.id) === name);
      if (member) return member.isLearner;
      const status = t.replicas.find((r) => r.name === name)?.etcd[cluster];
      return status !== undefined && status.ok && status.isLearner;
    });
  return {
    region: t.cluster.region,
    regionZones: [...t.regionZones].sort(),
    replicas: t.replicas.map((r) => ({
      name: r.name,
      zone: r.zone,
      role: learnerIn(r.name) ? 'learner' : 'voter',
      healthy: a.replicaHealth[r.name] === 'healthy',
    })),
    loadBalancer: t.forwardingRule !== null && t.targetPool !== null,
    strayVoters: Math.max(
      ...clusters.map(({ members, bound }) => (members ?? []).filter((m) => !m.isLearner && !bound.has(m.id)).length),
    ),
  };
}

export function votersOf(layout: Layout): LayoutReplica[] {
  return layout.replicas.filter((r) => r.role === 'voter');
}

/** What the layout survives. Learners do not vote, so they count for nothing here; stray voters count as down. */
export function toleranceOf(layout: Layout): Tolerance {
  const healthy = votersOf(layout).filter((r) => r.healthy);
  const voters = votersOf(layout).length + layout.strayVoters;
  const healthyByZone: Record<string, number> = {};
  for (const r of healthy) healthyByZone[r.zone] = (healthyByZone[r.zone] ?? 0) + 1;
  return {
    voters,
    healthyVoters: healthy.length,
    quorum: quorumOf(voters),
    canLoseReplicas: remainingFailures(healthy.length, voters),
    canLoseZones: zonesThatCanBeLost({ voters, healthyByZone }),
    hasQuorum: hasQuorum(healthy.length, voters),
  };
}

/** Replicas per zone, every zone of the region listed (0 when empty), plus zones outside it that hold one. */
export function replicasPerZone(layout: Layout): Map<string, number> {
  const counts = new Map<string, number>(layout.regionZones.map((z) => [z, 0]));
  for (const r of layout.replicas) counts.set(r.zone, (counts.get(r.zone) ?? 0) + 1);
  return counts;
}
