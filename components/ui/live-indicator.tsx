'use client';
import { useEffect, useState } from 'react';
import type { LiveState } from '@/lib/client/use-live-feed';

/** "Live · observed 0.4 s ago", or why the view may be stale. */
export function LiveIndicator({ live, observedAt }: { live: LiveState; observedAt: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, []);
  const age = Math.max(0, (now - Date.parse(observedAt)) / 1000);
  const stale = live.status !== 'live' || live.failure !== null || age > 10;
  return (
    <div data-testid="live-indicator" data-status={live.status} className="flex items-center gap-2 text-xs text-slate-500">
      <span aria-hidden className={`inline-block h-2 w-2 rounded-full ${stale ? 'bg-amber-400' : 'bg-emerald-500 animate-pulse'}`} />
      {live.failure ? (
        <span className="text-amber-700">Last observation failed: {live.failure}</span>
      ) : (
        <span>
          {live.status === 'live' ? 'Live' : live.status === 'connecting' ? 'Connecting' : 'Reconnecting'} · observed {age < 1 ? 'just now' : `${Math.round(age)} s ago`}
        </span>
      )}
    </div>
  );
}
