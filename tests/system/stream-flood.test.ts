// Issue 12, finding 1 on the real dashboard process (`next start`), its Compute requests counted by an HTTP front
// between it and the sandbox's emulator:
//  - 200 live streams on made-up cluster ids: each answered 404, no Compute request of their own;
//  - the same 200, reconnecting as EventSource does, during an operator's add: none is served, none reaches
//    Compute, and the add takes as long as the same add without them (both in this run, their times printed).
//    On prod (3 -> 4 -> 3): staging has one replica, and its 1 -> 2 add is refused as unsafe.
//  - one user's streams past QUORUM_STREAMS_PER_USER are refused with 429 before any feed starts;
//  - streams dropped abruptly by their clients leave no feed polling: no Compute request once they are gone;
//  - plan previews past the per-user burst are refused with a retry time (the check comes before any read).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { clusterId } from '@/lib/core/topology';
import { startComputeFront, type ComputeFront } from '@/tests/support/compute-front';
import {
  dashboardReady,
  signInAsBootstrapAdmin,
  startDashboard,
  type DashboardProcess,
} from '@/tests/support/dashboard-process';
import { operationEnded } from '@/tests/support/journaled-operations';
import { callServerAction } from '@/tests/support/server-actions';
import { PROD, replicaVms, sandboxPort, testContainer } from '../integration/support';

const APP_PORT = Number(process.env.QUORUM_SYS_FLOOD_APP_PORT ?? 3104);
const BASE = `http://127.0.0.1:${APP_PORT}`;
const c = testContainer({ QUORUM_PROBE_TIMEOUT_MS: '3000' });
let dataDir = '';
let store: SqliteStore;
let front: ComputeFront;
let dashboard: DashboardProcess | null = null;
let cookie = '';

const computeRequests = () => front.requests.filter((r) => r.includes('/compute/v1/')).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'quorum-stream-flood-'));
  store = await openSqliteStore(dataDir);
  front = await startComputeFront(sandboxPort());
}, 60_000);

