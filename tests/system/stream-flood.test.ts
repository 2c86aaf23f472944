// Issue 12, finding 1 on the real dashboard process (`next start`), its Compute requests counted by an HTTP front
// between it and the sandbox's emulator:
//  - 200 live streams on made-up cluster ids: each answered 404, no Compute request of their own (the same flood
//    during an add, timed against the add alone, is not in the suite yet);
//  - one user's streams past QUORUM_STREAMS_PER_USER are refused with 429 before any feed starts;
//  - streams dropped abruptly by their clients leave no feed polling: no Compute request once they are gone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { clusterId } from '@/lib/core/topology';
import { startComputeFront, type ComputeFront } from '@/tests/support/compute-front';
import { bootstrapAdminOf, dashboardReady, signInCookie, startDashboard, type DashboardProcess } from '@/tests/support/dashboard-process';
import { PROD, sandboxPort, testContainer } from '../integration/support';

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
    env: { QUORUM_PROVIDER: 'sandbox', SANDBOX_PORT: String(front.port), QUORUM_PROJECTS: PROD.project },
  });
  await dashboardReady(dashboard, APP_PORT);
  const admin = bootstrapAdminOf(dataDir);
  cookie = await signInCookie(BASE, admin.email, admin.password);
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

const madeUp = (i: number) => `/api/clusters/${encodeURIComponent(`${PROD.project}~${PROD.region}~flood${i}-master`)}/events`;
const prodStream = `/api/clusters/${encodeURIComponent(clusterId(PROD))}/events`;

describe('live streams cannot starve operators', () => {
  it('200 streams on made-up ids: every one 404, no feed started and no Compute request, after one legitimate look at prod', async () => {
    await startSignedIn();
    // Twice: the first look publishes Quorum's SSH key into prod's metadata, a change of Quorum's own that makes the
    // next read of the project's snapshot go to Compute; the second reads it. Then no Compute request for 3 s.
    for (let i = 0; i < 2; i++) {
      const look = await fetch(`${BASE}/api/clusters/${encodeURIComponent(clusterId(PROD))}`, { headers: { cookie } });
      expect(look.status).toBe(200);
      let settled = computeRequests();
      for (let quiet = 0, waited = 0; quiet < 3 && waited < 30; waited++) {
        await sleep(1_000);
        quiet = computeRequests() === settled ? quiet + 1 : 0;
        settled = computeRequests();
      }
    }
    const before = computeRequests();
    const aborts = Array.from({ length: 200 }, () => new AbortController());
    const statuses = await Promise.all(aborts.map((a, i) => stream(madeUp(i), a.signal)));
    expect(statuses.filter((s) => s !== 404)).toEqual([]);
    expect(computeRequests() - before).toBe(0);
  });

  it("one user's streams past the cap are refused with 429; streams dropped abruptly leave no feed polling", async () => {
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
    await sleep(10_000);
    const before = computeRequests();
    await sleep(12_000);
    expect(computeRequests() - before).toBe(0);
    // And the slots are back.
    const again = new AbortController();
    const back = stream(prodStream, again.signal);
    await sleep(1_000);
    again.abort();
    expect(await back).toBe(200);
  });
});
