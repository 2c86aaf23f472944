import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { computeWhyText } from '@/lib/core/compute-why';
import { logLine, progressSaid, SaidError } from '@/lib/core/operation-log';
import { ProviderError } from '@/lib/ports/provider-error';
import { systemClock } from '@/lib/ports/clock';
import type { NewOperation, PlanInput } from '@/lib/ports/store';
import { readOperationView } from './operation-views';
import { createRunner, type RunnerOptions, type StepExecutor } from './runner';
import { emptyWorld, fakeWorldExecutors, readWorld, writeWorld } from './testing/fake-world';

let dir: string;
let worldFile: string;
let store: SqliteStore;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'quorum-runner-'));
  worldFile = path.join(dir, 'world.json');
  store = await openSqliteStore(dir);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

type Step = PlanInput['steps'][number];
const ensure = (key: string): Step => ({
  id: key,
  kind: 'ensure-resource',
  title: `Ensure ${key}`,
  params: { key, value: `${key}-v` },
});
const pick: Step = { id: 'pick', kind: 'pick-name', title: 'Pick the name', params: { prefix: 'master' } };
const instance: Step = {
  id: 'instance',
  kind: 'ensure-instance',
  title: 'Ensure the instance',
  params: { nameFrom: 'pick' },
};

function op(clusterId: string, steps: Step[], rollback?: string[]): NewOperation {
  return {
    clusterId,
    kind: 'add-replica',
    intent: { zone: 'z' },
    plan: rollback ? { steps, rollback } : { steps },
    actor: 'alice',
  };
}

function runner(extra: Partial<RunnerOptions> = {}) {
  const world = fakeWorldExecutors(worldFile);
  return createRunner({
    store,
    clock: systemClock,
    executors: world.executors,
    compensations: world.compensations,
    log: () => {},
    ...extra,
  });
}

/** Resolves when `check` is true, polling the event loop. */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition never held');
}

