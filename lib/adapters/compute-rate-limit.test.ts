import { describe, expect, it } from 'vitest';
import type { ComputePort, InsertInstanceSpec } from '@/lib/ports/compute';
import { ProviderError } from '@/lib/ports/provider-error';
import { paceRefresh } from '@/lib/core/rate-limit';
import {
  ComputeBudget,
  inOperationLane,
  METHOD_COST,
  RateLimitedCompute,
  type BudgetTiming,
  type ComputeBudgetConfig,
} from './compute-rate-limit';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A clock that moves only when told to, firing the sleeps that fall due in order. */
class FakeTime implements BudgetTiming {
  t = 0;
  private timers: Array<{ at: number; resolve: () => void }> = [];
  now = () => this.t;
  wallClock = () => new Date(Date.UTC(2026, 10, 26) + this.t);
  sleep = (ms: number) => new Promise<void>((resolve) => this.timers.push({ at: this.t + ms, resolve }));

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.resolve();
    }
    this.t = end;
    await flush();
  }
}

type Call = { method: string; project: string; at: number };

/** A Compute port answering every call at once with nothing, recording which method was called for which project when. */
function recordingPort(time: FakeTime): { port: ComputePort; calls: Call[] } {
  const calls: Call[] = [];
  const port = new Proxy(
    {},
    {
      get: (_, method) => async (first: unknown) => {
        const project = typeof first === 'string' ? first : (first as InsertInstanceSpec).project;
        calls.push({ method: String(method), project, at: time.now() });
        return null;
      },
    },
  ) as ComputePort;
  return { port, calls };
}

function setUp(config: Partial<ComputeBudgetConfig> = {}, projects: string[] = []) {
  const time = new FakeTime();
  const { port, calls } = recordingPort(time);
  const budget = new ComputeBudget(
    { ratePerSecond: 10, burst: 2, maxWaitMs: 10_000, ...config },
    { projects, timing: time },
  );
  return { time, calls, budget, compute: new RateLimitedCompute(port, budget) };
}

