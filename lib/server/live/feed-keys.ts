import { clusterId, isReplicaName, parseClusterId, regionOfZone, type ClusterRef } from '@/lib/core/topology';

/** The live feeds' keys (lib/server/views.ts), and which of them watch a given replica. */
export const FLEET_FEED_KEY = 'fleet';

const CLUSTER_PREFIX = 'cluster:';

export function clusterFeedKey(ref: ClusterRef): string {
  return `${CLUSTER_PREFIX}${clusterId(ref)}`;
}

/** Whether the feed with this key shows the replica: the fleet, and its own cluster's page. */
export function feedWatchesReplica(key: string, replica: { project: string; zone: string; instance: string }): boolean {
  if (key === FLEET_FEED_KEY) return true;
  if (!key.startsWith(CLUSTER_PREFIX)) return false;
  const ref = parseClusterId(key.slice(CLUSTER_PREFIX.length));
  return (
    ref !== null &&
    ref.project === replica.project &&
    ref.region === regionOfZone(replica.zone) &&
    isReplicaName(ref.masterName, replica.instance)
  );
}
