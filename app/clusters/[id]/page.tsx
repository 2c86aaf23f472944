import { pageCaller } from '@/lib/server/auth/guards';
import { dehydrate, HydrationBoundary, QueryClient } from '@tanstack/react-query';
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getTranslations } from 'next-intl/server';
import { SnapshotList } from '@/components/backups/snapshot-list';
import { ClusterDashboard } from '@/components/topology/cluster-dashboard';
import { clusterViewQuery } from '@/lib/client/queries';
import { parseClusterId } from '@/lib/core/topology';
import { clusterSnapshots } from '@/lib/server/backups/views';
import { chaosControlsAvailable, clusterTimeline, firstPaintClusterView } from '@/lib/server/views';
import { ClusterTimeline } from '@/components/topology/cluster-timeline';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const ref = parseClusterId(decodeURIComponent((await params).id));
  const t = await getTranslations('topology');
  return { title: ref ? ref.masterName : t('page.title') };
}

export default async function ClusterPage({ params }: Props) {
  const id = decodeURIComponent((await params).id);
  await pageCaller(`/clusters/${encodeURIComponent(id)}`);
  const [view, backups, timeline] = await Promise.all([
    firstPaintClusterView(id),
    clusterSnapshots(id),
    clusterTimeline(id),
  ]);
  if (!view) notFound();
  const queryClient = new QueryClient();
  queryClient.setQueryData(clusterViewQuery(id).queryKey, view);
  return (
    <div className="space-y-4">
      <HydrationBoundary state={dehydrate(queryClient)}>
        <ClusterDashboard id={id} chaosControls={chaosControlsAvailable()} />
      </HydrationBoundary>
      <ClusterTimeline entries={timeline.entries} operations={timeline.operations} now={timeline.now} />
      <SnapshotList
        clusterId={id}
        snapshots={backups.snapshots}
        now={new Date().toISOString()}
        retention={backups.retention}
      />
    </div>
  );
}