describe('RateLimitedCompute', () => {
  it('lets calls through at once while the bucket has tokens', async () => {
    const { time, calls, compute, budget } = setUp({ burst: 5 });
    await Promise.all(Array.from({ length: 5 }, () => compute.getAddress('p-one', 'europe-west1', 'prod-master-ip')));
    expect(calls.map((c) => c.at)).toEqual([0, 0, 0, 0, 0]);
    expect(budget.snapshot()).toEqual([
      expect.objectContaining({ project: 'p-one', granted: 5, waited: 0, tokens: 0, lastWait: null }),
    ]);
    expect(time.t).toBe(0);
  });

  it('makes a call wait for its token when the bucket is empty, first come first served', async () => {
    const { time, calls, compute, budget } = setUp({ ratePerSecond: 10, burst: 2 });
    const done: string[] = [];
    const all = ['a', 'b', 'c', 'd'].map((name) =>
      compute.getInstance('p-one', 'europe-west1-b', name).then(() => done.push(name)),
    );
    await time.advance(0);
    expect(done).toEqual(['a', 'b']);
    expect(budget.snapshot()[0]).toMatchObject({ waiting: 2, tokens: -2 });
    await time.advance(99);
    expect(done).toEqual(['a', 'b']);
    await time.advance(1);
    expect(done).toEqual(['a', 'b', 'c']);
    await time.advance(100);
    await Promise.all(all);
    expect(calls.map((c) => c.at)).toEqual([0, 0, 100, 200]);
    expect(budget.snapshot()[0]).toMatchObject({
      granted: 4,
      waited: 2,
      waiting: 0,
      totalWaitMs: 300,
      lastWait: { ms: 200, at: '2026-11-26T00:00:00.000Z' },
      refused: 0,
    });
  });

  it('keeps one budget per project: an exhausted project does not slow another', async () => {
    const { time, calls, compute } = setUp({ ratePerSecond: 1, burst: 1 });
    const first = compute.listAllInstances('p-one');
    const queued = compute.listAllInstances('p-one');
    const other = compute.insertInstance({
      project: 'p-two',
      zone: 'z',
      name: 'n',
      machineType: 'm',
      tags: [],
      metadata: [],
      externalIp: 'none',
    });
    await time.advance(0);
    await Promise.all([first, other]);
    expect(calls).toEqual([
      { method: 'listAllInstances', project: 'p-one', at: 0 },
      { method: 'insertInstance', project: 'p-two', at: 0 },
    ]);
    await time.advance(1_000);
    await queued;
    expect(calls.at(-1)).toEqual({ method: 'listAllInstances', project: 'p-one', at: 1_000 });
  });

  it('takes a token per Compute request a call makes: two for a mutation, three for freeInternalIp', async () => {
    const { time, calls, compute, budget } = setUp({ ratePerSecond: 10, burst: 6 });
    await compute.deleteDisk('p-one', 'z', 'd');
    expect(budget.state('p-one').tokens).toBe(4);
    await compute.freeInternalIp('p-one', 'r');
    expect(budget.state('p-one').tokens).toBe(1);
    const read = compute.getDisk('p-one', 'z', 'd');
    const mutation = compute.insertDisk('p-one', 'z', { name: 'd', sizeGb: 10, type: 'pd-ssd' });
    await time.advance(199);
    expect(calls.map((c) => [c.method, c.at])).toEqual([
      ['deleteDisk', 0],
      ['freeInternalIp', 0],
      ['getDisk', 0],
    ]);
    await time.advance(1);
    await Promise.all([read, mutation]);
    expect(calls.at(-1)).toEqual({ method: 'insertDisk', project: 'p-one', at: 200 });
    expect(budget.snapshot()[0]).toMatchObject({ granted: 4, waited: 1 });
  });

  it('lets a call costing more than the whole bucket go with the whole bucket', async () => {
    const { time, calls, compute } = setUp({ ratePerSecond: 1, burst: 1 });
    await compute.freeInternalIp('p-one', 'r');
    const next = compute.freeInternalIp('p-one', 'r');
    await time.advance(1_000);
    await next;
    expect(calls.map((c) => c.at)).toEqual([0, 1_000]);
  });

  it('fails a call whose wait would exceed the bound, without calling Compute, and counts it', async () => {
    const { time, calls, compute, budget } = setUp({ ratePerSecond: 10, burst: 1, maxWaitMs: 500 });
    const accepted = Array.from({ length: 6 }, () => compute.getDisk('p-one', 'z', 'd'));
    await expect(compute.getDisk('p-one', 'z', 'd')).rejects.toSatisfy(
      (e) => e instanceof ProviderError && e.code === 'Timeout' && /p-one.*600 ms.*500 ms/.test(e.message),
    );
    await time.advance(500);
    await Promise.all(accepted);
    expect(calls).toHaveLength(6);
    expect(budget.snapshot()[0]).toMatchObject({ granted: 6, refused: 1 });
  });

  it('never exceeds the rate in any one-second window, with many concurrent callers on several projects', async () => {
    const config = { ratePerSecond: 20, burst: 40, maxWaitMs: 60_000 };
    const { time, calls, compute } = setUp(config);
    // 60 pollers per project, each making 4 calls at a time and starting again 100 ms after they are answered, for 10 s.
    const stopAt = 10_000;
    const poller = async (project: string, offset: number) => {
      await time.sleep(offset);
      while (time.now() < stopAt) {
        await Promise.all([
          compute.listInstances(project, '^x$'),
          compute.getForwardingRule(project, 'r', 'x'),
          compute.getTargetPool(project, 'r', 'x'),
          compute.getAddress(project, 'r', 'x-ip'),
        ]);
        await time.sleep(100);
      }
    };
    const pollers = ['p-one', 'p-two'].flatMap((project) =>
      Array.from({ length: 60 }, (_, i) => poller(project, i * 7)),
    );
    for (let elapsed = 0; elapsed < 30_000; elapsed += 50) await time.advance(50);
    await Promise.all(pollers);

    for (const project of ['p-one', 'p-two']) {
      const times = calls.filter((c) => c.project === project).map((c) => c.at);
      for (const start of times) {
        const inWindow = times.filter((t) => t >= start && t < start + 1_000).length;
        expect(inWindow).toBeLessThanOrEqual(config.burst + config.ratePerSecond);
      }
      // Busy throughout: the budget is used, not just respected.
      const last = Math.max(...times);
      expect(times.length).toBeGreaterThanOrEqual(config.burst + Math.floor((config.ratePerSecond * last) / 1_000));
      expect(times.length).toBeLessThanOrEqual(config.burst + Math.floor((config.ratePerSecond * last) / 1_000) + 1);
      // Past the first burst, every whole second carries the rate and no more.
      for (let second = 3; second * 1_000 < last - 1_000; second++) {
        expect(times.filter((t) => t >= second * 1_000 && t < (second + 1) * 1_000).length).toBe(config.ratePerSecond);
      }
    }
  });
});

