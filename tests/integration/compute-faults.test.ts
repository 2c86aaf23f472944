// Compute Engine failing the way Google documents, injected by the sandbox (sandbox/chaos/compute-faults.ts) in the
// middle of real operations on prod (three replicas, a load balancer), run by the runner over the real sandbox and
// etcd: QUOTA_EXCEEDED and a stockout stop an add at a safe point (rolled back, etcdctl finds the cluster as it
// was) with words that say which quota and region or which zone; after the stockout the best other zone is offered
// (lib/core/stockout.ts), and that add, with each transient fault (429, 403 rateLimitExceeded, 503 backendError,
// 400 resourceNotReady, one of them losing the answer of an applied insert) on its way, completes, its log showing
// the retries, and Compute made each resource once. The removal of that replica, with the four faults again,
// completes too and leaves prod as it was.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { assessTopology } from '@/lib/core/assessment';
import { layoutOf } from '@/lib/core/layout';
import { planOperation, type ClusterIntent } from '@/lib/core/planner';
import { offerAfterStockout, type StoppedStep } from '@/lib/core/stockout';
import { clusterId } from '@/lib/core/topology';
import { systemClock } from '@/lib/ports/clock';
import { createRunner } from '@/lib/server/operations/runner';
import { createStepCompensations, createStepExecutors, rollbackKindsOf } from '@/lib/server/operations/steps';
import { observeCluster } from '@/lib/server/services/observe-cluster';
import { expectConsistent, PROD, replicaVms, sandboxPort, testContainer } from './support';

const dir = mkdtempSync(path.join(tmpdir(), 'quorum-compute-faults-'));
const c = testContainer({ QUORUM_PROBE_TIMEOUT_MS: '3000', QUORUM_DATA_DIR: dir });
const { project, region } = PROD;
const sandbox = () => `http://127.0.0.1:${sandboxPort()}`;
const log = (msg: string) => console.log(`[compute-faults] ${msg}`);
let store: SqliteStore;
let before: string[] = [];

beforeAll(async () => {
  store = await openSqliteStore(dir);
  before = (await replicaVms(c, PROD)).map((r) => r.name);
  expect(before).toHaveLength(3);
});

afterEach(async () => {
  await fetch(`${sandbox()}/sandbox/v1/chaos/compute-faults`, { method: 'DELETE' });
});