afterAll(async () => {
  await dashboard?.stop();
  await store.close();
  await front.close();
  await c.close();
  if (!process.env.QUORUM_KEEP_INTEGRATION_DATA) rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the dashboard on the journal (it resumes what is journaled) and signs in as its bootstrap admin. */
async function startSignedIn(): Promise<void> {
  await dashboard?.stop();
  dashboard = startDashboard({
    port: APP_PORT,
    dataDir,
    logFile: path.join(dataDir, 'dashboard.log'),
    // No background monitor: it observes every cluster every few seconds by design (issue 13's alerts), and this file
    // asks whether the streams' own feeds stop with their clients, counting Compute requests to the last one.
    env: {
      QUORUM_PROVIDER: 'sandbox',
      SANDBOX_PORT: String(front.port),
      QUORUM_PROJECTS: PROD.project,
      QUORUM_MONITOR_INTERVAL_MS: '0',
    },
  });
  await dashboardReady(dashboard, APP_PORT);
  cookie = await signInAsBootstrapAdmin(BASE, dataDir);
}

/** Opens a stream: `status` once the answer's head is in (0 when the request failed), `done` when it ended or was aborted. */
function openStream(url: string, signal: AbortSignal): { status: Promise<number>; done: Promise<void> } {
  const answer = fetch(`${BASE}${url}`, { headers: { cookie, accept: 'text/event-stream' }, signal }).catch(() => null);
  const done = answer.then(async (res) => {
    const reader = res?.status === 200 ? res.body?.getReader() : undefined;
    try {
      while (reader && !(await reader.read()).done);
    } catch {
      // aborted
    }
  });
  return { status: answer.then((res) => res?.status ?? 0), done };
}

async function stream(url: string, signal: AbortSignal): Promise<number> {
  const s = openStream(url, signal);
  await s.done;
  return s.status;
}

/** Starts an operation through the dashboard's own server action, as the wizard's button does; its id. */
async function startOperation(intent: Record<string, unknown>): Promise<string> {
  const { result, body } = await callServerAction(BASE, cookie, 'startOperationAction', {
    clusterId: clusterId(PROD),
    intent,
    confirm: PROD.masterName,
  });
  const id = (result as { data?: { operationId?: string } } | null)?.data?.operationId;
  if (!result?.ok || !id) throw new Error(`the start was refused: ${body.slice(0, 500)}`);
  return id;
}

/** An add on prod in europe-west1-d, then the removal of what it made: how long the add took, start to end. */
async function addAndRemove(): Promise<{ ms: number; computeRequests: number }> {
  const before = (await replicaVms(c, PROD)).map((r) => r.name);
  const mark = computeRequests();
  const t0 = Date.now();
  const added = await operationEnded(
    store,
    await startOperation({ kind: 'add-replica', zone: 'europe-west1-d' }),
    300_000,
    250,
  );
  const ms = Date.now() - t0;
  const requests = computeRequests() - mark;
  expect(added.summary).toMatch(/^Succeeded/);
  const made = (await replicaVms(c, PROD)).filter((r) => !before.includes(r.name));
  expect(made).toHaveLength(1);
  const removed = await operationEnded(
    store,
    await startOperation({ kind: 'remove-replica', zone: 'europe-west1-d', name: made[0]?.name }),
    300_000,
    250,
  );
  expect(removed.summary).toMatch(/^Succeeded/);
  return { ms, computeRequests: requests };
}

/** Waits until no Compute request was made for 3 s in a row (30 s at most). */
async function computeQuiet(): Promise<void> {
  let settled = computeRequests();
  for (let quiet = 0, waited = 0; quiet < 3 && waited < 30; waited++) {
    await sleep(1_000);
    quiet = computeRequests() === settled ? quiet + 1 : 0;
    settled = computeRequests();
  }
}

const madeUp = (i: number) =>
  `/api/clusters/${encodeURIComponent(`${PROD.project}~${PROD.region}~flood${i}-master`)}/events`;
const prodStream = `/api/clusters/${encodeURIComponent(clusterId(PROD))}/events`;

describe('live streams cannot starve operators', () => {
  it('200 streams on made-up ids: every one 404, no feed started and no Compute request, after one legitimate look at prod', async () => {
    await startSignedIn();
    // Twice: the first look publishes Quorum's SSH key into prod's metadata, a change of Quorum's own that makes the
    // next read of the project's snapshot go to Compute; the second reads it. Then no Compute request for 3 s.
    for (let i = 0; i < 2; i++) {
      const look = await fetch(`${BASE}/api/clusters/${encodeURIComponent(clusterId(PROD))}`, { headers: { cookie } });
      expect(look.status).toBe(200);
      await computeQuiet();
    }
    const before = computeRequests();
    const aborts = Array.from({ length: 200 }, () => new AbortController());
    const statuses = await Promise.all(aborts.map((a, i) => stream(madeUp(i), a.signal)));
    expect(statuses.filter((s) => s !== 404)).toEqual([]);
    expect(computeRequests() - before).toBe(0);
  });

  it("the same flood, reconnecting, during an operator's add: none served, none reaching Compute, and the add as fast as without it", async () => {
    if (!dashboard) await startSignedIn();
    const alone = await addAndRemove();

    // 200 clients on made-up ids, each opening its stream again 3 s after it ends (EventSource's reconnection).
    let flooding = true;
    const answers = new Map<number, number>();
    const flooders = Array.from({ length: 200 }, async (_, i) => {
      while (flooding) {
        const status = await stream(madeUp(i), new AbortController().signal);
        answers.set(status, (answers.get(status) ?? 0) + 1);
        await sleep(3_000);
      }
    });
    const floodRequestsBefore = front.urls.filter((r) => r.includes('flood')).length;
    let flooded: { ms: number; computeRequests: number };
    try {
      flooded = await addAndRemove();
    } finally {
      flooding = false;
      await Promise.all(flooders);
    }
    console.log(
      `add on prod alone: ${alone.ms} ms, ${alone.computeRequests} Compute requests; with 200 made-up streams reconnecting: ${flooded.ms} ms, ` +
        `${flooded.computeRequests} Compute requests; the streams' answers: ${JSON.stringify(Object.fromEntries(answers))}`,
    );
    // Every answer a 404 (a stream-cap refusal would be the other acceptable one); none of them a stream.
    expect([...answers.keys()].filter((s) => s !== 404 && s !== 429)).toEqual([]);
    expect([...answers.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(200);
    // No Compute request names a made-up cluster (in its path or a list's filter), and the add made no more requests than alone, give or take its
    // own polling of Compute's Operations.
    expect(front.urls.filter((r) => r.includes('flood')).length - floodRequestsBefore).toBe(0);
    expect(flooded.computeRequests).toBeLessThanOrEqual(alone.computeRequests * 1.5 + 20);
    // The add takes the time it takes: within half again of the same add alone (plus 10 s for the 2 cores).
    expect(flooded.ms).toBeLessThanOrEqual(alone.ms * 1.5 + 10_000);
  });

  it("one user's streams past the cap are refused with 429; 30 streams dropped abruptly leave no feed polling after 10 s", async () => {
    if (!dashboard) await startSignedIn();
    const cap = 12;
    const aborts = Array.from({ length: cap + 3 }, () => new AbortController());
    const opened = aborts.map((a) => openStream(prodStream, a.signal));
    // The cap's worth are open, the rest refused at once.
    const statuses = await Promise.all(opened.map((o) => o.status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(cap);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    const answer = await fetch(`${BASE}${prodStream}`, { headers: { cookie } });
    expect(answer.status).toBe(429);
    expect(await answer.json()).toMatchObject({ code: 'TooManyStreams', retryAfterSeconds: 5 });

    // Every client drops its stream at once; within a few seconds nothing polls Compute for them any more.
    await sleep(6_000);
    for (const a of aborts) a.abort();
    await Promise.all(opened.map((o) => o.done));
    // Two more rounds, 30 abrupt drops in all, each in the middle of the feed's observations. The server sees the
    // drops of a round within 2 s and gives their slots back, so each round is served in full.
    for (const n of [12, 6]) {
      await sleep(3_000);
      const more = Array.from({ length: n }, () => new AbortController());
      const streams = more.map((a) => openStream(prodStream, a.signal));
      expect(await Promise.all(streams.map((o) => o.status))).toEqual(Array<number>(n).fill(200));
      await sleep(2_000);
      for (const a of more) a.abort();
      await Promise.all(streams.map((o) => o.done));
    }
    await sleep(10_000);
    const before = computeRequests();
    await sleep(12_000);
    expect(computeRequests() - before).toBe(0);
    // And the slots are back: the stream is answered 200 (its head waited for, not a fixed second: a loaded machine
    // once took longer, and the abort then read as no answer).
    const again = new AbortController();
    const back = openStream(prodStream, again.signal);
    expect(await back.status).toBe(200);
    again.abort();
    await back.done;
  });

  it('plan previews past the per-user burst are refused with a retry time (30 at once: at most the burst of 10 served)', async () => {
    if (!dashboard) await startSignedIn();
    const preview = () =>
      callServerAction(BASE, cookie, 'previewPlanAction', {
        clusterId: clusterId(PROD),
        intent: { kind: 'add-replica', zone: 'europe-west1-d' },
      });
    const t0 = Date.now();
    const results = (await Promise.all(Array.from({ length: 30 }, () => preview()))).map((r) => r.result);
    const seconds = (Date.now() - t0) / 1000;
    const limited = results.filter((r) => r?.code === 'RateLimited');
    const served = results.filter((r) => r?.code !== 'RateLimited');
    // The burst (10), plus what the rate (30 a minute: one every 2 s) gave back while the 30 were answered.
    expect(served.length).toBeGreaterThanOrEqual(10);
    expect(served.length).toBeLessThanOrEqual(10 + Math.ceil(seconds / 2));
    expect(served.filter((r) => r?.ok === true).length).toBeGreaterThan(0);
    for (const r of limited) {
      expect((r as { retryAfterSeconds?: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(r?.message).toMatch(/^Too many plan previews in a short time; try again in \d+ s\.$/);
    }
  });
});
