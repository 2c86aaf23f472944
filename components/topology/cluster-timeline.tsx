import type { ReactNode } from 'react';
import { formatDuration, formatUtcDateTime } from '@/lib/core/format';
import {
  leaderChanges,
  replicaOutages,
  timelineSegments,
  TIMELINE_DAYS,
  type TimelineEntry,
  type TimelineOperation,
  type TimelineSegment,
} from '@/lib/core/timeline';

const TONE: Record<TimelineSegment['tone'], { className: string; label: string }> = {
  ok: { className: 'bg-emerald-500', label: 'healthy' },
  degraded: { className: 'bg-amber-400', label: 'degraded (a replica down, or no margin)' },
  down: { className: 'bg-red-500', label: 'critical (no margin left with a replica down, or quorum lost)' },
  unknown: { className: 'bg-slate-400', label: 'not answering in time (health unknown)' },
  none: { className: 'bg-slate-100', label: 'not observed (no page, no monitor: the dashboard was down)' },
};

function Strip({ entries, from, to, label }: { entries: TimelineEntry[]; from: string; to: string; label: string }) {
  const span = Date.parse(to) - Date.parse(from);
  const segments = timelineSegments(entries, from, to);
  return (
    <div>
      <div className="mb-1 flex justify-between text-xs text-slate-600">
        <span>{label}</span>
        <span>{formatUtcDateTime(from)} → now</span>
      </div>
      <ol
        className="relative flex h-4 overflow-hidden rounded-sm"
        aria-label={`${label}: the cluster's state over time`}
      >
        {segments.map((s) => (
          <li
            key={`${s.from}-${s.tone}`}
            data-tone={s.tone}
            className={`h-full ${TONE[s.tone].className}`}
            style={{ width: `${((Date.parse(s.to) - Date.parse(s.from)) / span) * 100}%` }}
            title={`${TONE[s.tone].label}: ${formatUtcDateTime(s.from)} to ${formatUtcDateTime(s.to)}`}
          >
            <span className="sr-only">
              {TONE[s.tone].label} from {formatUtcDateTime(s.from)} to {formatUtcDateTime(s.to)}
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
          <span className={`font-medium ${o.health === 'unhealthy' ? 'text-red-800' : 'text-slate-700'}`}>
            {o.replica} {o.health === 'unhealthy' ? 'down' : 'not answering'}
          </span>{' '}
          from {formatUtcDateTime(o.from)}
          {o.to
            ? ` to ${formatUtcDateTime(o.to)} (${formatDuration(Date.parse(o.to) - Date.parse(o.from))})`
            : `, still (${formatDuration(end - Date.parse(o.from))} so far)`}
          {o.gaps && <span className="text-slate-500"> · with periods nobody observed</span>}
        </>
      ),
    })),
    ...leaders.map((l): Event => ({
      at: l.at,
      key: `leader-${l.at}`,
      testId: 'timeline-leader',
      node: (
        <>
          etcd main leader {l.from ?? 'none'} → {l.to ?? 'none'} at {formatUtcDateTime(l.at)}
        </>
      ),
    })),
    ...operations.map((op): Event => ({
      at: op.createdAt,
      key: `op-${op.id}`,
      testId: 'timeline-operation',
      node: (
        <>
          operation {op.kind} {op.status} · {formatUtcDateTime(op.createdAt)}
          {op.endedAt ? ` to ${formatUtcDateTime(op.endedAt)}` : ''}
        </>
      ),
    })),
  ].sort((a, b) => b.at.localeCompare(a.at));
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="cluster-timeline">
      <h2 className="mb-3 text-base font-semibold">Timeline</h2>
      {entries.length === 0 ? (
        <p className="text-sm text-slate-600">
          Nothing recorded yet: the history starts with this server&apos;s first observation of the cluster.
        </p>
      ) : (
        <div className="space-y-3">
          <Strip entries={entries} from={weekAgo} to={now} label={`Last ${TIMELINE_DAYS} days`} />
          <Strip entries={entries} from={dayAgo} to={now} label="Last 24 hours" />
          <ul className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600" aria-label="Legend">
            {(Object.keys(TONE) as Array<TimelineSegment['tone']>).map((t) => (
              <li key={t} className="flex items-center gap-1">
                <span aria-hidden className={`inline-block h-2.5 w-2.5 rounded-sm ${TONE[t].className}`} />
                {TONE[t].label}
              </li>
            ))}
          </ul>
        </div>
      )}
      {events.length > 0 && (
        <ol className="mt-3 space-y-1 text-sm" aria-label="What happened, newest first">
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
