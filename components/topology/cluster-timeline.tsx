import { useTranslations } from 'next-intl';
import type { ReactNode } from 'react';
import { formatDuration, formatUtcDateTime } from '@/lib/core/format';
import { INTENT_KINDS, type IntentKind } from '@/lib/core/planner';
import {
  leaderChanges,
  replicaOutages,
  timelineSegments,
  TIMELINE_DAYS,
  type TimelineEntry,
  type TimelineOperation,
  type TimelineSegment,
} from '@/lib/core/timeline';

/** Each state's colour; its label is `timeline.tone.<state>` in the catalog. */
const TONE: Record<TimelineSegment['tone'], { className: string }> = {
  ok: { className: 'bg-emerald-500' },
  degraded: { className: 'bg-amber-400' },
  down: { className: 'bg-red-500' },
  unknown: { className: 'bg-slate-400' },
  none: { className: 'bg-slate-100' },
};

function Strip({ entries, from, to, label }: { entries: TimelineEntry[]; from: string; to: string; label: string }) {
  const t = useTranslations('topology.timeline');
  const span = Date.parse(to) - Date.parse(from);
  const segments = timelineSegments(entries, from, to);
  return (
    <div>
      <div className="mb-1 flex justify-between text-xs text-slate-600">
        <span>{label}</span>
        <span>{t('range', { from: formatUtcDateTime(from) })}</span>
      </div>
      <ol className="relative flex h-4 overflow-hidden rounded-sm" aria-label={t('stripLabel', { label })}>
        {segments.map((s) => (
          <li
            key={`${s.from}-${s.tone}`}
            data-tone={s.tone}
            className={`h-full ${TONE[s.tone].className}`}
            style={{ width: `${((Date.parse(s.to) - Date.parse(s.from)) / span) * 100}%` }}
            title={t('segmentTitle', {
              state: t(`tone.${s.tone}`),
              from: formatUtcDateTime(s.from),
              to: formatUtcDateTime(s.to),
            })}
          >
            <span className="sr-only">
              {t('segmentSr', {
                state: t(`tone.${s.tone}`),
                from: formatUtcDateTime(s.from),
                to: formatUtcDateTime(s.to),
              })}
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}

/**
 * The cluster's history over the last 7 days, from the states this server recorded (the store keeps them across
 * restarts): two strips (7 days, 24 hours), then what happened, newest first: replica outages with their real start
 * and end, etcd leader changes, operations.
 */
export function ClusterTimeline({
  entries,
  operations,
  now,
}: {
  entries: TimelineEntry[];
  operations: TimelineOperation[];
  now: string;
}) {
  const t = useTranslations('topology.timeline');
  const ops = useTranslations('operations');
  const end = Date.parse(now);
  const weekAgo = new Date(end - TIMELINE_DAYS * 24 * 3_600_000).toISOString();
  const dayAgo = new Date(end - 24 * 3_600_000).toISOString();
  const outages = replicaOutages(entries);
  const leaders = leaderChanges(entries);
  type Event = { at: string; key: string; node: ReactNode; testId: string; attrs?: Record<string, string> };
  const events: Event[] = [
    ...outages.map((o): Event => ({
      at: o.from,
      key: `outage-${o.replica}-${o.from}`,
      testId: 'timeline-outage',
      attrs: { 'data-replica': o.replica, 'data-from': o.from, 'data-to': o.to ?? '' },
      node: (
        <>
          {t.rich(o.to ? 'outageEnded' : 'outageOngoing', {
            state: (chunks) => (
              <span className={`font-medium ${o.health === 'unhealthy' ? 'text-red-800' : 'text-slate-700'}`}>
                {chunks}
              </span>
            ),
            replica: o.replica,
            health: o.health,
            from: formatUtcDateTime(o.from),
            to: o.to ? formatUtcDateTime(o.to) : '',
            duration: formatDuration((o.to ? Date.parse(o.to) : end) - Date.parse(o.from)),
          })}
          {o.gaps && <span className="text-slate-500"> · {t('gaps')}</span>}
        </>
      ),
    })),
    ...leaders.map((l): Event => ({
      at: l.at,
      key: `leader-${l.at}`,
      testId: 'timeline-leader',
      node: <>{t('leaderChange', { from: l.from ?? t('none'), to: l.to ?? t('none'), at: formatUtcDateTime(l.at) })}</>,
    })),
    ...operations.map((op): Event => {
      // The intent kind and the status in the reader's language (English keeps the kind's own name).
      const kind = (INTENT_KINDS as readonly string[]).includes(op.kind)
        ? t(`kinds.${op.kind as IntentKind}`)
        : op.kind;
      const status = ops(`status.${op.status}`);
      return {
        at: op.createdAt,
        key: `op-${op.id}`,
        testId: 'timeline-operation',
        node: (
          <>
            {op.endedAt
              ? t('operationEnded', {
                  kind,
                  status,
                  createdAt: formatUtcDateTime(op.createdAt),
                  endedAt: formatUtcDateTime(op.endedAt),
                })
              : t('operation', { kind, status, createdAt: formatUtcDateTime(op.createdAt) })}
          </>
        ),
      };
    }),
  ].sort((a, b) => b.at.localeCompare(a.at));
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="cluster-timeline">
      <h2 className="mb-3 text-base font-semibold">{t('title')}</h2>
      {entries.length === 0 ? (
        <p className="text-sm text-slate-600">{t('empty')}</p>
      ) : (
        <div className="space-y-3">
          <Strip entries={entries} from={weekAgo} to={now} label={t('lastDays', { days: TIMELINE_DAYS })} />
          <Strip entries={entries} from={dayAgo} to={now} label={t('lastDay')} />
          <ul className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600" aria-label={t('legend')}>
            {(Object.keys(TONE) as Array<TimelineSegment['tone']>).map((tone) => (
              <li key={tone} className="flex items-center gap-1">
                <span aria-hidden className={`inline-block h-2.5 w-2.5 rounded-sm ${TONE[tone].className}`} />
                {t(`tone.${tone}`)}
              </li>
            ))}
          </ul>
        </div>
      )}
      {events.length > 0 && (
        <ol className="mt-3 space-y-1 text-sm" aria-label={t('events')}>
          {events.slice(0, 30).map((e) => (
            <li key={e.key} data-testid={e.testId} {...e.attrs}>
              {e.node}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
