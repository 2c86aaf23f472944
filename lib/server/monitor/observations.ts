import 'server-only';
import type { ClusterView } from '@/lib/core/view';

// The observation bus: every ClusterView the server produces (live feeds, pages, previews, the background monitor)
// is published here by observeClusterView, so whatever needs to follow the clusters (metrics, alerts, a history)
// subscribes once instead of observing on its own. In-process and synchronous: a listener that has slow work to
// do starts it and returns. Kept on globalThis, like the container, because Next evaluates modules once per bundle
// (instrumentation, each route) and a module-level set would split the subscribers from the publishers.

export type ObservationListener = (view: ClusterView) => void;

type Bus = { listeners: Set<ObservationListener> };

const KEY = Symbol.for('quorum.server.observations');
type Holder = { [KEY]?: Bus };

function bus(): Bus {
  const holder = globalThis as Holder;
  holder[KEY] ??= { listeners: new Set() };
  return holder[KEY];
}

/** Calls `listener` with every cluster observation published from now on; returns the unsubscribe. */
export function subscribeObservations(listener: ObservationListener): () => void {
  const { listeners } = bus();
  // A wrapper per subscription, so subscribing the same function twice gives two independent subscriptions.
  const entry: ObservationListener = (view) => listener(view);
  listeners.add(entry);
  return () => {
    listeners.delete(entry);
  };
}

/**
 * Hands `view` to every listener. A listener that throws (or whose promise rejects) is logged and never fails the
 * observation that published it, nor the listeners after it.
 */
export function publishObservation(view: ClusterView): void {
  for (const listener of [...bus().listeners]) {
    try {
      const returned: unknown = listener(view);
      if (returned instanceof Promise) returned.catch((error: unknown) => logListenerError(view.id, error));
    } catch (error) {
      logListenerError(view.id, error);
    }
  }
}

function logListenerError(clusterId: string, error: unknown): void {
  console.error(`[observations] a listener failed on an observation of ${clusterId}:`, error);
}
