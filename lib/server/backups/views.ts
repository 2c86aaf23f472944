import 'server-only';
import type { SnapshotListing } from '@/lib/core/backups';
import { container } from '@/lib/server/container';
import { listSnapshots } from './snapshots';

/** What the cluster page lists of a cluster's snapshots; an unreadable folder reads as none rather than failing the page. */
export async function clusterSnapshots(
  clusterId: string,
): Promise<{ snapshots: SnapshotListing[]; retention: number }> {
  const { env } = container();
  const snapshots = await listSnapshots(env.QUORUM_DATA_DIR, clusterId).catch((e: unknown) => {
    console.error(`[backups] cannot list the snapshots of ${clusterId}`, e);
    return [];
  });
  return { snapshots, retention: env.QUORUM_SNAPSHOT_RETENTION };
}
