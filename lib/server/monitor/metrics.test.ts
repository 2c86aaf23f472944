import { describe, expect, it } from 'vitest';
import type { AlertState } from '@/lib/core/alerts';
import { assessTopology } from '@/lib/core/assessment';
import type { ProjectBudget } from '@/lib/core/rate-limit';
import { buildTopology, prodSpec, stagingSpec, type TopologySpec } from '@/lib/core/testing/topology-builder';
import { clusterId, type Topology } from '@/lib/core/topology';
import type { ClusterView } from '@/lib/core/view';
import type { OperationCount } from '@/lib/ports/store';
import { QuorumMetrics } from './metrics';

const PROD = 'sandbox-project~europe-west1~prod-master';
const STAGING = 'sandbox-project~us-central1~staging-master';

function viewOf(t: Topology): ClusterView {
  return {
    id: clusterId(t.cluster),
    topology: t,
    assessment: assessTopology(t, new Date(t.observedAt)),
    failureSince: {},
  };
}
const at = (n: number) => new Date(Date.UTC(2026, 0, 10, 12, 0, n)).toISOString();
const view = (spec: TopologySpec, n: number) => viewOf(buildTopology({ ...spec, observedAt: at(n) }));

/** etcd main's leader moved to `leader` (a decimal member id as members report it). */
function withMainLeader(v: ClusterView, leader: string): ClusterView {
  const t: Topology = {
    ...v.topology,
    replicas: v.topology.replicas.map((r) =>
      r.etcd.main.ok ? { ...r, etcd: { ...r.etcd, main: { ...r.etcd.main, leaderId: leader } } } : r,
    ),
  };
  return viewOf(t);
}

const BUDGET: ProjectBudget = {
  project: 'sandbox-project',
  capacity: 40,
  ratePerSecond: 20,
  tokens: 37.5,
  waiting: 0,
  granted: 120,
  grantedTokens: 130,
  waited: 3,
  totalWaitMs: 40,
  lastWait: null,
  refused: 1,
  lanes: {
    observe: { granted: 100, waited: 3, totalWaitMs: 40, maxWaitMs: 20 },
    operation: { granted: 20, waited: 0, totalWaitMs: 0, maxWaitMs: 0 },
  },
  requestsByGroup: { read: 10, list: 100, operationRead: 5, mutation: 5 },
  rateLimited: 0,
  pausedUntil: null,
};

function metrics(over: { operations?: OperationCount[]; alerts?: AlertState[] } = {}) {
  return new QuorumMetrics({
    operations: async () => over.operations ?? [],
    budgets: () => [BUDGET],
    alerts: () => over.alerts ?? [],
  });
}

