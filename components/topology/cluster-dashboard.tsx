'use client';
import { useQuery } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { clusterViewQuery, FALLBACK_POLL_MS, liveUrls } from '@/lib/client/queries';
import { useLiveFeed } from '@/lib/client/use-live-feed';
import { etcdVersionsOf, lowestEtcdVersion, supportsLearners } from '@/lib/core/etcd-version';
import { healthStateOf } from '@/lib/core/health-announcement';
import { summarizeCluster, worstSeverityOf, type ClusterView } from '@/lib/core/view';
import { useHealthTitle } from '@/lib/client/use-health-title';
import { FindingsList } from '@/components/quorum/findings-list';
import { HealthAnnouncer } from '@/components/quorum/health-announcer';
import { useFindingText } from '@/components/quorum/use-finding-text';
import { QuorumGauge } from '@/components/quorum/quorum-gauge';
import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { NotifyMe } from '@/components/alerts/notify-me';
import { LiveIndicator } from '@/components/ui/live-indicator';
import { ChaosPanel } from './chaos-panel';
import { ControlPlanePanel } from './control-plane-panel';
import { LoadBalancerPanel } from './load-balancer-panel';
import { ZoneGrid } from './zone-grid';

/** The cluster page: live topology (SSE into the query cache; polling while the stream is down). */
export function ClusterDashboard({ id, chaosControls = false }: { id: string; chaosControls?: boolean }) {
  const tr = useTranslations('topology.dashboard');
  const findingText = useFindingText();
  const query = clusterViewQuery(id);
  const live = useLiveFeed<ClusterView>(liveUrls.cluster(id), query.queryKey, (v) => v.topology.observedAt);
  const { data, error } = useQuery({ ...query, refetchInterval: live.status === 'live' ? false : FALLBACK_POLL_MS });
  useHealthTitle(data ? worstSeverityOf(data) : null);
  if (!data) {
    return (
      <p className="text-sm text-red-700">
        {error ? tr('couldNotObserve', { message: error.message }) : tr('observing')}
      </p>
    );
  }
  const { topology: t, assessment: a } = data;
  const versions = etcdVersionsOf(t);
  const oldest = lowestEtcdVersion(t);
  const [worst] = a.findings;
  return (
    <div className="space-y-4">
      <HealthAnnouncer states={[healthStateOf(summarizeCluster(data))]} />
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="min-w-0">
          <h1 className="font-mono text-2xl font-semibold tracking-tight">{t.cluster.masterName}</h1>
          <p className="text-sm text-slate-500">
            {tr.rich('location', {
              project: t.cluster.project,
              region: t.cluster.region,
              count: t.regionZones.length,
              mono: (chunks) => <span className="font-mono">{chunks}</span>,
            })}
          </p>
        </div>
        <div className="flex flex-col items-start gap-1 sm:items-end">
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <LiveIndicator live={live} observedAt={t.observedAt} />
            <NotifyMe
              worst={worstSeverityOf(data)}
              subject={t.cluster.masterName}
              detail={worst && findingText(worst).message}
            />
            <Link
              href={`/clusters/${encodeURIComponent(id)}/operations`}
              className="text-sm text-sky-700 hover:underline"
            >
              {tr('history')}
            </Link>
            <Link
              href={`/clusters/${encodeURIComponent(id)}/change`}
              className="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700"
            >
              {tr('changeReplicas')}
            </Link>
          </div>
          <div className="flex flex-wrap gap-2">
            {versions.length > 0 && (
              <Badge tone={oldest && !supportsLearners(oldest) ? 'warn' : 'neutral'}>
                <span data-testid="etcd-version">etcd {versions.join(', ')}</span>
              </Badge>
            )}
            {t.settings && (
              <Badge tone={t.settings.multizone ? 'good' : 'warn'}>
                {t.settings.multizone ? tr('multizoneOn') : tr('multizoneOff')}
              </Badge>
            )}
            {/* Only HA-era kube-env has the setting; current kube-up's etcd3 reads are linearizable anyway. */}
            {t.settings && t.settings.quorumReads !== null && (
              <Badge tone={t.settings.quorumReads ? 'good' : 'neutral'}>
                {t.settings.quorumReads ? tr('quorumReadsOn') : tr('quorumReadsOff')}
              </Badge>
            )}
          </div>
        </div>
      </div>
      {/* The quorum summary comes first in the page's order, so a phone (one column) and a screen reader get it
          before the replicas and the chaos controls; from lg it sits in the right-hand column. */}
      <div className="grid gap-4 lg:grid-cols-[1fr_22rem]">
        <aside aria-label={tr('asideLabel')} className="min-w-0 space-y-4 lg:col-start-2 lg:row-start-1">
          <Card title={tr('quorumTitle')}>
            <QuorumGauge assessment={a} />
          </Card>
          <Card title={tr('findingsTitle', { count: a.findings.length })}>
            <FindingsList
              clusterId={id}
              findings={a.findings}
              failureSince={data.failureSince}
              observedAt={t.observedAt}
            />
          </Card>
        </aside>
        <div className="min-w-0 space-y-4 lg:col-start-1 lg:row-start-1">
          <LoadBalancerPanel topology={t} />
          <div className="relative overflow-x-auto pb-1">
            <ZoneGrid clusterId={id} topology={t} assessment={a} failureSince={data.failureSince} />
          </div>
          <ControlPlanePanel topology={t} />
          {chaosControls && <ChaosPanel clusterId={id} topology={t} />}
        </div>
      </div>
    </div>
  );
}
