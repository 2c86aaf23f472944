import 'server-only';
import { Counter, Gauge, Registry } from 'prom-client';
import type { AlertState } from '@/lib/core/alerts';
import { ETCD_CLUSTERS } from '@/lib/core/topology';
import type { ProjectBudget } from '@/lib/core/rate-limit';
import type { ClusterView } from '@/lib/core/view';
import type { OperationCount } from '@/lib/ports/store';

// Prometheus metrics at /metrics (app/metrics/route.ts), on a registry of Quorum's own (never prom-client's global
// one, which another library in the process could fill). Cluster metrics follow the observation bus: the latest
// observation of each cluster, whoever made it (a page, a feed, the background monitor). Operations and the Compute
// API budget are read when scraped. Every cluster series carries cluster="<project>~<region>~<master>".

const REPLICA_STATES = ['healthy', 'unhealthy', 'unknown'] as const;

export type MetricsSources = {
  /** The journal's operations counted by cluster, kind and status. */
  operations: () => Promise<OperationCount[]>;
  /** Every project's Compute API budget (ComputeBudget.snapshot). */
  budgets: () => ProjectBudget[];
  /** The alerts firing now, every cluster's. */
  alerts: () => AlertState[];
};

export class QuorumMetrics {
  readonly registry = new Registry();
  private readonly latest = new Map<string, number>();
  /** etcd main's leader per cluster as last seen (null: none known yet). */
  private readonly leaders = new Map<string, string>();
  private readonly canLoseReplicas: Gauge<'cluster'>;
  private readonly canLoseZones: Gauge<'cluster'>;
  private readonly replicas: Gauge<'cluster' | 'state'>;
  private readonly hasQuorum: Gauge<'cluster' | 'etcd'>;
  private readonly leaderChanges: Counter<'cluster'>;
  private readonly observed: Gauge<'cluster'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.canLoseReplicas = new Gauge({
      name: 'quorum_cluster_can_lose_replicas',
      help: 'Further replicas the cluster can lose with etcd quorum kept (0: one more failure stops the control plane).',
      labelNames: ['cluster'],
      registers,
    });
    this.canLoseZones = new Gauge({
      name: 'quorum_cluster_can_lose_zones',
      help: 'Further whole zones the cluster can lose with etcd quorum kept (worst case).',
      labelNames: ['cluster'],
      registers,
    });
    this.replicas = new Gauge({
      name: 'quorum_cluster_replicas',
      help: 'Master replicas by health (unknown: a probe timed out).',
      labelNames: ['cluster', 'state'],
      registers,
    });
    this.hasQuorum = new Gauge({
      name: 'quorum_etcd_has_quorum',
      help: 'Whether the etcd cluster (main, events) has a quorum of healthy voters (1) or not (0).',
      labelNames: ['cluster', 'etcd'],
      registers,
    });
    this.leaderChanges = new Counter({
      name: 'quorum_etcd_leader_changes_total',
      help: 'Changes of the etcd main leader seen between two observations since the dashboard started.',
      labelNames: ['cluster'],
      registers,
    });
    this.observed = new Gauge({
      name: 'quorum_cluster_last_observation_timestamp_seconds',
      help: 'When the cluster was last observed (alert on its age: Quorum itself may be blind).',
      labelNames: ['cluster'],
      registers,
    });

    new Gauge({
      name: 'quorum_alerts_firing',
      help: 'Alerts firing now (as notified to the webhooks), by severity.',
      labelNames: ['cluster', 'severity'],
      registers,
      collect() {
        this.reset();
        for (const a of sources.alerts()) this.inc({ cluster: a.clusterId, severity: a.labels.severity ?? 'warning' });
      },
    });
    new Gauge({
      name: 'quorum_operations',
      help: 'Operations in the journal by cluster, kind and status (succeeded, failed, cancelled, or still running).',
      labelNames: ['cluster', 'kind', 'status'],
      registers,
      async collect() {
        const counts = await sources.operations();
        this.reset();
        for (const o of counts) this.set({ cluster: o.clusterId, kind: o.kind, status: o.status }, o.count);
      },
    });

