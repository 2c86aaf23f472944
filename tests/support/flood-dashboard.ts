// The stream-flood system files' dashboard (`next start` on the real journal), its Compute requests counted by an
// HTTP front between it and the sandbox's emulator, signed in as its bootstrap admin; with the streams and
// operations those files make. Call it at a file's top level: it registers the file's beforeAll and afterAll.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { clusterId, type Topology } from '@/lib/core/topology';
import { startComputeFront, type ComputeFront } from '@/tests/support/compute-front';
import {
  dashboardReady,
  signInAsBootstrapAdmin,
  startDashboard,
  type DashboardProcess,
} from '@/tests/support/dashboard-process';
import { callServerAction } from '@/tests/support/server-actions';
import { assessTopology } from '@/lib/core/assessment';
import { observeCluster } from '@/lib/server/services/observe-cluster';
import { allHealthy, pollUntil, PROD, sandboxPort, testContainer } from '../integration/support';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stream on a cluster id nobody has: the flood's. */
export const madeUp = (i: number) =>
  `/api/clusters/${encodeURIComponent(`${PROD.project}~${PROD.region}~flood${i}-master`)}/events`;
export const prodStream = `/api/clusters/${encodeURIComponent(clusterId(PROD))}/events`;

export function floodDashboard(appPort: number) {
  const base = `http://127.0.0.1:${appPort}`;
  const c = testContainer({ QUORUM_PROBE_TIMEOUT_MS: '3000' });
  let dataDir = '';
  let store: SqliteStore | undefined;
  let front: ComputeFront | undefined;
  let dashboard: DashboardProcess | null = null;
  let cookie = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'quorum-stream-flood-'));
    store = await openSqliteStore(dataDir);
    front = await startComputeFront(sandboxPort());
  }, 60_000);

  afterAll(async () => {
    await dashboard?.stop();
    await store?.close();
    await front?.close();
    await c.close();
    if (!process.env.QUORUM_KEEP_INTEGRATION_DATA) rmSync(dataDir, { recursive: true, force: true });
  });

  const theFront = () => {
    if (!front) throw new Error('the Compute front is not started (beforeAll)');
    return front;
  };

  const computeRequests = () => theFront().requests.filter((r) => r.includes('/compute/v1/')).length;

  /** Waits until no Compute request was made for 3 s in a row (30 s at most). */
  async function computeQuiet(): Promise<void> {
    let settled = computeRequests();
    for (let quiet = 0, waited = 0; quiet < 3 && waited < 30; waited++) {
      await sleep(1_000);
      quiet = computeRequests() === settled ? quiet + 1 : 0;
      settled = computeRequests();
    }
  }

  /** Opens a stream: `status` once the answer's head is in (0 when the request failed), `done` when it ended or was aborted. */
  function openStream(url: string, signal: AbortSignal): { status: Promise<number>; done: Promise<void> } {
    const answer = fetch(`${base}${url}`, { headers: { cookie, accept: 'text/event-stream' }, signal }).catch(
      () => null,
    );
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

  return {
    base,
    c,
    get store(): SqliteStore {
      if (!store) throw new Error('the store is not open (beforeAll)');
      return store;
    },
    get front(): ComputeFront {
      return theFront();
    },
    get cookie() {
      return cookie;
    },
    get started() {
      return dashboard !== null;
    },
    /** How many requests reached Compute through the front so far. */
    computeRequests,
    computeQuiet,

    /** Starts the dashboard on the journal (it resumes what is journaled) and signs in as its bootstrap admin. */
    async startSignedIn(): Promise<void> {
      await dashboard?.stop();
      dashboard = startDashboard({
        port: appPort,
        dataDir,
        logFile: path.join(dataDir, 'dashboard.log'),
        // No background monitor: it observes every cluster every few seconds by design (issue 13's alerts), and
        // these files ask whether the streams' own feeds stop with their clients, counting Compute requests to the
        // last one.
        env: {
          QUORUM_PROVIDER: 'sandbox',
          SANDBOX_PORT: String(theFront().port),
          QUORUM_PROJECTS: PROD.project,
          QUORUM_MONITOR_INTERVAL_MS: '0',
        },
      });
      await dashboardReady(dashboard, appPort);
      cookie = await signInAsBootstrapAdmin(base, dataDir);
    },

    /**
     * One legitimate look at prod, twice: the first publishes Quorum's SSH key into prod's metadata, a change of
     * Quorum's own that makes the next read of the project's snapshot go to Compute; the second reads it. Each
     * followed by 3 s without a Compute request.
     */
    /**
     * Waits until prod is settled as an operator would want it before a change (every replica healthy, and etcd's
     * members reaching each other: right after the seed a member may not have connected to a peer yet, and the
     * planner rightly refuses a change on a partition), then looks at it through the dashboard twice.
     */
    async lookAtProd(): Promise<void> {
      const settled = (t: Topology) => {
        const a = assessTopology(t, new Date(t.observedAt));
        return (
          allHealthy(t) && (['main', 'events'] as const).every((e) => (a.connectivity[e]?.cutPairs ?? []).length === 0)
        );
      };
      if (!settled(await pollUntil(() => observeCluster(PROD, c), settled, 60_000, 500)))
        throw new Error('prod did not settle (every replica healthy, no cut peer link) within 60 s');
      for (let i = 0; i < 2; i++) {
        const look = await fetch(`${base}/api/clusters/${encodeURIComponent(clusterId(PROD))}`, {
          headers: { cookie },
        });
        if (look.status !== 200) throw new Error(`GET prod answered ${look.status}`);
        await computeQuiet();
      }
    },

    openStream,

    async stream(url: string, signal: AbortSignal): Promise<number> {
      const s = openStream(url, signal);
      await s.done;
      return s.status;
    },

    /** Starts an operation through the dashboard's own server action, as the wizard's button does; its id. */
    async startOperation(intent: Record<string, unknown>): Promise<string> {
      const { result, body } = await callServerAction(base, cookie, 'startOperationAction', {
        clusterId: clusterId(PROD),
        intent,
        confirm: PROD.masterName,
      });
      const id = (result as { data?: { operationId?: string } } | null)?.data?.operationId;
      if (!result?.ok || !id) throw new Error(`the start was refused: ${body.slice(0, 500)}`);
      return id;
    },
  };
}
