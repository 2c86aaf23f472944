import 'server-only';
import {
  alertCandidatesOf,
  evaluateAlerts,
  notificationsOf,
  type AlertNotification,
  type AlertState,
} from '@/lib/core/alerts';
import type { ClusterView } from '@/lib/core/view';
import type { Store } from '@/lib/ports/store';

export type AlertEvaluatorDeps = {
  store: Pick<Store, 'alertStates' | 'replaceAlertStates'>;
  /** Called with each notification once its state is in the store; must not block (the notifier queues). */
  notify: (notification: AlertNotification) => void;
  log?: (message: string, error?: unknown) => void;
};

/**
 * Follows the observation bus and keeps each cluster's firing alerts (lib/core/alerts.ts), in memory and in the
 * store: a cluster's states are read from the store on its first observation, so a restarted dashboard notifies
 * nothing that was firing before it stopped. The observations of one cluster are evaluated one at a time, in order
 * (a page's feed and the monitor may observe it at once; an observation older than the last one evaluated is
 * dropped). The store is written before anything is notified: a crash in between loses a notification rather than
 * sending one twice.
 */
export class AlertEvaluator {
  private readonly states = new Map<string, AlertState[]>();
  private readonly evaluatedAt = new Map<string, number>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly log: (message: string, error?: unknown) => void;

  constructor(private readonly deps: AlertEvaluatorDeps) {
    this.log = deps.log ?? ((message, error) => console.error(`[alerts] ${message}`, error ?? ''));
  }

  /** Queues one observation; the promise settles when it has been evaluated (it never rejects). */
  observe(view: ClusterView): Promise<void> {
    const previous = this.chains.get(view.id) ?? Promise.resolve();
    const next = previous
      .then(() => this.evaluate(view))
      .catch((error: unknown) => this.log(`evaluating an observation of ${view.id} failed`, error));
    this.chains.set(view.id, next);
    void next.then(() => {
      if (this.chains.get(view.id) === next) this.chains.delete(view.id);
    });
    return next;
  }

  /** Every alert firing now (or ended fewer than RESOLVE_AFTER_CLEAN observations ago), every cluster's. */
  firing(): AlertState[] {
    return [...this.states.values()].flat();
  }

  /** Resolves once every observation queued so far has been evaluated. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async evaluate(view: ClusterView): Promise<void> {
    const at = Date.parse(view.topology.observedAt);
    if (!Number.isFinite(at) || at <= (this.evaluatedAt.get(view.id) ?? -Infinity)) return;
    let previous = this.states.get(view.id);
    if (previous === undefined) {
      previous = await this.deps.store.alertStates(view.id);
      this.states.set(view.id, previous);
    }
    const evaluation = evaluateAlerts(view.id, previous, alertCandidatesOf(view), view.topology.observedAt);
    if (evaluation.changed) await this.deps.store.replaceAlertStates(view.id, evaluation.next);
    // Only once stored: a failed write leaves the states (and the notifications) for the next observation to retry.
    this.states.set(view.id, evaluation.next);
    this.evaluatedAt.set(view.id, at);
    for (const notification of notificationsOf(view.topology.cluster, evaluation)) {
      try {
        this.deps.notify(notification);
      } catch (error) {
        this.log(`queueing a ${notification.status} notification of ${view.id} failed`, error);
      }
    }
  }
}
