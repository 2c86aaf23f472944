'use client';
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { RefreshPace } from '@/lib/core/rate-limit';
import { isNewerObservation } from '@/lib/core/view';

export type LiveState = {
  /**
   * connecting: no stream yet; live: snapshots arriving; reconnecting: the stream dropped and the browser retries;
   * ended: the server ended it because the session did (signed out, expired, account disabled): no retry.
   */
  status: 'connecting' | 'live' | 'reconnecting' | 'ended';
  failure: string | null;
  /** The server's period between observations, when the feed says it (stretched while the Compute API budget is low). */
  refresh: RefreshPace | null;
};

/**
 * Subscribes to a server-sent event stream and writes each snapshot into the query cache under `queryKey`,
 * dropping any snapshot older than what the cache holds. The browser's EventSource reconnects by itself.
 */
export function useLiveFeed<T>(url: string, queryKey: QueryKey, observedAtOf: (value: T) => string): LiveState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveState>({ status: 'connecting', failure: null, refresh: null });
  const keyString = JSON.stringify(queryKey);

  useEffect(() => {
    const key = JSON.parse(keyString) as QueryKey;
    const source = new EventSource(url);
    source.onopen = () => setState((s) => ({ ...s, status: 'live' }));
    source.onerror = () =>
      setState((s) => ({ ...s, status: s.status === 'connecting' ? 'connecting' : 'reconnecting' }));
    source.addEventListener('snapshot', (event) => {
      const incoming = JSON.parse((event as MessageEvent<string>).data) as T;
      queryClient.setQueryData<T>(key, (current) =>
        isNewerObservation(current && observedAtOf(current), observedAtOf(incoming)) ? incoming : current,
      );
      setState((s) => ({ ...s, status: 'live', failure: null }));
    });
    source.addEventListener('failure', (event) => {
      const { message } = JSON.parse((event as MessageEvent<string>).data) as { message: string };
      setState((s) => ({ ...s, status: 'live', failure: message }));
    });
    source.addEventListener('session-ended', (event) => {
      const { message } = JSON.parse((event as MessageEvent<string>).data) as { message: string };
      source.close();
      setState((s) => ({ ...s, status: 'ended', failure: message }));
    });
    source.addEventListener('refresh', (event) => {
      const refresh = JSON.parse((event as MessageEvent<string>).data) as RefreshPace;
      setState((s) => ({ ...s, refresh }));
    });
    return () => source.close();
    // observedAtOf is a pure accessor; a new function identity on each render must not reconnect.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [url, keyString, queryClient]);

  return state;
}