/** The value of one series in the exposition text, or undefined when it is not there. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('QuorumMetrics', () => {
  it('shows each cluster’s tolerance and replicas by state from its latest observation', async () => {
    const m = metrics();
    m.observe(view(prodSpec(), 1));
    m.observe(view(stagingSpec(), 1));
    let text = await m.render();
    expect(sample(text, `quorum_cluster_can_lose_replicas{cluster="${PROD}"}`)).toBe(1);
    expect(sample(text, `quorum_cluster_can_lose_zones{cluster="${PROD}"}`)).toBe(1);
    expect(sample(text, `quorum_cluster_can_lose_replicas{cluster="${STAGING}"}`)).toBe(0);
    expect(sample(text, `quorum_cluster_replicas{cluster="${PROD}",state="healthy"}`)).toBe(3);
    expect(sample(text, `quorum_etcd_has_quorum{cluster="${PROD}",etcd="events"}`)).toBe(1);
    expect(sample(text, `quorum_cluster_last_observation_timestamp_seconds{cluster="${PROD}"}`)).toBe(
      Date.parse(at(1)) / 1000,
    );

    m.observe(
      view(
        prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd', etcd: 'timeout' }] }),
        2,
      ),
    );
    text = await m.render();
    expect(sample(text, `quorum_cluster_can_lose_replicas{cluster="${PROD}"}`)).toBe(0);
    expect(sample(text, `quorum_cluster_replicas{cluster="${PROD}",state="healthy"}`)).toBe(1);
    expect(sample(text, `quorum_cluster_replicas{cluster="${PROD}",state="unhealthy"}`)).toBe(1);
    expect(sample(text, `quorum_cluster_replicas{cluster="${PROD}",state="unknown"}`)).toBe(1);
  });

  it('ignores an observation older than the latest it took', async () => {
    const m = metrics();
    m.observe(view(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] }), 5));
    m.observe(view(prodSpec(), 4));
    expect(sample(await m.render(), `quorum_cluster_can_lose_replicas{cluster="${PROD}"}`)).toBe(0);
  });

  it('counts etcd main leader changes between observations, not the first leader seen nor an observation without one', async () => {
    const m = metrics();
    const base = view(prodSpec(), 1);
    const leader = base.assessment.etcd.main.leaderId ?? '';
    const other =
      base.topology.replicas
        .map((r) => (r.etcd.main.ok ? r.etcd.main.memberId : ''))
        .find((id) => id !== '' && id !== leader) ?? '';
    m.observe(base);
    expect(sample(await m.render(), `quorum_etcd_leader_changes_total{cluster="${PROD}"}`)).toBe(0);
    m.observe({ ...withMainLeader(view(prodSpec(), 2), other) });
    m.observe({ ...withMainLeader(view(prodSpec(), 3), other) });
    // Nobody answered with a leader, then the same one again: no change.
    m.observe(withMainLeader(view(prodSpec(), 4), '0'));
    m.observe(withMainLeader(view(prodSpec(), 5), other));
    m.observe(withMainLeader(view(prodSpec(), 6), leader));
    expect(sample(await m.render(), `quorum_etcd_leader_changes_total{cluster="${PROD}"}`)).toBe(2);
  });

  it('reads operations, firing alerts and the Compute budget when scraped', async () => {
    const alert = (clusterId: string, severity: string): AlertState => ({
      clusterId,
      key: `A|${severity}`,
      fingerprint: '0',
      labels: { severity },
      annotations: {},
      startsAt: at(0),
      missing: 0,
      clearedAt: null,
    });
    const m = metrics({
      operations: [
        { clusterId: PROD, kind: 'add-replica', status: 'succeeded', count: 3 },
        { clusterId: PROD, kind: 'remove-replica', status: 'failed', count: 1 },
      ],
      alerts: [alert(PROD, 'critical'), alert(PROD, 'critical'), alert(PROD, 'warning')],
    });
    const text = await m.render();
    expect(sample(text, `quorum_operations{cluster="${PROD}",kind="add-replica",status="succeeded"}`)).toBe(3);
    expect(sample(text, `quorum_operations{cluster="${PROD}",kind="remove-replica",status="failed"}`)).toBe(1);
    expect(sample(text, `quorum_alerts_firing{cluster="${PROD}",severity="critical"}`)).toBe(2);
    expect(sample(text, `quorum_alerts_firing{cluster="${PROD}",severity="warning"}`)).toBe(1);
    expect(sample(text, 'quorum_compute_budget_tokens{project="sandbox-project"}')).toBe(37.5);
    expect(sample(text, 'quorum_compute_budget_capacity{project="sandbox-project"}')).toBe(40);
    expect(sample(text, 'quorum_compute_calls_total{project="sandbox-project"}')).toBe(120);
    expect(sample(text, 'quorum_compute_calls_refused_total{project="sandbox-project"}')).toBe(1);
    expect(sample(text, 'quorum_compute_requests_total{project="sandbox-project",group="list"}')).toBe(100);
    // Scraped twice, the counters read the same totals (they are set from the budget, not added to).
    expect(sample(await m.render(), 'quorum_compute_calls_total{project="sandbox-project"}')).toBe(120);
    expect(text).toContain('# TYPE quorum_compute_calls_total counter');
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('has a registry of its own: two instances do not share series, nothing lands in prom-client’s global one', async () => {
    const a = metrics();
    const b = metrics();
    a.observe(view(prodSpec(), 1));
    expect(sample(await b.render(), `quorum_cluster_can_lose_replicas{cluster="${PROD}"}`)).toBeUndefined();
    const { register } = await import('prom-client');
    expect(await register.getSingleMetric('quorum_cluster_can_lose_replicas')).toBeUndefined();
  });
});
