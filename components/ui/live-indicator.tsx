'use client';
import { useTranslations } from 'next-intl';
import { useEffect, useState } from 'react';
import type { LiveState } from '@/lib/client/use-live-feed';

const formatSeconds = (ms: number) => `${ms < 10_000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000)} s`;

/** "Live · observed 0.4 s ago", or why the view may be stale; and when the server slowed its refresh. */
export function LiveIndicator({ live, observedAt }: { live: LiveState; observedAt: string }) {
  const t = useTranslations('common.liveIndicator');
  // Starts at the observation's own time, the same on the server and in the hydrating browser: a clock read on each
  // side gave two different ages, and React threw the page's markup away (hydration error #418).
  const [now, setNow] = useState(() => Date.parse(observedAt));
  useEffect(() => {
    const tick = () => setNow(Date.now());
    // The real age right after hydration, then twice a second.
    const first = setTimeout(tick, 0);
    const timer = setInterval(tick, 500);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, []);
  const age = Math.max(0, (now - Date.parse(observedAt)) / 1000);
  // A refresh slowed by the server is not a stale view until it is overdue.
  const staleAfter = Math.max(
    10,
    (2 * Math.max(live.refresh?.intervalMs ?? 0, live.refresh?.compute?.intervalMs ?? 0)) / 1000,
  );
  const stale = live.status !== 'live' || live.failure !== null || age > staleAfter;
  return (
    <div
      data-testid="live-indicator"
      data-status={live.status}
      className="flex min-w-0 items-center gap-2 text-xs text-slate-500"
    >
      <span
        aria-hidden
        className={`inline-block h-2 w-2 rounded-full ${stale ? 'bg-amber-400' : 'bg-emerald-500 animate-pulse'}`}
      />
      {live.refresh?.slowedBy ? (
        live.refresh.compute ? (
          <span
            data-testid="refresh-slowed"
            data-interval-ms={live.refresh.compute.intervalMs}
            className="text-amber-700"
          >
            {t('computeSlowed', {
              interval: formatSeconds(live.refresh.compute.intervalMs),
              normal: formatSeconds(live.refresh.compute.baseIntervalMs),
              project: live.refresh.slowedBy.project,
            })}
          </span>
        ) : (
          <span data-testid="refresh-slowed" data-interval-ms={live.refresh.intervalMs} className="text-amber-700">
            {t('refreshSlowed', {
              interval: formatSeconds(live.refresh.intervalMs),
              project: live.refresh.slowedBy.project,
            })}
          </span>
        )
      ) : null}
      {live.status === 'ended' ? (
        <span className="text-red-700" data-testid="session-ended">
          {live.failure}
        </span>
      ) : live.failure ? (
        <span className="text-amber-700">{t('lastFailed', { failure: live.failure })}</span>
      ) : (
        <span>{t('observed', { status: live.status, fresh: age < 1 ? 'yes' : 'no', seconds: Math.round(age) })}</span>
      )}
    </div>
  );
}
