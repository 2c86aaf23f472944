'use client';
import { useQuery } from '@tanstack/react-query';
import { clusterViewQuery, FALLBACK_POLL_MS, liveUrls } from '@/lib/client/queries';
import { useLiveFeed } from '@/lib/client/use-live-feed';
import { addZoneChoices, etcdRoleOf, outsideZoneChoices, type ClusterView } from '@/lib/core/view';
import { ChangeWizard, type ReplicaChoice } from './change-wizard';

type Props = {
  clusterId: string;
  /** The observation the page was rendered from (made with the planning probe deadline). */
  initialView: ClusterView;
  /** Zones of the project's other regions, listed as refused. */
  otherZones: string[];
  runningOperationId: string | null;
};

/**
 * The change wizard on the cluster's live feed (the same query and SSE stream as the cluster page): when a
 * replica recovers or fails while the wizard is open, its zone choices follow without a reload. Every
 * preview and start still plans on a fresh server-side observation.
 */
export function LiveChangeWizard({ clusterId, initialView, otherZones, runningOperationId }: Props) {
  const query = clusterViewQuery(clusterId);
  const live = useLiveFeed<ClusterView>(liveUrls.cluster(clusterId), query.queryKey, (v) => v.topology.observedAt);
  const { data } = useQuery({
    ...query,
    initialData: initialView,
    refetchInterval: live.status === 'live' ? false : FALLBACK_POLL_MS,
  });
  const view = data ?? initialView;
  const { topology: t, assessment: a } = view;
  const replicas: ReplicaChoice[] = t.replicas.map((r) => ({
    name: r.name,
    zone: r.zone,
    health: a.replicaHealth[r.name] ?? 'unknown',
    leader: etcdRoleOf(r.etcd.main) === 'leader',
  }));
  return (
    <ChangeWizard
      clusterId={clusterId}
      masterName={t.cluster.masterName}
      zones={addZoneChoices(view, { operationInProgress: runningOperationId !== null })}
      outsideZones={outsideZoneChoices(view, otherZones)}
      replicas={replicas}
      runningOperationId={runningOperationId}
    />
  );
}
