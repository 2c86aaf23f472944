'use client';
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { isNewerObservation } from '@/lib/core/view';

export type LiveState = {
  /** connecting: no stream yet; live: snapshots arriving; reconnecting: the stream dropped and the browser retries. */
  status: 'connecting' | 'live' | 'reconnecting';
  failure: string | null;
};

/**
 * Subscribes to a server-sent event stream and writes each snapshot into the query cache under `queryKey`,
 * dropping any snapshot older than what the cache holds. The browser's EventSource reconnects by itself.
 */
export function useLiveFeed<T>(url: string, queryKey: QueryKey, observedAtOf: (value: T) => string): LiveState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveState>({ status: 'connecting', failure: null });
  const keyString = JSON.stringify(queryKey);

  useEffect(() => {
    const key = JSON.parse(keyString) as QueryKey;
    const source = new EventSource(url);
    source.onopen = () => setState((s) => ({ ...s, status: 'live' }));
    source.onerror = () => setState((s) => ({ ...s, status: s.status === 'connecting' ? 'connecting' : 'reconnecting' }));
    source.addEventListener('snapshot', (event) => {
      const incoming = JSON.parse((event as MessageEvent<string>).data) as T;
      queryClient.setQueryData<T>(key, (current) => (isNewerObservation(current && observedAtOf(current), observedAtOf(incoming)) ? incoming : current));
      setState({ status: 'live', failure: null });
    });
    source.addEventListener('failure', (event) => {
      const { message } = JSON.parse((event as MessageEvent<string>).data) as { message: string };
      setState({ status: 'live', failure: message });
    });
    return () => source.close();
      // observedAtOf is a pure accessor; a new function identity on each render must not reconnect.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [url, keyString, queryClient]);

  return state;
}
