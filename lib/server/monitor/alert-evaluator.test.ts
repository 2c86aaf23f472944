import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import type { AlertNotification } from '@/lib/core/alerts';
import { assessTopology } from '@/lib/core/assessment';
import { buildTopology, prodSpec, type TopologySpec } from '@/lib/core/testing/topology-builder';
import { clusterId } from '@/lib/core/topology';
import type { ClusterView } from '@/lib/core/view';
import { AlertEvaluator } from './alert-evaluator';

let dir: string;
const stores: SqliteStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'quorum-alerts-'));
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function store(): Promise<SqliteStore> {
  const s = await openSqliteStore(dir);
  stores.push(s);
  return s;
}

const HEALTHY = prodSpec();
const STOPPED = prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] });

/** Observation number `n` (n seconds after noon) of `spec`, as observeClusterView makes it. */
function view(spec: TopologySpec, n: number): ClusterView {
  const observedAt = new Date(Date.UTC(2026, 0, 10, 12, 0, n)).toISOString();
  const topology = buildTopology({ ...spec, observedAt });
  return {
    id: clusterId(topology.cluster),
    topology,
    assessment: assessTopology(topology, new Date(observedAt)),
    failureSince: {},
  };
}

function evaluatorOn(s: SqliteStore) {
  const sent: AlertNotification[] = [];
  const evaluator = new AlertEvaluator({ store: s, notify: (n) => sent.push(n) });
  const summary = () => sent.map((n) => `${n.status} ${n.alerts.map((a) => a.key).join(' ')}`);
  return { evaluator, sent, summary };
}

describe('AlertEvaluator on the real store', () => {
  it('notifies one firing for a stopped replica, nothing while it stays stopped, one resolved after two healthy observations', async () => {
    const { evaluator, summary } = evaluatorOn(await store());
    const sequence = [HEALTHY, STOPPED, STOPPED, STOPPED, HEALTHY, HEALTHY, HEALTHY];
    for (const [i, spec] of sequence.entries()) await evaluator.observe(view(spec, i));
    expect(summary()).toEqual([
      'firing ReplicaUnhealthy|prod-master-c02 ToleranceBelowOne|',
      'resolved ReplicaUnhealthy|prod-master-c02 ToleranceBelowOne|',
    ]);
    expect(evaluator.firing()).toEqual([]);
  });

  it('keeps the firing state across a restart: the new process notifies no second firing, and the resolved once', async () => {
    const first = evaluatorOn(await store());
    await first.evaluator.observe(view(STOPPED, 1));
    expect(first.summary()).toEqual(['firing ReplicaUnhealthy|prod-master-c02 ToleranceBelowOne|']);
    await Promise.all(stores.splice(0).map((s) => s.close()));

    // A new process: its own store connection and evaluator, nothing in memory.
    const s = await store();
    expect((await s.alertStates(clusterId(STOPPED_REF))).map((a) => a.key)).toEqual([
      'ReplicaUnhealthy|prod-master-c02',
      'ToleranceBelowOne|',
    ]);
    const second = evaluatorOn(s);
    await second.evaluator.observe(view(STOPPED, 2));
    await second.evaluator.observe(view(HEALTHY, 3));
    expect(second.summary()).toEqual([]);
    await second.evaluator.observe(view(HEALTHY, 4));
    expect(second.summary()).toEqual(['resolved ReplicaUnhealthy|prod-master-c02 ToleranceBelowOne|']);
    expect(await s.alertStates()).toEqual([]);
  });

  it('drops an observation older than one already evaluated (two observers of one cluster racing)', async () => {
    const { evaluator, summary } = evaluatorOn(await store());
    await evaluator.observe(view(STOPPED, 5));
    // Started before the one above, finished after it: what it saw is stale.
    await evaluator.observe(view(HEALTHY, 3));
    await evaluator.observe(view(HEALTHY, 4));
    expect(summary()).toEqual(['firing ReplicaUnhealthy|prod-master-c02 ToleranceBelowOne|']);
  });

  it('evaluates concurrent observations of a cluster one at a time, in the order they came', async () => {
    const { evaluator, summary } = evaluatorOn(await store());
    await Promise.all([
      evaluator.observe(view(STOPPED, 1)),
      evaluator.observe(view(STOPPED, 2)),
      evaluator.observe(view(HEALTHY, 3)),
      evaluator.observe(view(HEALTHY, 4)),
    ]);
    expect(summary()).toEqual([
      'firing ReplicaUnhealthy|prod-master-c02 ToleranceBelowOne|',
      'resolved ReplicaUnhealthy|prod-master-c02 ToleranceBelowOne|',
    ]);
  });

  it('a store that cannot be written notifies nothing, and the next observation tries again', async () => {
    const s = await store();
    const logged: string[] = [];
    let broken = true;
    const sent: AlertNotification[] = [];
    const evaluator = new AlertEvaluator({
      store: {
        alertStates: (id) => s.alertStates(id),
        replaceAlertStates: (id, states) =>
          broken ? Promise.reject(new Error('disk full')) : s.replaceAlertStates(id, states),
      },
      notify: (n) => sent.push(n),
      log: (message) => logged.push(message),
    });
    await evaluator.observe(view(STOPPED, 1));
    expect(sent).toEqual([]);
    expect(logged).toEqual(['evaluating an observation of sandbox-project~europe-west1~prod-master failed']);
    broken = false;
    await evaluator.observe(view(STOPPED, 2));
    expect(sent.map((n) => n.status)).toEqual(['firing']);
  });
});

const STOPPED_REF = { project: 'sandbox-project', region: 'europe-west1', masterName: 'prod-master' };
