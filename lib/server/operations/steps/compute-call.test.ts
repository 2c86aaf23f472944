import { describe, expect, it } from 'vitest';
import type { ComputePort, InsertInstanceSpec, MutationOptions } from '@/lib/ports/compute';
import { ProviderError } from '@/lib/ports/provider-error';
import type { StepContext } from '@/lib/server/operations/runner';
import { backoffMs, inStep, requestIdSentBefore, stepsCompute } from './compute-call';

function ctxFor(stepId: string, logs: string[]): StepContext {
  return {
    operation: {
      id: 'op',
      clusterId: 'p~r~m',
      kind: 'scale',
      intent: null,
      plan: { steps: [] },
      status: 'running',
      actor: 't',
      createdAt: '',
      updatedAt: '',
      endedAt: null,
      error: null,
      summary: null,
      cancelRequested: false,
    },
    step: { id: stepId, kind: 'create-instance', title: 'Create instance', params: {} },
    index: 0,
    progress: async () => {},
    log: async (line) => void logs.push(line.text),
    signal: new AbortController().signal,
    results: {},
  };
}

/** The operation journal's put-once store, in memory. */
function journal() {
  const kept = new Map<string, string>();
  return {
    kept,
    putOperationSecretOnce: async (op: string, key: string, value: string) => {
      const k = `${op}/${key}`;
      if (!kept.has(k)) kept.set(k, value);
      return kept.get(k) ?? value;
    },
    operationSecret: async (op: string, key: string) => kept.get(`${op}/${key}`) ?? null,
  };
}

const spec: InsertInstanceSpec = {
  project: 'p',
  zone: 'z-a',
  name: 'm-abc',
  machineType: 'n1',
  tags: [],
  metadata: [],
  externalIp: 'ephemeral',
};
const fast = { baseMs: 1, maxMs: 2, budgetMs: 5_000 };

/** A Compute port whose insertInstance fails with `failures` in turn, then succeeds; it records the requestIds it got. */
function flaky(failures: ProviderError[]) {
  const ids: Array<string | undefined> = [];
  const compute = {
    insertInstance: async (_spec: InsertInstanceSpec, opts?: MutationOptions) => {
      ids.push(opts?.requestId);
      const next = failures.shift();
      if (next) throw next;
    },
    getInstance: async () => {
      const next = failures.shift();
      if (next) throw next;
      return null;
    },
  } as Pick<ComputePort, 'insertInstance' | 'getInstance'> as ComputePort;
  return { compute, ids };
}

describe('backoffMs', () => {
  it.each([
    [1, 0, 250],
    [1, 1, 500],
    [2, 1, 1_000],
    [4, 0.5, 3_000],
    [10, 1, 8_000],
  ])('attempt %i with random %f waits %i ms', (attempt, r, ms) => {
    expect(backoffMs(attempt, () => r)).toBe(ms);
  });
});

describe('Compute calls inside a step', () => {
  it('retries a lost answer with the requestId it journaled first, and logs each retry', async () => {
    const store = journal();
    const { compute, ids } = flaky([
      new ProviderError('RateLimited', 'instances.insert: Rate Limit Exceeded', {
        httpStatus: 403,
        reason: 'rateLimitExceeded',
      }),
      new ProviderError('ProviderUnavailable', 'instances.insert: backendError', { httpStatus: 503 }),
    ]);
    const logs: string[] = [];
    const ctx = ctxFor('add:z-a:create-instance', logs);
    await inStep(ctx, 'forward', () => stepsCompute(compute, () => store, fast).insertInstance(spec));
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
    expect([...store.kept.values()]).toEqual([ids[0]]);
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatch(/^insertInstance z-a\/m-abc failed \(RateLimited\).*Retry 1 .*same requestId/);
  });

  it('a step run again (a resume) sends the id the journal holds; a rollback gets its own', async () => {
    const store = journal();
    const first = flaky([]);
    await inStep(ctxFor('s', []), 'forward', () => stepsCompute(first.compute, () => store, fast).insertInstance(spec));
    const again = flaky([]);
    await inStep(ctxFor('s', []), 'forward', () => stepsCompute(again.compute, () => store, fast).insertInstance(spec));
    expect(again.ids).toEqual(first.ids);
    const undo = flaky([]);
    await inStep(ctxFor('s', []), 'rollback', () => stepsCompute(undo.compute, () => store, fast).insertInstance(spec));
    expect(undo.ids[0]).not.toBe(first.ids[0]);
  });

  it('tells a step run again which requestId its earlier run sent the call with (the latest one), and nothing for another step', async () => {
    const store = journal();
    const ask = (stepId: string) =>
      requestIdSentBefore(store, ctxFor(stepId, []), 'insertInstance', [{ zone: spec.zone, name: spec.name }]);
    expect(await ask('s')).toBeNull();
    const { compute, ids } = flaky([
      new ProviderError('ResourceNotReady', 'operation x failed: not ready', {
        httpStatus: 400,
        operation: 'operation-1',
      }),
    ]);
    await inStep(ctxFor('s', []), 'forward', () => stepsCompute(compute, () => store, fast).insertInstance(spec));
    expect(await ask('s')).toBe(ids[1]);
    expect(await ask('other')).toBeNull();
  });

  it('a failed Operation is retried with a new requestId', async () => {
    const store = journal();
    const { compute, ids } = flaky([
      new ProviderError('ResourceNotReady', 'operation x failed: not ready', {
        httpStatus: 400,
        operation: 'operation-1',
      }),
    ]);
    await inStep(ctxFor('s', []), 'forward', () => stepsCompute(compute, () => store, fast).insertInstance(spec));
    expect(ids).toHaveLength(2);
    expect(ids[1]).not.toBe(ids[0]);
  });

  it('does not retry what needs a person, nor outside a step', async () => {
    const store = journal();
    const stockout = new ProviderError('ZoneExhausted', 'operation x failed: ZONE_RESOURCE_POOL_EXHAUSTED', {
      operation: 'operation-2',
    });
    const { compute, ids } = flaky([stockout]);
    await expect(
      inStep(ctxFor('s', []), 'forward', () => stepsCompute(compute, () => store, fast).insertInstance(spec)),
    ).rejects.toBe(stockout);
    expect(ids).toHaveLength(1);
    const outside = flaky([new ProviderError('ProviderUnavailable', 'down')]);
    await expect(stepsCompute(outside.compute, () => store, fast).getInstance('p', 'z', 'n')).rejects.toThrow('down');
  });

  it('gives up when the budget is spent', async () => {
    const store = journal();
    const failures = Array.from(
      { length: 50 },
      () => new ProviderError('ProviderUnavailable', 'down', { httpStatus: 503 }),
    );
    const { compute } = flaky(failures);
    await expect(
      inStep(ctxFor('s', []), 'forward', () =>
        stepsCompute(compute, () => store, { baseMs: 20, maxMs: 40, budgetMs: 100 }).getInstance('p', 'z', 'n'),
      ),
    ).rejects.toThrow('down');
  });
});
