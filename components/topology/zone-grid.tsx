import { useTranslations } from 'next-intl';
import type { Assessment } from '@/lib/core/assessment';
import type { Topology } from '@/lib/core/topology';
import { leasesHeldBy } from '@/lib/core/view';
import { zoneSubject, type FailureSince } from '@/lib/core/failure';
import type { CSSProperties } from 'react';
import { useDescribeSince } from '@/components/ui/use-format-ago';
import { ReplicaCard } from './replica-card';

/** The region's zones as columns, empty ones included, with the replicas in each. */
export function ZoneGrid({
  clusterId,
  topology,
  assessment,
  failureSince,
}: {
  clusterId: string;
  topology: Topology;
  assessment: Assessment;
  failureSince: FailureSince;
}) {
  const t = useTranslations('topology.zoneGrid');
  const describeSince = useDescribeSince();
  const outages = new Map(assessment.diagnosis.zonesUnreachable.map((o) => [o.zone, o]));
  // Zones whose etcd members cannot reach each other, as the members themselves report it.
  const cutZones = assessment.connectivity.main?.cutZones ?? [];
  const cutFrom = (zone: string) => cutZones.flatMap(([a, b]) => (a === zone ? [b] : b === zone ? [a] : []));
  const peerViews = new Map((assessment.connectivity.main?.views ?? []).map((v) => [v.replica, v]));
  // Members that answer Quorum but not some peer: a replacement would not mend the network between them.
  const cutPeersOf = (name: string) =>
    (assessment.connectivity.main?.cutPairs ?? []).flatMap(([a, b]) => (a === name ? [b] : b === name ? [a] : []));
  const nodesByZone = new Map<string, number>();
  for (const node of topology.nodes ?? [])
    if (node.zone) nodesByZone.set(node.zone, (nodesByZone.get(node.zone) ?? 0) + 1);
  return (
    <div className="space-y-2">
      {cutZones.length > 0 && (
        <ul className="space-y-1" aria-label={t('partitionsLabel')}>
          {cutZones.map(([a, b]) => (
            <li
              key={`${a}|${b}`}
              data-testid="zone-cut"
              data-zones={`${a}|${b}`}
              className="flex flex-wrap items-center gap-2 rounded-md border border-red-300 bg-red-50 px-2 py-1 text-sm text-red-900"
            >
              <span className="font-mono font-semibold">{a}</span>
              <span aria-hidden className="font-bold tracking-tighter text-red-600">
                —✕—
              </span>
              <span className="font-mono font-semibold">{b}</span>
              <span className="text-xs">{t('partitioned')}</span>
            </li>
          ))}
        </ul>
      )}
      {/* Zones with replicas get room for their cards; empty zones stay visible but narrow. Below md the zones
          stack, so a phone shows whole cards instead of scrolling sideways. */}
      <div
        className="grid gap-3 md:grid-cols-(--zone-columns)"
        style={
          {
            '--zone-columns': assessment.zones
              .map((z) => (z.replicas.length ? 'minmax(14.5rem, 1fr)' : 'minmax(7.5rem, 0.5fr)'))
              .join(' '),
          } as CSSProperties
        }
      >
        {assessment.zones.map((zone) => {
          const replicas = topology.replicas.filter((r) => r.zone === zone.zone);
          const outside = !topology.regionZones.includes(zone.zone);
          const outage = outages.get(zone.zone);
          const cut = cutFrom(zone.zone);
          const outageSince = outage
            ? describeSince(failureSince[zoneSubject(zone.zone)]?.['zone-unreachable'], topology.observedAt)
            : null;
          return (
            <div key={zone.zone} data-testid="zone-column" data-zone={zone.zone} className="flex flex-col gap-2">
              <div
                className={`rounded-md px-2 py-1.5 ${outside || outage ? 'bg-red-50' : cut.length > 0 ? 'bg-red-50 ring-1 ring-red-300' : 'bg-slate-100'}`}
              >
                <div className="font-mono text-sm font-semibold">{zone.zone}</div>
                <div className="text-xs text-slate-600">
                  {t('replicas', { count: replicas.length })}
                  {topology.nodes && ` · ${t('nodes', { count: nodesByZone.get(zone.zone) ?? 0 })}`}
                  {outside && ` · ${t('outsideRegion')}`}
                </div>
                {outage && (
                  <div
                    className="mt-0.5 text-xs font-semibold text-red-800"
                    data-testid="zone-unreachable"
                    title={outage.evidence}
                  >
                    {t('zoneUnreachable')}
                    {outageSince ? ` · ${outageSince}` : ''}
                  </div>
                )}
                {cut.length > 0 && (
                  <div
                    className="mt-0.5 text-xs font-semibold text-red-800"
                    data-testid="zone-cut-from"
                    data-zones={cut.join(',')}
                  >
                    {t('cutOffFrom', { zones: cut.join(', ') })}
                  </div>
                )}
                {replicas.length > 0 && (
                  // Counted on healthy voters only: while some do not answer in time the loss is a floor, said in grey.
                  <div
                    className={`mt-0.5 text-xs ${zone.lossKeepsQuorum ? 'text-emerald-700' : assessment.unknownReplicas > 0 ? 'text-slate-600' : 'text-red-700'}`}
                  >
                    {zone.lossKeepsQuorum
                      ? t('keepsQuorum')
                      : assessment.unknownReplicas > 0
                        ? t('mayLoseQuorum')
                        : t('losesQuorum')}
                  </div>
                )}
              </div>
              {replicas.length === 0 ? (
                <div className="rounded-lg border-2 border-dashed border-slate-200 p-4 text-center text-xs text-slate-500">
                  {t('noReplica')}
                </div>
              ) : (
                replicas.map((replica) => (
                  <ReplicaCard
                    key={replica.name}
                    clusterId={clusterId}
                    replica={replica}
                    health={assessment.replicaHealth[replica.name] ?? 'unknown'}
                    leases={leasesHeldBy(topology, replica.name)}
                    diagnosis={assessment.diagnosis.replicas[replica.name]}
                    failureSince={failureSince[replica.name] ?? {}}
                    observedAt={topology.observedAt}
                    peerView={peerViews.get(replica.name)}
                    cutFrom={cutPeersOf(replica.name)}
                  />
                ))
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
