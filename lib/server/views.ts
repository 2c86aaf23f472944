import 'server-only';
import { assessTopology } from '@/lib/core/assessment';
import { clusterId, parseClusterId, type ClusterRef } from '@/lib/core/topology';
import { summarizeCluster, type ClusterView, type FleetEntry, type FleetView } from '@/lib/core/view';
import { Feed, feedFor } from '@/lib/server/live/feed';
import { discoverClusters } from '@/lib/server/services/discover-clusters';
import { observeCluster } from '@/lib/server/services/observe-cluster';

/** How long a live feed waits between two observations. With ~100-300 ms per observation, a change shows within ~1 s. */
export const LIVE_INTERVAL_MS = 500;

export class ClusterNotFoundError extends Error {
  constructor(id: string) {
    super(`No cluster ${id}: no master replica, forwarding rule or static address of that name was found.`);
    this.name = 'ClusterNotFoundError';
  }
}

/** A message safe to show: never a stack, never a provider's raw dump. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0]?.slice(0, 300) || error.name;
  return 'Unexpected error';
}

export async function observeClusterView(ref: ClusterRef): Promise<ClusterView> {
  const topology = await observeCluster(ref);
  const id = clusterId(ref);
  if (topology.replicas.length === 0 && !topology.forwardingRule && !topology.staticAddress) throw new ClusterNotFoundError(id);
  return { id, topology, assessment: assessTopology(topology, new Date(topology.observedAt)) };
}

/** The cluster page's data, or null when the id is malformed. */
export async function getClusterView(id: string): Promise<ClusterView | null> {
  const ref = parseClusterId(id);
  if (!ref) return null;
  return observeClusterView(ref);
}

export async function getFleetView(): Promise<FleetView> {
  const refs = await discoverClusters();
  const clusters = await Promise.all(
    refs.map(async (ref): Promise<FleetEntry> => {
      try {
        return { ok: true, summary: summarizeCluster(await observeClusterView(ref)) };
      } catch (error) {
        return { ok: false, id: clusterId(ref), cluster: { project: ref.project, region: ref.region, masterName: ref.masterName }, error: describeError(error) };
      }
    }),
  );
  return { observedAt: new Date().toISOString(), clusters };
}

export function clusterFeed(ref: ClusterRef): Feed<ClusterView> {
  return feedFor(`cluster:${clusterId(ref)}`, () => new Feed(() => observeClusterView(ref), LIVE_INTERVAL_MS, describeError));
}

export function fleetFeed(): Feed<FleetView> {
  return feedFor('fleet', () => new Feed(getFleetView, LIVE_INTERVAL_MS * 2, describeError));
}