describe('runner', () => {
  it('runs steps in order, journaling running before each step acts and done after it returns', async () => {
    const seen: string[] = [];
    const world = fakeWorldExecutors(worldFile);
    const observing: Record<string, StepExecutor> = Object.fromEntries(
      Object.entries(world.executors).map(([kind, exec]) => [
        kind,
        async (ctx) => {
          const steps = await store.steps(ctx.operation.id);
          seen.push(steps.map((s) => `${s.stepId}=${s.status}`).join(' '));
          return exec(ctx);
        },
      ]),
    );
    const r = createRunner({ store, clock: systemClock, executors: observing, log: () => {} });
    const created = await store.createOperation(op('c1', [ensure('lb'), pick, instance]));
    const ended = await r.start(created.id);

    expect(seen).toEqual([
      'lb=running pick=pending instance=pending',
      'lb=done pick=running instance=pending',
      'lb=done pick=done instance=running',
    ]);
    expect(ended).toMatchObject({ status: 'succeeded', error: null, summary: 'Succeeded: all 3 steps done.' });
    const steps = await store.steps(created.id);
    expect(steps.map((s) => s.status)).toEqual(['done', 'done', 'done']);
    // The name chosen by one step reached the next through the journal.
    const picked = steps[1]?.detail;
    expect(steps[2]?.detail).toEqual({ created: true, name: (picked as { name: string }).name });
    expect(Object.keys(readWorld(worldFile).resources).sort()).toEqual([
      `instance/${(picked as { name: string }).name}`,
      'lb',
    ]);
    expect(await store.lockHolder('c1')).toBeNull();
    expect((await store.listAudit({ operationId: created.id })).map((a) => a.outcome)).toEqual([
      'succeeded',
      'started',
    ]);
  });

  it('calls its checkpoints around each step: before running, after the effect but before done, after done', async () => {
    const created = await store.createOperation(op('c1', [ensure('lb'), ensure('pool')]));
    const seen: string[] = [];
    const r = runner({
      checkpoint: async ({ index, phase }) => {
        const steps = await store.steps(created.id);
        seen.push(
          `${index}:${phase} ${steps.map((s) => s.status).join(',')} world=${Object.keys(readWorld(worldFile).resources).sort().join('+')}`,
        );
      },
    });
    await r.start(created.id);
    expect(seen).toEqual([
      '0:before-step pending,pending world=',
      '0:step-returned running,pending world=lb',
      '0:after-step done,pending world=lb',
      '1:before-step done,pending world=lb',
      '1:step-returned done,running world=lb+pool',
      '1:after-step done,done world=lb+pool',
    ]);
  });

  it('gives the steps of one pass the same pass object, a resumed run a new one, and compensations none', async () => {
    const passes: Record<string, object | undefined> = {};
    const compensated: Array<object | undefined> = [];
    const world = fakeWorldExecutors(worldFile);
    const r = createRunner({
      store,
      clock: systemClock,
      log: () => {},
      executors: Object.fromEntries(
        Object.entries(world.executors).map(([kind, exec]): [string, StepExecutor] => [
          kind,
          async (ctx) => {
            passes[`${ctx.operation.clusterId}/${ctx.step.id}`] = ctx.pass;
            return exec(ctx);
          },
        ]),
      ),
      compensations: { 'ensure-resource': async (ctx) => void compensated.push(ctx.pass) },
    });
    const boom: Step = { id: 'boom', kind: 'fail', title: 'Fail', params: { message: 'no' } };
    const failing = await store.createOperation(op('c1', [ensure('lb'), ensure('disk'), boom], ['ensure-resource']));
    expect((await r.start(failing.id)).status).toBe('failed');
    // Another operation, resumed with its first step done and its second interrupted.
    const resumed = await store.createOperation(op('c2', [ensure('a'), ensure('b'), ensure('c')]));
    await store.markOperationRunning(resumed.id);
    await store.markStepRunning(resumed.id, 0);
    await store.markStepDone(resumed.id, 0, { created: true });
    await store.markStepRunning(resumed.id, 1);
    expect((await r.start(resumed.id)).status).toBe('succeeded');

    const one = passes['c1/lb'];
    expect(one).toBeTypeOf('object');
    expect(passes['c1/disk']).toBe(one);
    expect(passes['c1/boom']).toBe(one);
    expect(passes['c2/b']).toBeTypeOf('object');
    expect(passes['c2/b']).not.toBe(one);
    expect(passes['c2/c']).toBe(passes['c2/b']);
    expect(compensated).toEqual([undefined, undefined]);
  });

  it('resumes an operation from the step that was running, reusing earlier results', async () => {
    const created = await store.createOperation(op('c1', [pick, instance, ensure('pool')]));
    // The journal as a crash leaves it: pick done, instance running.
    await store.markOperationRunning(created.id);
    await store.markStepRunning(created.id, 0);
    await store.markStepDone(created.id, 0, { name: 'master-before-crash' });
    await store.markStepRunning(created.id, 1);

    const { resumed, settled } = await runner().resumeUnfinished();
    expect(resumed).toEqual([created.id]);
    const [ended] = await settled;
    expect(ended?.status).toBe('succeeded');
    const world = readWorld(worldFile);
    expect(world.resources).toEqual({ 'instance/master-before-crash': 'RUNNING', pool: 'pool-v' });
    expect(world.calls.pick).toBeUndefined();
    expect((await store.listAudit({ operationId: created.id, outcome: 'started' }))[0]?.detail).toEqual({
      resumed: true,
    });
    const again = (await store.logs(created.id)).find((l) => l.said?.key === 'runAgain');
    expect(again?.message).toBe('Running "Ensure the instance" again: it was interrupted');
    expect(again?.said).toEqual({ key: 'runAgain', params: { step: 'Ensure the instance' }, step: 1 });
  });

  it("journals a step's line under its title with the sentence and the step's index, and the runner's own lines too", async () => {
    const world = fakeWorldExecutors(worldFile);
    const r = createRunner({
      store,
      clock: systemClock,
      log: () => {},
      executors: {
        ...world.executors,
        'catch-up': async (ctx) => {
          await ctx.log(logLine('caughtUp', { name: 'm-1', seconds: '2.5', indexes: 'main 9/9' }));
        },
      },
    });
    const created = await store.createOperation(
      op('c1', [{ id: 'c', kind: 'catch-up', title: 'Catch up', params: {} }]),
    );
    expect((await r.start(created.id)).status).toBe('succeeded');
    expect((await store.logs(created.id)).map((l) => [l.message, l.said])).toEqual([
      ['Started', { key: 'started', params: {} }],
      [
        'Catch up: m-1 caught up in 2.5 s (main 9/9)',
        { key: 'caughtUp', params: { name: 'm-1', seconds: '2.5', indexes: 'main 9/9' }, step: 0 },
      ],
      ['Succeeded: all 1 steps done.', { key: 'succeeded', params: { steps: '1' } }],
    ]);
  });

  it('stops at the next step boundary on cancel and says where the cluster is', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const world = fakeWorldExecutors(worldFile);
    const r = createRunner({
      store,
      clock: systemClock,
      log: () => {},
      executors: { ...world.executors, gate: async () => gate },
    });
    const created = await store.createOperation(
      op('c1', [
        ensure('lb'),
        { id: 'gate', kind: 'gate', title: 'Wait for the load balancer', params: {} },
        ensure('pool'),
      ]),
    );
    const running = r.start(created.id);
    await until(async () => (await store.steps(created.id))[1]?.status === 'running');

    expect((await r.cancel(created.id, 'bob', '198.51.100.23'))?.status).toBe('cancelling');
    release();
    const ended = await running;

    // The step that was running when cancel came (and ignores the signal) finished; the next never ran.
    expect((await store.steps(created.id)).map((s) => s.status)).toEqual(['done', 'done', 'skipped']);
    expect(ended.status).toBe('cancelled');
    expect(ended.summary).toBe(
      'Cancelled. The cluster is as step 2/3 "Wait for the load balancer" left it (2 of 3 steps done). 1 step did not run.',
    );
    expect(readWorld(worldFile).resources).toEqual({ lb: 'lb-v' });
    expect(await store.lockHolder('c1')).toBeNull();
    const audit = await store.listAudit({ operationId: created.id });
    expect(audit.map((a) => [a.action, a.actor, a.outcome])).toEqual([
      ['operation.add-replica', 'alice', 'cancelled'],
      ['operation.add-replica.cancel', 'bob', 'started'],
      ['operation.add-replica', 'alice', 'started'],
    ]);
    // The cancel's row says where bob asked from (issue 12, finding 6: no operation row without a source).
    expect(audit.find((a) => a.action === 'operation.add-replica.cancel')?.source).toBe('198.51.100.23');
  });

  it('interrupts a step that honours the abort signal and says it may be partly applied', async () => {
    const created = await store.createOperation(
      op('c1', [
        ensure('lb'),
        { id: 'catch-up', kind: 'wait-for-abort', title: 'Wait for the learner', params: {} },
        ensure('pool'),
      ]),
    );
    const r = runner();
    const running = r.start(created.id);
    await until(async () => (await store.steps(created.id))[1]?.status === 'running');
    await r.cancel(created.id);
    const ended = await running;
    expect(ended.status).toBe('cancelled');
    expect(ended.summary).toContain('The cluster is as step 1/3 "Ensure lb" left it');
    expect(ended.summary).toContain('step 2/3 "Wait for the learner" was interrupted while running');
    expect((await store.steps(created.id)).map((s) => [s.status, s.error])).toEqual([
      ['done', null],
      ['skipped', 'interrupted by cancel'],
      ['skipped', 'cancelled'],
    ]);
  });

  it('aborts a running step when the cancel flag is set by someone else (another process)', async () => {
    const created = await store.createOperation(
      op('c1', [{ id: 'catch-up', kind: 'wait-for-abort', title: 'Wait for the learner', params: {} }, ensure('pool')]),
    );
    const running = runner({ cancelPollMs: 20 }).start(created.id);
    await until(async () => (await store.steps(created.id))[0]?.status === 'running');
    // Straight to the journal, as another dashboard instance would: this runner's cancel() is not called.
    await store.requestCancel(created.id);
    const ended = await running;
    expect(ended.status).toBe('cancelled');
    expect((await store.steps(created.id)).map((s) => s.status)).toEqual(['skipped', 'skipped']);
  });

  it('clamps progress an executor reports out of range instead of failing the step, and keeps its sentence', async () => {
    const world = fakeWorldExecutors(worldFile);
    let clamped: unknown = null;
    let stored: unknown = null;
    const r = createRunner({
      store,
      clock: systemClock,
      log: () => {},
      executors: {
        ...world.executors,
        'catch-up': async (ctx) => {
          await ctx.progress({ fraction: 1.02, etaSeconds: -3, message: 'learner ahead' });
          clamped = (await store.steps(ctx.operation.id))[0]?.progress ?? null;
          await ctx.progress({ fraction: 1, ...progressSaid(logLine('hasCaughtUp', { name: 'prod-master-x1' })) });
          stored = (await store.steps(ctx.operation.id))[0]?.progress ?? null;
        },
      },
    });
    const created = await store.createOperation(
      op('c1', [{ id: 'c', kind: 'catch-up', title: 'Catch up', params: {} }]),
    );
    expect((await r.start(created.id)).status).toBe('succeeded');
    expect(clamped).toEqual({
      fraction: 1,
      etaSeconds: 0,
      message: 'learner ahead',
    });
    expect(stored).toEqual({
      fraction: 1,
      message: 'prod-master-x1 has caught up',
      said: { key: 'hasCaughtUp', params: { name: 'prod-master-x1' } },
    });
  });

  it('on failure compensates the done steps the plan lists, newest first, and ends failed', async () => {
    const created = await store.createOperation(
      op(
        'c1',
        [
          ensure('lb'),
          pick,
          ensure('disk'),
          { id: 'boom', kind: 'fail', title: 'Create the instance', params: { message: 'quota exceeded' } },
          ensure('pool'),
        ],
        ['ensure-resource'],
      ),
    );
    const order: string[] = [];
    const world = fakeWorldExecutors(worldFile);
    const r = createRunner({
      store,
      clock: systemClock,
      log: () => {},
      executors: world.executors,
      compensations: {
        'ensure-resource': async (ctx) => {
          order.push(ctx.step.id);
          await world.compensations['ensure-resource']?.(ctx);
        },
      },
    });
    const ended = await r.start(created.id);

    expect(order).toEqual(['disk', 'lb']);
    expect(readWorld(worldFile).resources).toEqual({});
    expect(ended.status).toBe('failed');
    expect(ended.error).toBe('quota exceeded');
    expect(ended.summary).toBe(
      'Failed at step 4/5 "Create the instance": quota exceeded. Rolled back "Ensure disk", "Ensure lb". Still in effect: "Pick the name".',
    );
    // The same outcome as a sentence, naming the steps by index for the page to word (stored and read back).
    expect((await store.getOperation(created.id))?.summarySaid).toMatchObject({
      key: 'failed',
      params: {
        failedStepNo: '4',
        total: '5',
        error: 'quota exceeded',
        outcome: 'rolledBack',
        kept: '"Pick the name"',
      },
      stepOf: { failedStep: 3, lastStep: 2 },
      stepsOf: { rolledBack: [2, 0], kept: [1] },
    });
    expect((await store.steps(created.id)).map((s) => s.status)).toEqual(['done', 'done', 'done', 'failed', 'skipped']);
    expect(await store.lockHolder('c1')).toBeNull();
    expect((await store.listAudit({ operationId: created.id })).map((a) => a.outcome)).toEqual(['failed', 'started']);
  });

  it("journals Quorum's words after Compute's message apart, in the failed step's line and in the outcome", async () => {
    const why = { key: 'stockout', params: { zone: 'z-b', reason: 'ZONE_RESOURCE_POOL_EXHAUSTED' } } as const;
    const message = `instances.insert p/z-b/x: The zone 'z-b' is out of resources. (${computeWhyText(why)})`;
    const created = await store.createOperation(
      op('c1', [{ id: 'insert', kind: 'stockout', title: 'Create the instance', params: {} }]),
    );
    const ended = await runner({
      executors: {
        stockout: async () => {
          throw new ProviderError('ZoneExhausted', message, { why });
        },
      },
    }).start(created.id);
    expect(ended.error).toBe(message);
    const base = "instances.insert p/z-b/x: The zone 'z-b' is out of resources.";
    expect((await store.getOperation(created.id))?.summarySaid).toMatchObject({
      key: 'failed',
      params: { error: base },
      errorWhy: why,
    });
    const failedLine = (await store.logs(created.id)).find((l) => l.said?.key === 'stepFailed');
    expect(failedLine?.message).toBe(`"Create the instance" failed: ${message}`);
    expect(failedLine?.said).toMatchObject({ params: { error: base }, errorWhy: why });
  });

  it("journals the sentence of a step's failure in Quorum's own words, and the operation page reads it for the step", async () => {
    const failure = logLine('leadershipStuck', { cluster: 'main', name: 'prod-master-c02' });
    const created = await store.createOperation(
      op('c1', [{ id: 'move', kind: 'stuck', title: 'Move etcd leadership', params: {} }]),
    );
    const ended = await runner({
      executors: {
        stuck: async () => {
          throw new SaidError(failure);
        },
      },
    }).start(created.id);
    expect(ended.error).toBe(failure.text);
    const said = { key: 'leadershipStuck', params: { cluster: 'main', name: 'prod-master-c02' } };
    expect((await store.getOperation(created.id))?.summarySaid).toMatchObject({
      key: 'failed',
      params: { error: failure.text },
      errorSaid: said,
    });
    const failedLine = (await store.logs(created.id)).find((l) => l.said?.key === 'stepFailed');
    expect(failedLine?.said).toMatchObject({ step: 0, params: { error: failure.text }, errorSaid: said });
    const view = await readOperationView(store, created.id);
    expect(view?.steps[0]).toMatchObject({ error: failure.text, errorSaid: said });
  });

  it('finishes a rollback that a crash interrupted when resuming', async () => {
    const created = await store.createOperation(
      op(
        'c1',
        [
          ensure('lb'),
          ensure('disk'),
          { id: 'boom', kind: 'fail', title: 'Create the instance', params: { message: 'quota exceeded' } },
        ],
        ['ensure-resource'],
      ),
    );
    // The journal and world as a crash during rollback leaves them: disk already compensated, lb not.
    writeWorld(worldFile, {
      ...emptyWorld(),
      resources: { lb: 'lb-v' },
      applied: { lb: 1, disk: 1 },
      removed: { disk: 1 },
    });
    await store.markOperationRunning(created.id);
    for (const i of [0, 1]) {
      await store.markStepRunning(created.id, i);
      await store.markStepDone(created.id, i, { created: true });
    }
    await store.markStepRunning(created.id, 2);
    await store.markStepFailed(created.id, 2, 'quota exceeded');

    const { settled } = await runner().resumeUnfinished();
    const [ended] = await settled;
    expect(ended).toMatchObject({ status: 'failed', error: 'quota exceeded' });
    expect(ended?.summary).toBe(
      'Failed at step 3/3 "Create the instance": quota exceeded. Rolled back "Ensure disk", "Ensure lb". Nothing of this operation is left in effect.',
    );
    const world = readWorld(worldFile);
    expect(world.resources).toEqual({});
    // The failed step was not run again; each compensation removed its resource once.
    expect(world.calls).toEqual({});
    expect(world.removed).toEqual({ disk: 1, lb: 1 });
    expect(await store.lockHolder('c1')).toBeNull();
  });

  it('fails an operation whose step kind has no executor, without compensation when the plan asks none', async () => {
    const created = await store.createOperation(
      op('c1', [ensure('lb'), { id: 'x', kind: 'unknown-kind', title: 'Mystery', params: {} }]),
    );
    const ended = await runner().start(created.id);
    expect(ended).toMatchObject({ status: 'failed', error: 'no executor for step kind "unknown-kind"' });
    expect(readWorld(worldFile).resources).toEqual({ lb: 'lb-v' });
  });

  it('runs operations of different clusters concurrently and one per cluster', async () => {
    let releaseA: () => void = () => {};
    const gateA = new Promise<void>((r) => (releaseA = r));
    const world = fakeWorldExecutors(worldFile);
    const r = createRunner({
      store,
      clock: systemClock,
      log: () => {},
      executors: { ...world.executors, gate: async () => gateA },
    });
    const a = await store.createOperation(op('a', [{ id: 'gate', kind: 'gate', title: 'Gate', params: {} }]));
    await expect(store.createOperation(op('a', [ensure('x')]))).rejects.toMatchObject({
      code: 'OperationInProgress',
      operationId: a.id,
    });
    const b = await store.createOperation(op('b', [ensure('b-lb')]));
    const runningA = r.start(a.id);
    // b completes while a is still held at its gate.
    expect((await r.start(b.id)).status).toBe('succeeded');
    expect((await store.getOperation(a.id))?.status).toBe('running');
    expect(r.start(a.id)).toBe(runningA);
    releaseA();
    expect((await runningA).status).toBe('succeeded');
  });

  it('finishes a cancel that a crash interrupted instead of calling the operation a success', async () => {
    const created = await store.createOperation(op('c1', [ensure('lb'), ensure('disk'), ensure('pool')]));
    await store.markOperationRunning(created.id);
    await store.markStepRunning(created.id, 0);
    await store.markStepDone(created.id, 0, { created: true });
    await store.requestCancel(created.id);
    // The crash came after the skips were written, before the operation was ended.
    await store.markStepSkipped(created.id, 1, 'cancelled');
    await store.markStepSkipped(created.id, 2, 'cancelled');

    const { settled } = await runner().resumeUnfinished();
    const [ended] = await settled;
    expect(ended?.status).toBe('cancelled');
    expect(ended?.summary).toBe(
      'Cancelled. The cluster is as step 1/3 "Ensure lb" left it (1 of 3 steps done). 2 steps did not run.',
    );
    expect((await store.steps(created.id)).map((s) => s.status)).toEqual(['done', 'skipped', 'skipped']);
    expect(readWorld(worldFile).calls).toEqual({});
  });

  it('cancels a pending operation before any step runs', async () => {
    const created = await store.createOperation(op('c1', [ensure('lb')]));
    const r = runner();
    await r.cancel(created.id);
    const ended = await r.start(created.id);
    expect(ended.summary).toBe(
      'Cancelled. No step had completed; nothing was changed by this operation. 1 step did not run.',
    );
    expect(readWorld(worldFile).resources).toEqual({});
  });
});
