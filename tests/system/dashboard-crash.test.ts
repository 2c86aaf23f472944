// The crash test of issue 3, on the real dashboard process: an operation is journaled in the dashboard's
// SQLite file, then `next start` is started with QUORUM_FAILPOINT naming a step boundary. When its runner
// reaches that point (the step's effect applied, its `done` not yet written) the server kill -9s itself.
// It is started again at the next boundary, and so on, every start resuming the same operation from the
// journal; a last start without a failpoint finishes it. Then etcdctl checks the cluster as after any
// operation: the member lists of main and events equal the replica VMs, no learner, a key written before
// the first operation still reads. Staging goes 1 -> 3 (an add behind a new load balancer: every add step
// kind, the backup gate's snapshot included) and 3 -> 1 (removals and the load balancer's teardown: every
// remove step kind), one crash at the first step of each kind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import type { ClusterIntent, PlanStep } from '@/lib/core/planner';
import { isTerminalOperationStatus, type Operation } from '@/lib/ports/store';
import { startDashboard, type DashboardExit, type DashboardProcess } from '@/tests/support/dashboard-process';
import { journalOperation, operationEnded } from '@/tests/support/journaled-operations';
import {
  expectConsistent,
  putWithEtcdctl,
  replicaVms,
  sandboxPort,
  STAGING,
  testContainer,
} from '../integration/support';

const APP_PORT = Number(process.env.QUORUM_SYS_APP_PORT ?? 3102);
const KEY = `/quorum-test/crash-${Date.now()}`;
const VALUE = `written-before-${Date.now()}`;
const log = (msg: string) => console.log(`[crash] ${msg}`);

// Plans are made on an observation; a slow probe on a busy machine would read as a replica down and the
// planner would (rightly) refuse, so the tests observe with a longer probe deadline than the dashboard's.
const c = testContainer({ QUORUM_PROBE_TIMEOUT_MS: '3000' });
let dataDir = '';
let store: SqliteStore;
const running = new Set<DashboardProcess>();

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'quorum-crash-'));
  store = await openSqliteStore(dataDir);
});

afterAll(async () => {
  await Promise.all([...running].map((d) => d.stop()));
  await store.close();
  await c.close();
  if (!process.env.QUORUM_KEEP_INTEGRATION_DATA) rmSync(dataDir, { recursive: true, force: true });
});

function dashboard(failpoint?: string): DashboardProcess {
  const d = startDashboard({
    port: APP_PORT,
    dataDir,
    logFile: path.join(dataDir, 'dashboard.log'),
    env: {
      QUORUM_PROVIDER: 'sandbox',
      SANDBOX_PORT: String(sandboxPort()),
      QUORUM_PROJECTS: STAGING.project,
      QUORUM_LB_PROPAGATION_SECONDS: '3',
      ...(failpoint ? { QUORUM_FAILPOINT: failpoint } : {}),
    },
  });
  running.add(d);
  void d.exited.then(() => running.delete(d));
  return d;
}

/** The dashboard's exit, or a clear failure when the operation ended instead or nothing happened in time. */
async function exitOf(d: DashboardProcess, opId: string, timeoutMs: number): Promise<DashboardExit> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = await Promise.race([d.exited, new Promise<null>((r) => setTimeout(() => r(null), 500))]);
    if (exit) return exit;
    const op = await store.getOperation(opId);
    if (op && isTerminalOperationStatus(op.status)) {
      await d.stop();
      throw new Error(
        `the operation ended (${op.status}: ${op.summary ?? ''}) before the failpoint; see ${dataDir}/dashboard.log`,
      );
    }
    if (Date.now() > deadline) {
      await d.stop();
      throw new Error(`the dashboard neither reached the failpoint nor exited within ${timeoutMs} ms`);
    }
  }
}

