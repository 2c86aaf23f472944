import 'server-only';
import type { RefreshPace } from '@/lib/core/rate-limit';
import { clusterId, type ClusterRef } from '@/lib/core/topology';
import type { ClusterView, FleetView } from '@/lib/core/view';
import { container, type Container } from '@/lib/server/container';
import { describeError } from '@/lib/server/describe-error';
import { isKnownCluster, knownClusterRef, unknownClusterMessage } from '@/lib/server/known-clusters';
import { Feed, feedFor } from '@/lib/server/live/feed';
import { clusterFeedKey, FLEET_FEED_KEY } from '@/lib/server/live/feed-keys';
import { readTimeline } from '@/lib/server/monitor/timeline-recorder';
import { TIMELINE_DAYS, type TimelineEntry, type TimelineOperation } from '@/lib/core/timeline';
import { observeClusterView, observeFleet } from '@/lib/server/services/observe-fleet';

// What pages and route handlers read: one observation, or a live feed of them.

/**
 * How long a live feed waits between two observations (probes through the tunnels). With ~100 ms per observation,
 * an etcd or API-server change shows within ~0.6 s; Compute state within QUORUM_COMPUTE_REFRESH_MS.
 */
export const LIVE_INTERVAL_MS = 500;

export class ClusterNotFoundError extends Error {
  constructor(id: string) {
    super(unknownClusterMessage(id));
    this.name = 'ClusterNotFoundError';
  }
}

/**
 * A cluster's view; rejects with ClusterNotFoundError, before any read of its own, when the cluster is not one Quorum
 * knows (known-clusters.ts), and when nothing of it exists.
 */
export async function clusterView(ref: ClusterRef, c: Container = container()): Promise<ClusterView> {
  if (!(await isKnownCluster(ref, c))) throw new ClusterNotFoundError(clusterId(ref));
  const view = await observeClusterView(ref, c);
  const t = view.topology;
  if (t.replicas.length === 0 && !t.forwardingRule && !t.staticAddress) throw new ClusterNotFoundError(clusterId(ref));
  return view;
}

/** The cluster page's data, or null when the id is malformed or the cluster does not exist. */
export async function findClusterView(id: string, c: Container = container()): Promise<ClusterView | null> {
  const ref = await knownClusterRef(id, c);
  if (!ref) return null;
  return clusterView(ref, c).catch((error: unknown) => {
    if (error instanceof ClusterNotFoundError) return null;
    throw error;
  });
}

/** How old the last observation may be for a page's first paint: it shows its age, and the page goes live at once. */
export const FIRST_PAINT_MAX_AGE_MS = 5 * 60_000;
/** For a wizard's first paint: its zone choices should be about as fresh as the live page it came from. */
export const WIZARD_FIRST_PAINT_MAX_AGE_MS = 15_000;

/**
 * What a page paints first: the last observation of the cluster this server made (by a live feed, the monitor, another
 * page) when it is at most `maxAgeMs` old, else a fresh one with `c`'s deadlines. A page opened after a quiet spell
 * then shows what was last seen, with its age, instead of what a cold probe through tunnels not yet open says.
 */
export async function firstPaintClusterView(
  id: string,
  c: Container = container(),
  maxAgeMs = FIRST_PAINT_MAX_AGE_MS,
): Promise<ClusterView | null> {
  const ref = await knownClusterRef(id, c);
  if (!ref) return null;
  return c.observations.latest(id, c.clock.now().getTime(), maxAgeMs) ?? findClusterView(id, c);
}

/**
 * Zones of the cluster's project outside its region, which the add wizard lists as refused. Shown for
 * information only, so a failure to list them leaves the list empty instead of failing the page.
 */
export async function zonesOutsideRegion(ref: ClusterRef): Promise<string[]> {
  try {
    const regions = await container().compute.listRegions(ref.project);
    return regions.filter((r) => r.name !== ref.region).flatMap((r) => r.zones);
  } catch (error) {
    console.warn(`[views] the regions of ${ref.project} could not be listed: ${describeError(error)}`);
    return [];
  }
}

/** The operation holding the cluster's lock (one mutating operation per cluster), or null. */
export function lockingOperationOf(ref: ClusterRef): Promise<string | null> {
  return container().store.lockHolder(clusterId(ref));
}

/** Whether the sandbox's chaos controls exist (QUORUM_PROVIDER=sandbox): the cluster page shows its chaos panel only then. */
export function chaosControlsAvailable(): boolean {
  return container().chaos !== null;
}

export function fleetView(): Promise<FleetView> {
  return observeFleet();
}

/** The cluster page's timeline: its recorded states and operations over the last 7 days (kept across restarts). */
export async function clusterTimeline(
  id: string,
  c: Container = container(),
): Promise<{ entries: TimelineEntry[]; operations: TimelineOperation[]; now: string }> {
  const now = c.clock.now();
  const weekAgo = new Date(now.getTime() - TIMELINE_DAYS * 24 * 3_600_000).toISOString();
  const [entries, ops] = await Promise.all([readTimeline(c.store, id, now), c.store.listOperations(id, 50)]);
  const operations = ops
    .filter((o) => o.createdAt >= weekAgo)
    .map((o) => ({ id: o.id, kind: o.kind, status: o.status, createdAt: o.createdAt, endedAt: o.endedAt }));
  return { entries, operations, now: now.toISOString() };
}

/** The fleet page's first paint: each cluster's last observation when it is recent enough (firstPaintClusterView). */
export function firstPaintFleetView(): Promise<FleetView> {
  return observeFleet(container(), { reuseWithinMs: FIRST_PAINT_MAX_AGE_MS });
}

/**
 * The pace of a live view: its observations (etcd and API-server probes) every `baseMs`, its Compute state read at
 * the snapshots' pace (QUORUM_COMPUTE_REFRESH_MS), which is stretched while the Compute API budget of a project it
 * reads is low. Feeds slow their Compute reads first, and say so; the probes cost no Compute quota and keep going.
 */
export function refreshPace(projects: readonly string[], baseMs: number, c: Container = container()): RefreshPace {
  let slowest: RefreshPace | null = null;
  for (const project of projects) {
    const pace = c.computeSnapshots.pace(project);
    if (slowest === null || pace.intervalMs > slowest.intervalMs) slowest = pace;
  }
  return {
    intervalMs: baseMs,
    baseIntervalMs: baseMs,
    slowedBy: slowest?.slowedBy ?? null,
    ...(slowest ? { compute: { intervalMs: slowest.intervalMs, baseIntervalMs: slowest.baseIntervalMs } } : {}),
  };
}

export function clusterFeed(ref: ClusterRef): Feed<ClusterView> {
  return feedFor(
    clusterFeedKey(ref),
    () =>
      new Feed(
        () => clusterView(ref),
        LIVE_INTERVAL_MS,
        describeError,
        () => refreshPace([ref.project], LIVE_INTERVAL_MS),
        // A silence seen once is confirmed (or not) by the next observation at once: it shows within two deadlines.
        (view) => (view.heldOver && view.heldOver.length > 0 ? 0 : undefined),
      ),
  );
}

export function fleetFeed(): Feed<FleetView> {
  const base = LIVE_INTERVAL_MS * 2;
  return feedFor(
    FLEET_FEED_KEY,
    () => new Feed(observeFleet, base, describeError, () => refreshPace(container().projects, base)),
  );
}