describe('ComputeBudget', () => {
  it('lists the configured projects with a full bucket before any call', () => {
    const { budget } = setUp({ ratePerSecond: 20, burst: 40 }, ['p-two', 'p-one']);
    expect(budget.snapshot()).toEqual(
      ['p-one', 'p-two'].map((project) => ({
        project,
        capacity: 40,
        ratePerSecond: 20,
        tokens: 40,
        waiting: 0,
        granted: 0,
        grantedTokens: 0,
        waited: 0,
        totalWaitMs: 0,
        lastWait: null,
        refused: 0,
        lanes: {
          operation: { granted: 0, waited: 0, totalWaitMs: 0, maxWaitMs: 0 },
          observe: { granted: 0, waited: 0, totalWaitMs: 0, maxWaitMs: 0 },
        },
        requestsByGroup: { read: 0, list: 0, operationRead: 0, mutation: 0 },
        rateLimited: 0,
        pausedUntil: null,
      })),
    );
    expect(budget.state('p-unknown')).toEqual({ capacity: 40, refillPerSecond: 20, tokens: 40 });
  });

  it('refills while idle', async () => {
    const { time, budget } = setUp({ ratePerSecond: 10, burst: 2 });
    await Promise.all([budget.acquire('p-one'), budget.acquire('p-one')]);
    await time.advance(150);
    expect(budget.state('p-one').tokens).toBeCloseTo(1.5);
    await time.advance(10_000);
    expect(budget.state('p-one').tokens).toBe(2);
  });
});

describe('ComputeBudget: what Google counts', () => {
  it('charges each method in its quota groups: lists, reads, a mutation and its Operation wait', async () => {
    const { compute, budget } = setUp({ ratePerSecond: 100, burst: 100 });
    await compute.listMasterInstances('p-one');
    await compute.listAllForwardingRules('p-one', 'x');
    await compute.getInstance('p-one', 'z', 'n');
    await compute.insertDisk('p-one', 'z', { name: 'd', sizeGb: 10, type: 'pd-ssd' });
    await compute.freeInternalIp('p-one', 'r');
    expect(budget.snapshot()[0]).toMatchObject({
      granted: 5,
      grantedTokens: 8,
      requestsByGroup: { list: 4, read: 2, mutation: 1, operationRead: 1 },
    });
    expect(Object.keys(METHOD_COST).sort()).toEqual(
      Object.getOwnPropertyNames(RateLimitedCompute.prototype)
        .filter((m) => !['constructor', 'limited', 'onMutation'].includes(m))
        .sort(),
    );
  });

  it('holds each quota group to its per-minute limit apart from the others', async () => {
    // 60 a minute: a group's bucket holds 10 s of it (10 requests) and refills one a second.
    const { time, calls, compute } = setUp({ ratePerSecond: 1_000, burst: 1_000, perMinute: 60 });
    const reads = Array.from({ length: 11 }, () => compute.getAddress('p-one', 'r', 'a'));
    const list = compute.listMasterInstances('p-one');
    await time.advance(0);
    await list;
    expect(calls.filter((c) => c.at === 0).map((c) => c.method)).toEqual([
      ...Array<string>(10).fill('getAddress'),
      'listMasterInstances',
    ]);
    await time.advance(1_000);
    await Promise.all(reads);
    expect(calls.at(-1)).toEqual({ method: 'getAddress', project: 'p-one', at: 1_000 });
  });
});

