import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { issueClusterSecrets, firstMasterMetadata } from '@/lib/pki/first-master';
import type { ComputePort, InstanceInfo } from '@/lib/ports/compute';
import { ProviderError } from '@/lib/ports/provider-error';
import type { StepContext } from '@/lib/server/operations/runner';
import {
  forgetCluster,
  inEachCluster,
  loadCluster,
  newReplicaOf,
  pause,
  reportAndPause,
  retryOn,
  siblingStepId,
  StepCancelled,
  VIEW_REUSE_MS,
} from './cluster-context';

function ctxFor(id: string, results: StepContext['results'] = {}): StepContext {
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
    step: { id, kind: id.split(':').at(-1) ?? '', title: '', params: {} },
    index: 0,
    progress: async () => {},
    log: async () => {},
    signal: new AbortController().signal,
    results,
  };
}

describe('siblingStepId', () => {
  it.each([
    ['add:europe-west1-b:create-disk', 'pick-name', 'add:europe-west1-b:pick-name'],
    ['2.add:us-central1-c:verify', 'pick-name', '2.add:us-central1-c:pick-name'],
    ['1.remove:us-central1-a:delete-disk', 'resolve-replica', '1.remove:us-central1-a:resolve-replica'],
  ])('%s -> %s of the same add or remove', (id, kind, expected) => {
    expect(siblingStepId(ctxFor(id), kind)).toBe(expected);
  });

  it('reads the name of its own add in a scale plan, not the other add', () => {
    const results = {
      '1.add:z-a:pick-name': { name: 'm-aaa', internalIp: '10.0.0.2' },
      '2.add:z-c:pick-name': { name: 'm-ccc', internalIp: '10.0.0.3' },
    };
    expect(newReplicaOf(ctxFor('2.add:z-c:create-instance', results)).name).toBe('m-ccc');
    expect(() => newReplicaOf(ctxFor('3.add:z-b:create-instance', results))).toThrow(/pick-name/);
  });

  it("reads a create's first master from the certificates step, whose certificates name it", () => {
    const results = {
      'create:z-b:issue-cluster-certificates': {
        name: 'blue-master',
        internalIp: '10.0.0.4',
        staticIp: '203.0.113.9',
        authorities: [],
      },
    };
    expect(newReplicaOf(ctxFor('create:z-b:await-api-server', results))).toEqual({
      name: 'blue-master',
      internalIp: '10.0.0.4',
    });
  });
});

describe('retryOn', () => {
  const signal = new AbortController().signal;

  it('retries the listed codes until the call succeeds', async () => {
    let calls = 0;
    const value = await retryOn(
      ['EtcdRefused'],
      async () => {
        calls += 1;
        if (calls < 3) throw new ProviderError('EtcdRefused', 'unhealthy cluster');
        return 'ok';
      },
      { timeoutMs: 1_000, everyMs: 1, signal },
    );
    expect([value, calls]).toEqual(['ok', 3]);
  });

  it('gives up on any other error at once, and on a listed one at the deadline', async () => {
    let calls = 0;
    const other = retryOn(
      ['EtcdRefused'],
      () => {
        calls += 1;
        return Promise.reject(new ProviderError('NotFound', 'gone'));
      },
      { timeoutMs: 1_000, everyMs: 1, signal },
    );
    await expect(other).rejects.toMatchObject({ code: 'NotFound' });
    expect(calls).toBe(1);
    const late = retryOn(
      ['LearnerNotReady'],
      () => Promise.reject(new ProviderError('LearnerNotReady', 'not in sync')),
      { timeoutMs: 30, everyMs: 10, signal },
    );
    await expect(late).rejects.toMatchObject({ code: 'LearnerNotReady' });
  });
});