/** The first step of each kind: a crash point for every kind of boundary the plan has. */
function crashPoints(steps: readonly PlanStep[]): number[] {
  const seen = new Set<string>();
  return steps.flatMap((s, i) => (seen.has(s.kind) ? [] : (seen.add(s.kind), [i])));
}

/** Kills the dashboard at every crash point of the operation in turn, then lets a last start finish it. */
async function crashAtEveryKindThenFinish(intent: ClusterIntent): Promise<Operation> {
  const { op, steps } = await journalOperation(c, store, STAGING, intent, 'crash-test');
  const points = crashPoints(steps);
  log(`${op.id}: ${steps.length} steps, crashing after the effect of steps ${points.join(', ')}`);
  for (const index of points) {
    const t0 = Date.now();
    const exit = await exitOf(dashboard(`${index}:step-returned`), op.id, 240_000);
    expect(exit, `the dashboard at step ${index} (${steps[index]?.kind})`).toEqual({ code: null, signal: 'SIGKILL' });
    const journaled = await store.steps(op.id);
    // The step acted and the process died before journaling it done: the journal says it was running.
    expect(journaled[index]?.status).toBe('running');
    expect(journaled.slice(0, index).map((s) => s.status)).toEqual(Array(index).fill('done'));
    expect(journaled.slice(index + 1).map((s) => s.status)).toEqual(Array(steps.length - index - 1).fill('pending'));
    log(`killed after step ${index} ${steps[index]?.kind} (${Date.now() - t0} ms)`);
  }
  const last = dashboard();
  const ended = await operationEnded(store, op.id);
  await last.stop();
  expect(ended.summary).toMatch(/^Succeeded/);
  expect(ended.status).toBe('succeeded');
  const messages = (await store.logs(op.id)).map((l) => l.message);
  for (const index of points)
    expect(messages).toContain(`Running "${steps[index]?.title ?? ''}" again: it was interrupted`);
  expect(messages.filter((m) => m === 'Resumed from the journal')).toHaveLength(points.length);
  return ended;
}

describe('kill -9 of the dashboard at every step boundary of add and remove', () => {
  it('scales staging 1 -> 3 and 3 -> 1 through crashes, ending consistent each time', async () => {
    const [first] = await replicaVms(c, STAGING);
    expect(first?.name).toBe(STAGING.masterName);
    await putWithEtcdctl(c, STAGING, KEY, VALUE);

    await crashAtEveryKindThenFinish({ kind: 'scale', replicas: 3 });
    const three = await expectConsistent(c, STAGING, { key: KEY, value: VALUE });
    expect(three).toHaveLength(3);
    expect(new Set(three.map((r) => r.zone)).size).toBe(3);
    const address = await c.compute.getAddress(STAGING.project, STAGING.region, `${STAGING.masterName}-ip`);
    expect((await c.compute.getForwardingRule(STAGING.project, STAGING.region, STAGING.masterName))?.ipAddress).toBe(
      address?.address,
    );
    expect(
      (await c.compute.getTargetPool(STAGING.project, STAGING.region, STAGING.masterName))?.instances.sort(),
    ).toEqual(three.map((r) => r.name).sort());

    const added = three.filter((r) => r.name !== STAGING.masterName);
    await crashAtEveryKindThenFinish({ kind: 'scale', replicas: 1, zones: added.map((r) => r.zone) });
    const one = await expectConsistent(c, STAGING, { key: KEY, value: VALUE });
    expect(one.map((r) => r.name)).toEqual([STAGING.masterName]);
    expect(one[0]?.externalIp).toBe(address?.address);
    expect(await c.compute.getForwardingRule(STAGING.project, STAGING.region, STAGING.masterName)).toBeNull();
    expect(await c.compute.getTargetPool(STAGING.project, STAGING.region, STAGING.masterName)).toBeNull();
    for (const r of added) expect(await c.compute.getDisk(STAGING.project, r.zone, `${r.name}-pd`)).toBeNull();
  });
});