describe('ComputeBudget: the operations lane', () => {
  const op = <T>(work: () => Promise<T>) => inOperationLane(work);

  it("never makes an operation's call wait behind the feeds' queue, while the feeds wait and slow down", async () => {
    const { time, calls, compute, budget } = setUp({ ratePerSecond: 10, burst: 4, operationShare: 0.5 });
    // The feeds queue 20 reads: their lane (5/s, 2 at once) is booked for seconds.
    const feeds = Array.from({ length: 20 }, () => compute.getInstance('p-one', 'z', 'feed'));
    await time.advance(0);
    expect(paceRefresh(500, [{ project: 'p-one', state: budget.state('p-one') }]).slowedBy).toEqual({
      reason: 'compute-budget',
      project: 'p-one',
    });
    // An operation's mutation and read go at once, from its own lane.
    const opCalls = op(() =>
      Promise.all([
        compute.insertDisk('p-one', 'z', { name: 'd', sizeGb: 10, type: 'pd-ssd' }),
        compute.getDisk('p-one', 'z', 'd'),
      ]),
    );
    await time.advance(200);
    await opCalls;
    expect(calls.filter((c) => c.at === 0).map((c) => c.method)).toEqual(['getInstance', 'getInstance', 'insertDisk']);
    // The read took the lane's third token: it is refilled at 5/s (200 ms), not behind the feeds' 3.6 s queue.
    expect(calls.find((c) => c.method === 'getDisk')?.at).toBe(200);
    const { lanes } = budget.snapshot()[0] ?? expect.fail('no budget');
    expect(lanes.operation).toEqual({ granted: 2, waited: 1, totalWaitMs: 200, maxWaitMs: 200 });
    expect(lanes.observe.maxWaitMs).toBe(3_600);
    await time.advance(4_000);
    await Promise.all(feeds);
  });

  it("lets an operation use the feeds' tokens when they are there, and never the other way round", async () => {
    const { time, calls, compute } = setUp({ ratePerSecond: 10, burst: 4, operationShare: 0.5 });
    // An operation's 4 reads: 2 from its lane, 2 from the idle feeds' lane, all at once.
    await op(() => Promise.all(Array.from({ length: 4 }, () => compute.getDisk('p-one', 'z', 'd'))));
    expect(calls.map((c) => c.at)).toEqual([0, 0, 0, 0]);
    await time.advance(1_000);
    // Feeds with their lane full and the operation's idle: they get their own 2 at once, then wait.
    const feeds = Array.from({ length: 3 }, () => compute.getInstance('p-one', 'z', 'feed'));
    await time.advance(0);
    expect(calls.filter((c) => c.method === 'getInstance').map((c) => c.at)).toEqual([1_000, 1_000]);
    await time.advance(200);
    await Promise.all(feeds);
    expect(calls.at(-1)).toMatchObject({ method: 'getInstance', at: 1_200 });
  });

  it('without a share, operations and feeds wait in one queue', async () => {
    const { time, calls, compute } = setUp({ ratePerSecond: 10, burst: 1 });
    const feed = compute.getInstance('p-one', 'z', 'feed');
    const feed2 = compute.getInstance('p-one', 'z', 'feed');
    const mine = op(() => compute.getDisk('p-one', 'z', 'd'));
    await time.advance(300);
    await Promise.all([feed, feed2, mine]);
    expect(calls.map((c) => [c.method, c.at])).toEqual([
      ['getInstance', 0],
      ['getInstance', 100],
      ['getDisk', 200],
    ]);
  });
});