    // The Compute API budget per project (Settings shows the same): tokens now, and what it did since the start.
    const budgetGauge = (name: string, help: string, value: (b: ProjectBudget) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['project'],
        registers,
        collect() {
          this.reset();
          for (const b of sources.budgets()) this.set({ project: b.project }, value(b));
        },
      });
    const budgetCounter = (name: string, help: string, value: (b: ProjectBudget) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['project'],
        registers,
        collect() {
          this.reset();
          for (const b of sources.budgets()) this.inc({ project: b.project }, value(b));
        },
      });
    budgetGauge(
      'quorum_compute_budget_tokens',
      'Compute API calls the project may make at once now (negative: owed to waiting calls).',
      (b) => b.tokens,
    );
    budgetGauge(
      'quorum_compute_budget_capacity',
      'Size of the project’s Compute API token bucket (QUORUM_COMPUTE_BURST).',
      (b) => b.capacity,
    );
    budgetGauge(
      'quorum_compute_budget_rate_per_second',
      'Compute API calls per second the project is allowed (QUORUM_COMPUTE_RATE_PER_SECOND).',
      (b) => b.ratePerSecond,
    );
    budgetGauge('quorum_compute_calls_waiting', 'Compute API calls waiting for a token now.', (b) => b.waiting);
    budgetGauge(
      'quorum_compute_budget_paused',
      'Whether the project’s calls are paused after Compute answered rateLimitExceeded (1) or not (0).',
      (b) => (b.pausedUntil !== null ? 1 : 0),
    );
    budgetCounter(
      'quorum_compute_calls_total',
      'Compute API calls let through, at once or after waiting.',
      (b) => b.granted,
    );
    budgetCounter(
      'quorum_compute_calls_waited_total',
      'Compute API calls that had to wait for a token.',
      (b) => b.waited,
    );
    budgetCounter(
      'quorum_compute_calls_refused_total',
      'Compute API calls failed because their wait would have exceeded QUORUM_COMPUTE_TIMEOUT_MS.',
      (b) => b.refused,
    );
    budgetCounter(
      'quorum_compute_rate_limited_total',
      'rateLimitExceeded / 429 answers Compute gave.',
      (b) => b.rateLimited,
    );
    new Counter({
      name: 'quorum_compute_requests_total',
      help: 'Compute API requests by Google’s quota group (reads, lists, operation reads, mutations).',
      labelNames: ['project', 'group'],
      registers,
      collect() {
        this.reset();
        for (const b of sources.budgets())
          for (const [group, n] of Object.entries(b.requestsByGroup)) this.inc({ project: b.project, group }, n);
      },
    });
  }

  /** Takes one observation; an observation older than the latest taken for its cluster is ignored. */
  observe(view: ClusterView): void {
    const at = Date.parse(view.topology.observedAt);
    if (!Number.isFinite(at) || at <= (this.latest.get(view.id) ?? -Infinity)) return;
    this.latest.set(view.id, at);
    const cluster = view.id;
    const a = view.assessment;
    this.canLoseReplicas.set({ cluster }, a.canLoseReplicas);
    this.canLoseZones.set({ cluster }, a.canLoseZones);
    const health = Object.values(a.replicaHealth);
    for (const state of REPLICA_STATES) this.replicas.set({ cluster, state }, health.filter((h) => h === state).length);
    for (const etcd of ETCD_CLUSTERS) this.hasQuorum.set({ cluster, etcd }, a.etcd[etcd].hasQuorum ? 1 : 0);
    this.observed.set({ cluster }, at / 1000);
    // A change is counted between two known leaders: an observation where nobody answered with a leader in between
    // does not count twice, and the first leader seen is no change.
    const leader = a.etcd.main.leaderId;
    if (leader !== null && leader !== '0') {
      const before = this.leaders.get(cluster);
      if (before !== undefined && before !== leader) this.leaderChanges.inc({ cluster });
      if (before === undefined) this.leaderChanges.inc({ cluster }, 0);
      this.leaders.set(cluster, leader);
    }
  }

  /** The text exposition format (version 0.0.4) of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
