import { pageCaller } from '@/lib/server/auth/guards';
import { dehydrate, HydrationBoundary, QueryClient } from '@tanstack/react-query';
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { SnapshotList } from '@/components/backups/snapshot-list';
import { ClusterDashboard } from '@/components/topology/cluster-dashboard';
import { clusterViewQuery } from '@/lib/client/queries';
import { parseClusterId } from '@/lib/core/topology';
import { clusterSnapshots } from '@/lib/server/backups/views';
import { chaosControlsAvailable, firstPaintClusterView } from '@/lib/server/views';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const ref = parseClusterId(decodeURIComponent((await params).id));
  return { title: ref ? ref.masterName : 'Cluster' };
}

export default async function ClusterPage({ params }: Props) {
  const id = decodeURIComponent((await params).id);
  await pageCaller(`/clusters/${encodeURIComponent(id)}`);
  const [view, backups] = await Promise.all([firstPaintClusterView(id), clusterSnapshots(id)]);
  if (!view) notFound();
  const queryClient = new QueryClient();
  queryClient.setQueryData(clusterViewQuery(id).queryKey, view);
  return (
    <div className="space-y-4">
      <HydrationBoundary state={dehydrate(queryClient)}>
        <ClusterDashboard id={id} chaosControls={chaosControlsAvailable()} />
      </HydrationBoundary>
      <SnapshotList clusterId={id} snapshots={backups.snapshots} now={new Date().toISOString()} retention={backups.retention} />
    </div>
  );
}