describe('pause', () => {
  it('ends early with StepCancelled when the step is cancelled', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = pause(10_000, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(StepCancelled);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('loadCluster', () => {
  let metadata: Record<string, string>;
  beforeAll(async () => {
    const secrets = await issueClusterSecrets({ name: 'm', internalIp: '10.0.0.2', staticIp: '10.1.0.2' });
    metadata = Object.fromEntries(
      firstMasterMetadata(secrets, { masterName: 'm', zone: 'r-b', multizone: true }).map((i) => [i.key, i.value]),
    );
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A Compute whose listInstances counts its calls and answers with `names` as they are now. */
  function compute(names: string[]) {
    const calls = { list: 0 };
    const instance = (name: string): InstanceInfo => ({
      id: `id-${name}`,
      name,
      zone: 'r-b',
      status: 'RUNNING',
      internalIp: '10.0.0.2',
      externalIp: null,
      tags: [],
      metadata,
      metadataFingerprint: null,
      creationTimestamp: '',
    });
    const port: Pick<ComputePort, 'listInstances'> = {
      listInstances: async () => {
        calls.list++;
        return names.map(instance);
      },
    };
    return { c: { compute: port }, calls };
  }

  it('reads the replicas once per pass, and again after forgetCluster, when asked fresh, when old, and in a new pass', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const names = ['m'];
    const { c, calls } = compute(names);
    const pass = {};
    const ctx = { ...ctxFor('add:r-b:add-learner'), pass };

    expect((await loadCluster(c, ctx)).replicas.map((r) => r.name)).toEqual(['m']);
    expect((await loadCluster(c, ctx)).etcd.main?.clientCert).toContain('BEGIN CERTIFICATE');
    expect(calls.list).toBe(1);

    // A step created an instance: the next one sees it.
    names.push('m-abc');
    forgetCluster(ctx);
    expect((await loadCluster(c, ctx)).replicas.map((r) => r.name)).toEqual(['m', 'm-abc']);
    expect(calls.list).toBe(2);

    expect((await loadCluster(c, ctx, { fresh: true })).replicas).toHaveLength(2);
    expect(calls.list).toBe(3);

    vi.setSystemTime(Date.now() + VIEW_REUSE_MS);
    await loadCluster(c, ctx);
    expect(calls.list).toBe(4);

    // A resumed run is a new pass: nothing of the old one is reused.
    await loadCluster(c, { ...ctx, pass: {} });
    expect(calls.list).toBe(5);
  });

  it('reads the replicas every time for a step run outside a pass (a compensation)', async () => {
    const { c, calls } = compute(['m']);
    const ctx = ctxFor('add:r-b:add-learner');
    await loadCluster(c, ctx);
    await loadCluster(c, ctx);
    expect(calls.list).toBe(2);
  });
});

describe('inEachCluster', () => {
  it('gives the results in CLUSTERS order', async () => {
    expect(
      await inEachCluster(async (cluster) =>
        cluster === 'main' ? pause(5, new AbortController().signal).then(() => cluster) : cluster,
      ),
    ).toEqual(['main', 'events']);
  });

  it('lets the other cluster finish before it throws the first failure', async () => {
    const finished: string[] = [];
    const run = inEachCluster(async (cluster) => {
      if (cluster === 'main') throw new Error('main refused');
      await pause(20, new AbortController().signal);
      finished.push(cluster);
    });
    await expect(run).rejects.toThrow('main refused');
    expect(finished).toEqual(['events']);
  });
});

describe('reportAndPause', () => {
  it('writes the progress during the pause, not before it', async () => {
    vi.useFakeTimers();
    try {
      let written = false;
      const progress = async () => {
        await pause(40, new AbortController().signal);
        written = true;
      };
      let done = false;
      const waiting = reportAndPause(
        { progress, signal: new AbortController().signal },
        { message: 'waiting' },
        50,
      ).then(() => (done = true));
      // A write of 40 ms and a pause of 50 ms take 50 ms together, not 90.
      await vi.advanceTimersByTimeAsync(50);
      expect([written, done]).toEqual([true, true]);
      await waiting;
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends with StepCancelled when the step is cancelled, once the write has settled', async () => {
    const controller = new AbortController();
    let written = false;
    const progress = async () => {
      await pause(20, new AbortController().signal);
      written = true;
    };
    const waiting = reportAndPause({ progress, signal: controller.signal }, {}, 10_000);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(StepCancelled);
    expect(written).toBe(true);
  });
});
