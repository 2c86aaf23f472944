// kill -9 of the real dashboard right after Compute accepted an instance insert, before its Operation was read
// (QUORUM_FAILPOINT=after-insert-sent), then a restart: the resumed "Create the instance" step finds what the first
// call made (Compute's Operation for the requestId the first run journaled), the add completes, and Compute holds
// one instance and one successful insert for it, sent with that requestId. Then the replica
// is removed again (no failpoint), so prod is left as the seed made it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { startDashboard, type DashboardProcess } from '@/tests/support/dashboard-process';
import { journalOperation, operationEnded } from '@/tests/support/journaled-operations';
import { expectConsistent, PROD, replicaVms, sandboxPort, testContainer } from '../integration/support';

// 3102 is dashboard-crash.test.ts's: the two files run at once.
const APP_PORT = Number(process.env.QUORUM_SYS_INSERT_CRASH_APP_PORT ?? 3103);
const c = testContainer({ QUORUM_PROBE_TIMEOUT_MS: '3000' });
let dataDir = '';
let store: SqliteStore;
const running = new Set<DashboardProcess>();

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'quorum-insert-crash-'));
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
      QUORUM_PROJECTS: PROD.project,
      ...(failpoint ? { QUORUM_FAILPOINT: failpoint } : {}),
    },
  });
  running.add(d);
  void d.exited.then(() => running.delete(d));
  return d;
}

/** The requestIds (clientOperationId) of the successful inserts Compute recorded for the instance, however often the call was sent. */
async function insertsOf(zone: string, name: string): Promise<Array<string | undefined>> {
  const res = await fetch(
    `http://127.0.0.1:${sandboxPort()}/compute/v1/projects/${PROD.project}/zones/${zone}/operations`,
  );
  const op = z.object({
    operationType: z.string(),
    targetLink: z.string(),
    status: z.string(),
    error: z.unknown().optional(),
    clientOperationId: z.string().optional(),
  });
  const list = z.object({ items: z.array(op).optional() }).parse(await res.json());
  return (list.items ?? [])
    .filter(
      (o) =>
        o.operationType === 'insert' &&
        o.targetLink.endsWith(`/instances/${name}`) &&
        o.status === 'DONE' &&
        o.error === undefined,
    )
    .map((o) => o.clientOperationId);
}

describe('kill -9 of the dashboard right after an instance insert was sent', () => {
  it('the resumed add makes one instance', async () => {
    const before = (await replicaVms(c, PROD)).map((r) => r.name);
    const zone = 'europe-west1-d';
    const op = (await journalOperation(c, store, PROD, { kind: 'add-replica', zone }, 'crash-test')).op;
    const crashing = dashboard('after-insert-sent');
    // The operation ending instead would mean the failpoint was never reached.
    const exit = await Promise.race([
      crashing.exited,
      operationEnded(store, op.id).then(
        (o) => ({ ended: o.status }),
        (e: unknown) => ({ ended: String(e) }),
      ),
    ]);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    const steps = await store.steps(op.id);
    const create = steps.find((s) => s.kind === 'create-instance');
    expect(create?.status).toBe('running');

    const restarted = dashboard();
    const ended = await operationEnded(store, op.id);
    await restarted.stop();
    expect(ended.summary).toMatch(/^Succeeded/);
    const logs = (await store.logs(op.id)).map((l) => l.message);
    expect(logs).toContain(`Running "${create?.title ?? ''}" again: it was interrupted`);
    const vms = await expectConsistent(c, PROD, null);
    const added = vms.filter((r) => !before.includes(r.name));
    expect(added.map((r) => r.zone)).toEqual([zone]);
    const name = added[0]?.name ?? '';
    expect((await c.compute.listInstances(PROD.project, `^${name}$`)).map((r) => r.name)).toEqual([name]);
    // One insert, and the resumed step found it by the requestId the first run journaled and sent.
    const inserts = await insertsOf(zone, name);
    expect(inserts).toHaveLength(1);
    const resumed = logs.find((m) => m.includes(`the insert of ${name} sent before the interruption`));
    expect(resumed).toBe(
      `${create?.title ?? ''}: the insert of ${name} sent before the interruption (requestId ${inserts[0] ?? '?'}) finished as ${resumed?.match(/finished as (operation-\S+):/)?.[1] ?? '?'}: ${name} is at ${added[0]?.internalIp ?? '?'}`,
    );

    const removal = (await journalOperation(c, store, PROD, { kind: 'remove-replica', zone, name }, 'crash-test')).op;
    const last = dashboard();
    const removed = await operationEnded(store, removal.id);
    await last.stop();
    expect(removed.summary).toMatch(/^Succeeded/);
    expect((await expectConsistent(c, PROD, null)).map((r) => r.name)).toEqual(before);
  });
});
