// Quorum and zone math for one etcd cluster (reference/ha-masters.md, "etcd facts"). Pure arithmetic on counts:
// which members are voters and which are healthy is decided by the assessment, not here.

/** Votes needed for a decision among `voters` voting members: floor(n/2)+1 (1 for an empty cluster). */
export function quorumOf(voters: number): number {
  return Math.floor(Math.max(0, voters) / 2) + 1;
}

/** Failures `voters` members tolerate when all are healthy: 1 -> 0, 2 -> 0, 3 -> 1, 4 -> 1, 5 -> 2. */
export function faultTolerance(voters: number): number {
  return Math.max(0, voters - quorumOf(voters));
}

export function hasQuorum(healthyVoters: number, voters: number): boolean {
  return voters > 0 && healthyVoters >= quorumOf(voters);
}

/** How many more voters can fail now, on top of those already down; 0 when quorum is already lost. */
export function remainingFailures(healthyVoters: number, voters: number): number {
  if (voters <= 0) return 0;
  return Math.max(0, healthyVoters - quorumOf(voters));
}

/**
 * The voters of one etcd cluster laid out over zones. `voters` (healthy or not) sets the quorum;
 * `healthyByZone` says where the healthy ones run. Zones with no healthy voter may be listed with 0 or left out.
 */
export type ZoneLayout = {
  voters: number;
  healthyByZone: Readonly<Record<string, number>>;
};

export function healthyVotersOf(layout: ZoneLayout): number {
  return Object.values(layout.healthyByZone).reduce((sum, n) => sum + Math.max(0, n), 0);
}

/** Whether quorum holds after losing `zone` on top of what is already down (false when it is already lost). */
export function zoneLossKeepsQuorum(layout: ZoneLayout, zone: string): boolean {
  const inZone = Math.max(0, layout.healthyByZone[zone] ?? 0);
  return hasQuorum(healthyVotersOf(layout) - inZone, layout.voters);
}

/**
 * How many more whole zones can be lost, whichever they are, with quorum kept: the worst case loses the zones
 * holding the most healthy voters first, so count how many of the biggest can go before quorum is gone.
 */
export function zonesThatCanBeLost(layout: ZoneLayout): number {
  const sizes = Object.values(layout.healthyByZone)
    .map((n) => Math.max(0, n))
    .sort((a, b) => b - a);
  let remaining = healthyVotersOf(layout);
  let lost = 0;
  for (const size of sizes) {
    if (!hasQuorum(remaining - size, layout.voters)) break;
    remaining -= size;
    lost += 1;
  }
  return lost;
}

/** Zones whose loss alone would lose quorum, while quorum holds now. Empty when quorum is already lost. */
export function zonesHoldingQuorum(layout: ZoneLayout): string[] {
  if (!hasQuorum(healthyVotersOf(layout), layout.voters)) return [];
  return Object.keys(layout.healthyByZone)
    .filter((zone) => !zoneLossKeepsQuorum(layout, zone))
    .sort();
}
