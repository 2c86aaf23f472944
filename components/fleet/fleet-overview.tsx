'use client';
import { useQuery } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { FALLBACK_POLL_MS, fleetQuery, liveUrls } from '@/lib/client/queries';
import { useLiveFeed } from '@/lib/client/use-live-feed';
import { fleetWorstSeverity, type FleetView } from '@/lib/core/view';
import { useHealthTitle } from '@/lib/client/use-health-title';
import { fleetHealthStates } from '@/lib/core/health-announcement';
import { SeverityBadge } from '@/components/quorum/findings-list';
import { HealthAnnouncer } from '@/components/quorum/health-announcer';
import { useFindingText } from '@/components/quorum/use-finding-text';
import { NotifyMe } from '@/components/alerts/notify-me';
import { LiveIndicator } from '@/components/ui/live-indicator';
import { TableHead } from '@/components/ui/table-head';

// Below sm each row is a card: the cells stack, the header row is left to screen readers, the region joins the project.
const phoneTable = 'max-sm:block';
const phoneRow = 'max-sm:block max-sm:space-y-1 max-sm:px-4 max-sm:py-3';
const cell = 'px-4 py-3 max-sm:block max-sm:p-0';

export function FleetOverview() {
  const t = useTranslations('fleet');
  const tc = useTranslations('common');
  const findingText = useFindingText();
  const query = fleetQuery();
  const live = useLiveFeed<FleetView>(liveUrls.fleet(), query.queryKey, (v) => v.observedAt);
  const { data, error } = useQuery({ ...query, refetchInterval: live.status === 'live' ? false : FALLBACK_POLL_MS });
  useHealthTitle(data ? fleetWorstSeverity(data) : null);
  if (!data)
    return (
      <p className="text-sm text-red-700">
        {error ? t('overview.couldNotList', { message: error.message }) : t('overview.discovering')}
      </p>
    );
  return (
    <div className="space-y-4">
      <HealthAnnouncer states={fleetHealthStates(data)} />
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">{t('overview.title')}</h1>
          <p className="text-sm text-slate-500">{t('overview.subtitle')}</p>
        </div>
        <div className="flex flex-wrap items-center gap-3">
          <LiveIndicator live={live} observedAt={data.observedAt} />
          <NotifyMe worst={fleetWorstSeverity(data)} subject={t('overview.notifySubject')} />
          <Link
            href="/clusters/new"
            className="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700"
          >
            {t('overview.createCluster')}
          </Link>
        </div>
      </div>
      {data.unreachableZones && data.unreachableZones.length > 0 ? (
        <p
          data-testid="fleet-unreachable-zones"
          className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          {t('overview.unreachableZones', {
            zones: data.unreachableZones.map((z) => `${z.zone} (${z.project})`).join(', '),
            count: data.unreachableZones.length,
          })}
        </p>
      ) : null}
      {data.clusters.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-500">
          {t('overview.empty')}
        </p>
      ) : (
        <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
          <table className={`w-full text-sm ${phoneTable}`}>
            <TableHead
              columns={[
                t('table.cluster'),
                t('table.region'),
                t('table.replicasHealthy'),
                t('table.tolerance'),
                t('table.worstFinding'),
              ]}
              className="max-sm:sr-only"
            />
            <tbody className={phoneTable}>
              {data.clusters.map((entry) =>
                entry.ok ? (
                  <tr
                    key={entry.summary.id}
                    data-testid="fleet-row"
                    data-cluster={entry.summary.cluster.masterName}
                    className={`border-t border-slate-100 align-top ${phoneRow}`}
                  >
                    <td className={cell}>
                      <Link
                        href={`/clusters/${encodeURIComponent(entry.summary.id)}`}
                        className="font-mono font-semibold text-sky-700 hover:underline"
                      >
                        {entry.summary.cluster.masterName}
                      </Link>
                      <div className="text-xs text-slate-500">
                        {entry.summary.cluster.project}
                        <span className="sm:hidden"> · {entry.summary.cluster.region}</span>
                      </div>
                    </td>
                    <td className="px-4 py-3 font-mono text-xs max-sm:hidden">{entry.summary.cluster.region}</td>
                    <td className={cell} data-testid="fleet-healthy">
                      {/* Red only for replicas known to be down; ones that did not answer in time are grey, not failed. */}
                      <span
                        className={
                          entry.summary.healthyReplicas + entry.summary.unknownReplicas < entry.summary.totalReplicas
                            ? 'font-semibold text-red-700'
                            : ''
                        }
                      >
                        {entry.summary.healthyReplicas}/{entry.summary.totalReplicas}
                      </span>
                      <span className="sm:hidden"> {t('row.healthy')}</span>
                      {entry.summary.unknownReplicas > 0 && (
                        <span className="text-xs text-slate-600" data-testid="fleet-unknown">
                          {' '}
                          · {t('row.notAnswering', { count: entry.summary.unknownReplicas })}
                        </span>
                      )}
                      <span className="text-xs text-slate-500">
                        {' '}
                        {t('row.inZones', { count: entry.summary.zones })}
                      </span>
                    </td>
                    <td className={cell} data-testid="fleet-tolerance">
                      {tc('tolerance.canLose', {
                        replicas: entry.summary.canLoseReplicas,
                        zones: entry.summary.canLoseZones,
                      })}
                      {entry.summary.unknownReplicas > 0 && (
                        <span className="text-xs text-slate-600"> {t('row.atLeast')}</span>
                      )}
                    </td>
                    <td className={`max-w-md ${cell}`}>
                      {entry.summary.worstFinding ? (
                        <div className="flex items-start gap-2">
                          <SeverityBadge severity={entry.summary.worstFinding.severity} />
                          <span className="text-slate-700">{findingText(entry.summary.worstFinding).message}</span>
                        </div>
                      ) : (
                        <span className="text-emerald-700">
                          {t.rich('row.noFindings', {
                            label: (chunks) => <span className="sm:hidden">{chunks}</span>,
                          })}
                        </span>
                      )}
                    </td>
                  </tr>
                ) : (
                  <tr
                    key={entry.id}
                    data-testid="fleet-row"
                    data-cluster={entry.cluster.masterName}
                    className={`border-t border-slate-100 ${phoneRow}`}
                  >
                    <td className={`${cell} font-mono font-semibold`}>{entry.cluster.masterName}</td>
                    <td className={`${cell} font-mono text-xs`}>{entry.cluster.region}</td>
                    <td colSpan={3} className={`${cell} text-red-700`}>
                      {t('row.couldNotObserve', { error: entry.error })}
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