describe('ComputeBudget: rateLimitExceeded', () => {
  function limitedPort(time: FakeTime) {
    const calls: Array<{ method: string; at: number }> = [];
    let failNext = 0;
    const inner = new Proxy(
      {},
      {
        get: (_, method) => async () => {
          calls.push({ method: String(method), at: time.now() });
          if (failNext > 0) {
            failNext -= 1;
            throw new ProviderError('Forbidden', 'Rate Limit Exceeded', {
              httpStatus: 403,
              reason: 'rateLimitExceeded',
            });
          }
          return null;
        },
      },
    ) as ComputePort;
    return { inner, calls, fail: (n: number) => (failNext = n) };
  }

  it('pauses every call of the project after such an answer, twice as long each time, and starts again from 1 s after a success', async () => {
    const time = new FakeTime();
    const { inner, calls, fail } = limitedPort(time);
    const budget = new ComputeBudget(
      { ratePerSecond: 100, burst: 100, maxWaitMs: 60_000, operationShare: 0.5 },
      { timing: time },
    );
    const compute = new RateLimitedCompute(inner, budget);
    fail(2);
    await expect(compute.getDisk('p-one', 'z', 'd')).rejects.toMatchObject({ reason: 'rateLimitExceeded' });
    expect(budget.snapshot()[0]).toMatchObject({ rateLimited: 1, pausedUntil: '2026-11-26T00:00:01.000Z' });
    // Both lanes pause: the quota is the project's, whoever calls.
    const next = inOperationLane(() => compute.getDisk('p-one', 'z', 'd')).catch((e: unknown) => e);
    await time.advance(999);
    expect(calls).toHaveLength(1);
    await time.advance(1);
    expect(await next).toMatchObject({ reason: 'rateLimitExceeded' });
    const third = compute.getInstance('p-one', 'z', 'n');
    await time.advance(1_999);
    expect(calls).toHaveLength(2);
    await time.advance(1);
    await third;
    expect(calls.map((c) => c.at)).toEqual([0, 1_000, 3_000]);
    // A success resets the doubling.
    fail(1);
    // (The lane's one token after the pause went to the last call: this one waits 20 ms for the next, at 50/s.)
    const fourth = compute.getDisk('p-one', 'z', 'd').catch((e: unknown) => e);
    await time.advance(20);
    expect(await fourth).toMatchObject({ reason: 'rateLimitExceeded' });
    expect(budget.snapshot()[0]).toMatchObject({ rateLimited: 3, pausedUntil: '2026-11-26T00:00:04.020Z' });
    await time.advance(1_000);
    expect(budget.snapshot()[0]?.pausedUntil).toBeNull();
  });

  it('tells the listeners of every mutation, done or failed, and of no read', async () => {
    const time = new FakeTime();
    const { inner, fail } = limitedPort(time);
    const compute = new RateLimitedCompute(
      inner,
      new ComputeBudget({ ratePerSecond: 100, burst: 100, maxWaitMs: 60_000 }, { timing: time }),
    );
    const told: string[] = [];
    compute.onMutation((project) => told.push(project));
    await compute.getInstance('p-one', 'z', 'n');
    await compute.listMasterInstances('p-one');
    await compute.deleteInstance('p-one', 'z', 'n');
    fail(1);
    await expect(compute.insertAddress('p-two', 'r', 'a')).rejects.toBeInstanceOf(ProviderError);
    expect(told).toEqual(['p-one', 'p-two']);
  });
});
