// The built dashboard (`next start`) behind an HTTP front that counts its Compute requests, signed in as its bootstrap
// admin, with the clients the stream tests need: live streams opened and dropped as a browser's EventSource does, and
// operations started through the wizard's own server action. Shared by stream-flood.test.ts (the add-time comparison,
// run alone on the machine) and stream-limits.test.ts (the refusals, run with the other system tests).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { clusterId } from '@/lib/core/topology';
import { startComputeFront, type ComputeFront } from '@/tests/support/compute-front';
import {
  dashboardReady,
  signInAsBootstrapAdmin,
  startDashboard,
  type DashboardProcess,
} from '@/tests/support/dashboard-process';
import { callServerAction } from '@/tests/support/server-actions';
import { PROD, sandboxPort, testContainer } from '../integration/support';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stream on a made-up cluster id (the flood's): the dashboard must answer it 404 without reading anything. */
export const madeUpStream = (i: number) =>
  `/api/clusters/${encodeURIComponent(`${PROD.project}~${PROD.region}~flood${i}-master`)}/events`;
export const prodStream = `/api/clusters/${encodeURIComponent(clusterId(PROD))}/events`;

export type StreamDashboard = Awaited<ReturnType<typeof openStreamDashboard>>;

/** A data dir, its store, the Compute front and the dashboard on them, signed in. `close()` undoes it all. */
export async function openStreamDashboard(appPort: number, label: string) {
  const base = `http://127.0.0.1:${appPort}`;
  const c = testContainer({ QUORUM_PROBE_TIMEOUT_MS: '3000' });
  const dataDir = mkdtempSync(path.join(tmpdir(), `quorum-${label}-`));
  const store: SqliteStore = await openSqliteStore(dataDir);
  const front: ComputeFront = await startComputeFront(sandboxPort());
  const dashboard: DashboardProcess = startDashboard({
    port: appPort,
    dataDir,
    logFile: path.join(dataDir, 'dashboard.log'),
    // No background monitor: it observes every cluster every few seconds by design (issue 13's alerts), and these
    // files ask whether the streams' own feeds stop with their clients, counting Compute requests to the last one.
    env: {
      QUORUM_PROVIDER: 'sandbox',
      SANDBOX_PORT: String(front.port),
      QUORUM_PROJECTS: PROD.project,
      QUORUM_MONITOR_INTERVAL_MS: '0',
    },
  });
  const close = async (): Promise<void> => {
    await dashboard.stop();
    await store.close();
    await front.close();
    await c.close();
    if (!process.env.QUORUM_KEEP_INTEGRATION_DATA) rmSync(dataDir, { recursive: true, force: true });
  };
  let cookie: string;
  try {
    await dashboardReady(dashboard, appPort);
    cookie = await signInAsBootstrapAdmin(base, dataDir);
  } catch (error) {
    await close();
    throw error;
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
    store,
    front,
    cookie,
    openStream,
    /** A stream's status once it has ended. */
    async stream(url: string, signal: AbortSignal): Promise<number> {
      const s = openStream(url, signal);
      await s.done;
      return s.status;
    },
    /** Compute requests the dashboard has made so far. */
    computeRequests: () => front.requests.filter((r) => r.includes('/compute/v1/')).length,
    /** Starts an operation on prod through the dashboard's own server action, as the wizard's button does; its id. */
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
    close,
  };
}
