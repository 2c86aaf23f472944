import 'server-only';
import type { ClusterRef } from '@/lib/core/topology';
import { authEnv } from '@/lib/server/auth/auth';
import { container, type Container } from '@/lib/server/container';
import { describeError } from '@/lib/server/describe-error';
import { discoverFleet } from '@/lib/server/services/discover-clusters';
import { observeClusterView } from '@/lib/server/services/observe-fleet';
import { AlertEvaluator } from './alert-evaluator';
import { QuorumMetrics } from './metrics';
import { FleetMonitor } from './monitor';
import { WebhookNotifier } from './notifier';
import { subscribeObservations } from './observations';

// The server's monitoring, wired once per process: metrics and the alert evaluator on the observation bus, the
// webhook notifier behind the evaluator, and the background monitor that keeps the bus fed while nobody looks.
// instrumentation.ts starts it; /metrics and the Settings actions reach the same one (kept on globalThis, like the
// container, since Next evaluates this module once per bundle).

export type Monitoring = {
  metrics: QuorumMetrics;
  alerts: AlertEvaluator;
  notifier: WebhookNotifier;
  monitor: FleetMonitor;
  /** The dashboard's public URL (QUORUM_BASE_URL) for links in notifications; '' when not set. */
  externalUrl: string;
};

const KEY = Symbol.for('quorum.server.monitoring');
type Holder = { [KEY]?: Monitoring };

/** The process's monitoring, made (and subscribed to the bus) on first use; the loop runs once started. */
export function monitoring(c: Container = container()): Monitoring {
  const holder = globalThis as Holder;
  holder[KEY] ??= createMonitoring(c);
  return holder[KEY];
}

/** Called by instrumentation.ts: subscribes metrics and alerts, and starts the monitor (QUORUM_MONITOR_INTERVAL_MS > 0). */
export function startMonitoring(c: Container = container()): Monitoring {
  const m = monitoring(c);
  m.monitor.start();
  return m;
}

function createMonitoring(c: Container): Monitoring {
  // The store opens on first use (container.ts): through these, monitoring never opens it before it has work.
  const store = {
    alertStates: (clusterId?: string) => c.store.alertStates(clusterId),
    replaceAlertStates: (clusterId: string, states: Parameters<Container['store']['replaceAlertStates']>[1]) =>
      c.store.replaceAlertStates(clusterId, states),
    listWebhooks: () => c.store.listWebhooks(),
    recordWebhookDelivery: (id: string, delivery: Parameters<Container['store']['recordWebhookDelivery']>[1]) =>
      c.store.recordWebhookDelivery(id, delivery),
  };
  const externalUrl = (authEnv().QUORUM_BASE_URL ?? '').replace(/\/+$/, '');
  const notifier = new WebhookNotifier({ store, externalUrl });
  const alerts = new AlertEvaluator({ store, notify: (n) => notifier.notify(n) });
  const metrics = new QuorumMetrics({
    operations: () => c.store.countOperations(),
    budgets: () => c.computeBudget.snapshot(),
    alerts: () => alerts.firing(),
  });
  subscribeObservations((view) => {
    metrics.observe(view);
    void alerts.observe(view);
  });
  const monitor = new FleetMonitor({
    intervalMs: c.env.QUORUM_MONITOR_INTERVAL_MS,
    listClusters: () => fleetClusters(c),
    observe: (ref) => observeClusterView(ref, c),
    // Every observation passes through observeClusterView, which remembers it there.
    lastObservedAt: (id) => c.observations.observedAt(id),
    describeError,
  });
  return { metrics, alerts, notifier, monitor, externalUrl };
}

/** The fleet's clusters as observeFleet lists them: from the shared per-project Compute snapshots, no call of their own. */
async function fleetClusters(c: Container): Promise<ClusterRef[]> {
  const { clusters } = await discoverFleet({
    projects: c.projects,
    compute: { listMasterInstances: async (project) => (await c.computeSnapshots.read(project)).masters },
  });
  return clusters.map((r) => ({ project: r.project, region: r.region, masterName: r.masterName }));
}