afterAll(async () => {
  await store.close();
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

const firedSchema = z.object({
  pending: z.array(z.unknown()),
  fired: z.array(z.object({ method: z.string(), error: z.string(), requestId: z.string().nullable() })),
});

async function inject(...faults: Array<Record<string, unknown>>): Promise<void> {
  for (const fault of faults) {
    const res = await fetch(`${sandbox()}/sandbox/v1/chaos/compute-faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fault),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }
}

async function faultState() {
  return firedSchema.parse(await (await fetch(`${sandbox()}/sandbox/v1/chaos/compute-faults`)).json());
}

async function plan(intent: ClusterIntent) {
  const topology = await observeCluster(PROD, c);
  const assessment = assessTopology(topology, new Date(topology.observedAt));
  return { topology, assessment, planned: planOperation({ topology, assessment, intent, operationInProgress: false }) };
}

/** Plans `intent` on prod, then injects `faults` and runs it; the faults go in after planning so they hit the operation only. */
async function run(intent: ClusterIntent, faults: Array<Record<string, unknown>> = []) {
  const { planned } = await plan(intent);
  if (!planned.ok) throw new Error(`refused: ${planned.refusal.code} ${planned.refusal.message}`);
  const op = await store.createOperation({
    clusterId: clusterId(PROD),
    kind: intent.kind,
    intent,
    plan: { ...planned.plan, rollback: rollbackKindsOf(planned.plan.steps) },
    actor: 'integration-test',
  });
  await inject(...faults);
  const runner = createRunner({
    store,
    clock: systemClock,
    executors: createStepExecutors(c),
    compensations: createStepCompensations(c),
    log: () => {},
  });
  const t0 = Date.now();
  const ended = await runner.start(op.id);
  const records = await store.steps(op.id);
  const logs = (await store.logs(op.id)).map((l) => l.message);
  log(`${intent.kind} ${JSON.stringify(intent)}: ${ended.status} in ${Date.now() - t0} ms`);
  if (ended.status !== 'succeeded') log(ended.summary ?? '');
  const steps: StoppedStep[] = records.map((r, i) => {
    const zone = ended.plan.steps[i]?.params.zone;
    return { kind: r.kind, status: r.status, error: r.error, zone: typeof zone === 'string' ? zone : null };
  });
  return { ended, steps, logs };
}

/** Successful insert or delete Operations Compute recorded for a resource: one each, however often the call was sent. */
async function doneOperations(scope: string, operationType: string, targetSuffix: string): Promise<number> {
  const res = await fetch(`${sandbox()}/compute/v1/projects/${project}/${scope}/operations`);
  const list = z
    .object({
      items: z
        .array(
          z.object({
            operationType: z.string(),
            targetLink: z.string(),
            status: z.string(),
            error: z.unknown().optional(),
          }),
        )
        .optional(),
    })
    .parse(await res.json());
  return (list.items ?? []).filter(
    (o) =>
      o.operationType === operationType &&
      o.targetLink.endsWith(targetSuffix) &&
      o.status === 'DONE' &&
      o.error === undefined,
  ).length;
}

/** The four transient faults, each at its own call of the operation. */
function transientFaults(zone: string, kind: 'add' | 'remove'): Array<Record<string, unknown>> {
  return kind === 'add'
    ? [
        { method: 'disks.insert', zone, count: 2, error: 'rateLimited' },
        // Applied, then its answer lost: the retry with the same requestId must not make a second instance.
        { method: 'instances.insert', zone, count: 1, error: 'backendError', answerLost: true },
        { method: 'instances.insert', zone, count: 1, error: 'resourceNotReady' },
        { method: 'targetPools.addInstance', count: 1, error: 'rateLimitExceeded' },
      ]
    : [
        { method: 'targetPools.removeInstance', count: 1, error: 'rateLimitExceeded' },
        { method: 'instances.delete', zone, count: 1, error: 'backendError', answerLost: true },
        { method: 'disks.delete', zone, count: 1, error: 'resourceNotReady' },
        { method: 'disks.delete', zone, count: 1, error: 'rateLimited' },
      ];
}

function expectRetriesLogged(logs: string[]): void {
  const retries = logs.filter((m) => / Retry \d+ in [\d.]+ s/.test(m));
  for (const code of ['RateLimited', 'ProviderUnavailable', 'ResourceNotReady']) {
    expect(
      retries.some((m) => m.includes(`failed (${code})`)),
      `a retry after ${code} in the log:\n${retries.join('\n')}`,
    ).toBe(true);
  }
  expect(retries.some((m) => m.includes('Rate Limit Exceeded'))).toBe(true);
  expect(retries.some((m) => /with the same requestId [0-9a-f-]{36}/.test(m))).toBe(true);
}

describe('Compute faults in the middle of operations on prod', () => {
  it('QUOTA_EXCEEDED stops an add at a safe point, naming the quota and the region', async () => {
    const zone = 'europe-west1-b';
    const { ended } = await run({ kind: 'add-replica', zone }, [
      { method: 'disks.insert', zone, count: 1, error: 'QUOTA_EXCEEDED', as: 'operation' },
    ]);
    expect(ended.status).toBe('failed');
    expect(ended.summary).toMatch(
      /quota SSD_TOTAL_GB \(limit 24\) is used up in region europe-west1 \(QUOTA_EXCEEDED\): free some of it or ask Google for more/,
    );
    // The learner it added left etcd again; only the name it picked and the snapshot are left.
    expect(ended.summary).toMatch(/Rolled back "Add [a-z0-9?-]+ as a learner in etcd main and events"\./);
    const vms = await expectConsistent(c, PROD, null);
    expect(vms.map((r) => r.name)).toEqual(before);
    const tried = z
      .object({ name: z.string() })
      .parse((await store.steps(ended.id)).find((s) => s.kind === 'pick-name')?.detail).name;
    expect(await c.compute.getDisk(project, zone, `${tried}-pd`)).toBeNull();
  });

  it('a stockout stops an add; the other zone offered is planned, and with each transient fault on its way it completes, each resource made once; so does its removal', async () => {
    const exhausted = 'europe-west1-b';
    const failed = await run({ kind: 'add-replica', zone: exhausted }, [
      { method: 'instances.insert', zone: exhausted, count: 1, error: 'ZONE_RESOURCE_POOL_EXHAUSTED' },
    ]);
    expect(failed.ended.status).toBe('failed');
    expect(failed.ended.summary).toMatch(
      /zone europe-west1-b has no capacity for this instance now \(ZONE_RESOURCE_POOL_EXHAUSTED, a stockout, not a quota\): put the replica in another zone/,
    );
    expect(failed.ended.summary).toMatch(
      /Rolled back "Create the data disk [a-z0-9?-]+-pd in europe-west1-b", "Add [a-z0-9?-]+ as a learner in etcd main and events"\./,
    );
    expect((await expectConsistent(c, PROD, null)).map((r) => r.name)).toEqual(before);
    const picked = (await store.steps(failed.ended.id)).find((s) => s.kind === 'pick-name')?.detail;
    const tried = z.object({ name: z.string() }).parse(picked).name;
    expect(await c.compute.getDisk(project, exhausted, `${tried}-pd`)).toBeNull();
    expect(await c.compute.getInstance(project, exhausted, tried)).toBeNull();

    // The wizard's offer: the best other zone, planned again.
    const { topology, assessment } = await plan({ kind: 'add-replica', zone: exhausted });
    const offer = offerAfterStockout({
      intent: { kind: 'add-replica', zone: exhausted },
      steps: failed.steps,
      layout: layoutOf(topology, assessment),
      unreachable: assessment.diagnosis.zonesUnreachable.map((o) => o.zone),
    });
    expect(offer?.zone).toBe('europe-west1-c');
    if (!offer) return;

    const added = await run(offer.intent, transientFaults(offer.zone, 'add'));
    expect(added.ended.summary).toMatch(/^Succeeded/);
    expectRetriesLogged(added.logs);
    expect((await faultState()).pending).toEqual([]);
    const vms = await expectConsistent(c, PROD, null);
    expect(vms).toHaveLength(4);
    const fresh = vms.find((r) => !before.includes(r.name));
    expect(fresh?.zone).toBe('europe-west1-c');
    if (!fresh) return;
    const zoneScope = `zones/${fresh.zone}`;
    expect(await doneOperations(zoneScope, 'insert', `/instances/${fresh.name}`)).toBe(1);
    expect(await doneOperations(zoneScope, 'insert', `/disks/${fresh.name}-pd`)).toBe(1);
    expect(
      (await c.compute.getTargetPool(project, region, PROD.masterName))?.instances.filter((n) => n === fresh.name),
    ).toEqual([fresh.name]);

    await fetch(`${sandbox()}/sandbox/v1/chaos/compute-faults`, { method: 'DELETE' });
    const removed = await run(
      { kind: 'remove-replica', zone: fresh.zone, name: fresh.name },
      transientFaults(fresh.zone, 'remove'),
    );
    expect(removed.ended.summary).toMatch(/^Succeeded/);
    expectRetriesLogged(removed.logs);
    expect((await faultState()).pending).toEqual([]);
    expect((await expectConsistent(c, PROD, null)).map((r) => r.name)).toEqual(before);
    expect(await c.compute.getDisk(project, fresh.zone, `${fresh.name}-pd`)).toBeNull();
    expect(await doneOperations(zoneScope, 'delete', `/instances/${fresh.name}`)).toBe(1);
    expect(await doneOperations(zoneScope, 'delete', `/disks/${fresh.name}-pd`)).toBe(1);
    expect((await c.compute.getTargetPool(project, region, PROD.masterName))?.instances).not.toContain(fresh.name);
  });
});
