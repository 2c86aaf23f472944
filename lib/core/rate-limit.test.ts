import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyedLimiter, paceRefresh, TokenBucket, type BucketConfig, type BucketState } from './rate-limit';

const configArb: fc.Arbitrary<BucketConfig> = fc.record({
  capacity: fc.integer({ min: 1, max: 20 }),
  refillPerSecond: fc.oneof(fc.constantFrom(0.5, 1, 20, 1000 / 3), fc.double({ min: 0.05, max: 200, noNaN: true })),
});

/** Time steps of whole or fractional milliseconds (callers may pass performance.now()). */
const stepArb = fc.oneof(
  fc.integer({ min: 0, max: 3_000 }),
  fc.integer({ min: 0, max: 12_000 }).map((q) => q / 4),
);

type Op = { dt: number; n: number };
const opsArb = (capacity: number) =>
  fc.array(fc.record({ dt: stepArb, n: fc.integer({ min: 1, max: capacity }) }), { maxLength: 60 });

/** Replays `ops` (each at the running time) on a new bucket; returns it, the time reached and what was granted when. */
function replay(config: BucketConfig, ops: readonly Op[], start = 1_000_000) {
  const bucket = new TokenBucket(config);
  let now = start;
  const grants: Array<{ at: number; n: number }> = [];
  for (const op of ops) {
    now += op.dt;
    if (bucket.take(now, op.n).ok) grants.push({ at: now, n: op.n });
  }
  return { bucket, now, grants };
}

/** Whether, in every window [a, b] bounded by grants, no more than capacity + rate * (b - a) tokens were granted. */
function withinRate(config: BucketConfig, grants: ReadonlyArray<{ at: number; n: number }>): boolean {
  const sorted = [...grants].sort((x, y) => x.at - y.at);
  for (let i = 0; i < sorted.length; i++) {
    let sum = 0;
    for (let j = i; j < sorted.length; j++) {
      const gi = sorted[i];
      const gj = sorted[j];
      if (!gi || !gj) continue;
      sum += gj.n;
      const allowed = config.capacity + (config.refillPerSecond * (gj.at - gi.at)) / 1000;
      if (sum > allowed + 1e-9) return false;
    }
  }
  return true;
}

describe('TokenBucket', () => {
  it.each([
    // capacity, rate/s, takes as [ms since start, n], expected result of each
    [
      'starts full and empties',
      3,
      1,
      [
        [0, 1],
        [0, 1],
        [0, 1],
        [0, 1],
      ],
      ['ok 2', 'ok 1', 'ok 0', 'retry 1000'],
    ],
    [
      'refills continuously',
      2,
      10,
      [
        [0, 2],
        [50, 1],
        [100, 1],
      ],
      ['ok 0', 'retry 50', 'ok 0'],
    ],
    [
      'never holds more than its capacity',
      2,
      10,
      [
        [0, 1],
        [10_000, 2],
        [10_000, 1],
      ],
      ['ok 1', 'ok 0', 'retry 100'],
    ],
    [
      'a refusal takes nothing',
      1,
      1,
      [
        [0, 1],
        [500, 1],
        [1_000, 1],
      ],
      ['ok 0', 'retry 500', 'ok 0'],
    ],
    [
      'a clock stepping back neither gives nor takes',
      2,
      1,
      [
        [1_000, 2],
        [0, 1],
        [2_000, 1],
      ],
      ['ok 0', 'retry 2000', 'ok 0'],
    ],
    [
      '30 a minute: one every 2 s',
      10,
      0.5,
      [
        [0, 10],
        [1_999, 1],
        [2_000, 1],
      ],
      ['ok 0', 'retry 1', 'ok 0'],
    ],
  ] as const)('%s', (_, capacity, refillPerSecond, takes, expected) => {
    const bucket = new TokenBucket({ capacity, refillPerSecond });
    const results = takes.map(([at, n]) => {
      const r = bucket.take(at, n);
      return r.ok ? `ok ${Math.round(r.remaining * 1e6) / 1e6}` : `retry ${r.retryAfterMs}`;
    });
    expect(results).toEqual(expected);
  });

  it('refuses impossible takes and configurations as programming errors', () => {
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1 });
    expect(() => bucket.take(0, 3)).toThrow(RangeError);
    expect(() => bucket.take(0, 0)).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: 0 })).toThrow(RangeError);
  });

  it('reserve queues callers first come, first served and refuses a wait over the bound', () => {
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 10 });
    expect([0, 0, 0, 0].map((at) => bucket.reserve(at, 1, 250))).toEqual([
      { ok: true, waitMs: 0 },
      { ok: true, waitMs: 0 },
      { ok: true, waitMs: 100 },
      { ok: true, waitMs: 200 },
    ]);
    expect(bucket.state(0).tokens).toBeCloseTo(-2);
    expect(bucket.reserve(0, 2, 250)).toEqual({ ok: false, retryAfterMs: 150 });
    expect(bucket.reserve(150, 2, 250)).toEqual({ ok: true, waitMs: 250 });
  });

  it('property: never grants more than capacity + rate * elapsed in any window', () => {
    fc.assert(
      fc.property(
        configArb.chain((config) => fc.tuple(fc.constant(config), opsArb(config.capacity))),
        ([config, ops]) => withinRate(config, replay(config, ops).grants),
      ),
      { numRuns: 300 },
    );
  });

  it('property: retryAfterMs is exact (taking after it succeeds, a millisecond before it fails)', () => {
    fc.assert(
      fc.property(
        configArb.chain((config) =>
          fc.tuple(fc.constant(config), opsArb(config.capacity), stepArb, fc.integer({ min: 1, max: config.capacity })),
        ),
        ([config, ops, dt, n]) => {
          const { bucket, now } = replay(config, ops);
          const refused = bucket.take(now + dt, n);
          if (refused.ok) return;
          expect(refused.retryAfterMs).toBeGreaterThanOrEqual(1);
          expect(Number.isInteger(refused.retryAfterMs)).toBe(true);
          expect(replay(config, ops).bucket.take(now + dt + refused.retryAfterMs, n).ok).toBe(true);
          expect(replay(config, ops).bucket.take(now + dt + refused.retryAfterMs - 1, n).ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: reservations, counted when they may proceed, stay within the rate, in order, and within their bound', () => {
    fc.assert(
      fc.property(
        configArb.chain((config) =>
          fc.tuple(fc.constant(config), opsArb(config.capacity), fc.integer({ min: 0, max: 5_000 })),
        ),
        ([config, ops, maxWaitMs]) => {
          const bucket = new TokenBucket(config);
          let now = 0;
          const grants: Array<{ at: number; n: number }> = [];
          for (const op of ops) {
            now += op.dt;
            const r = bucket.reserve(now, op.n, maxWaitMs);
            if (!r.ok) continue;
            expect(r.waitMs).toBeLessThanOrEqual(maxWaitMs);
            const last = grants.at(-1);
            if (last) expect(now + r.waitMs).toBeGreaterThanOrEqual(last.at);
            grants.push({ at: now + r.waitMs, n: op.n });
          }
          expect(withinRate(config, grants)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('KeyedLimiter', () => {
  it('keeps one bucket per key', () => {
    const limiter = new KeyedLimiter({ capacity: 1, refillPerSecond: 1 });
    expect(limiter.take('alice', 0).ok).toBe(true);
    expect(limiter.take('alice', 0)).toEqual({ ok: false, retryAfterMs: 1_000 });
    expect(limiter.take('bob', 0).ok).toBe(true);
  });

  it('forgets a key once its bucket has refilled, and only then', () => {
    const limiter = new KeyedLimiter({ capacity: 2, refillPerSecond: 1 });
    limiter.take('alice', 0, 2);
    limiter.take('bob', 1_500);
    expect(limiter.evictIdle(1_999)).toBe(0);
    expect(limiter.evictIdle(2_000)).toBe(1);
    expect(limiter.keys()).toEqual(['bob']);
    // bob took 1 of 2 tokens at 1.5 s: full again at 2.5 s.
    limiter.take('carol', 2_400);
    expect(limiter.keys()).toEqual(['bob', 'carol']);
    limiter.take('carol', 2_600);
    expect(limiter.keys()).toEqual(['carol']);
  });

  it('bounds the keys it remembers, forgetting the least recently used', () => {
    const limiter = new KeyedLimiter({ capacity: 5, refillPerSecond: 0.001 }, { maxKeys: 3 });
    for (const key of ['a', 'b', 'c']) limiter.take(key, 0);
    limiter.take('a', 1);
    limiter.take('d', 2);
    expect(limiter.keys()).toEqual(['c', 'a', 'd']);
    expect(limiter.size).toBe(3);
  });

  it('reports a key it does not remember as full', () => {
    const limiter = new KeyedLimiter({ capacity: 4, refillPerSecond: 2 });
    expect(limiter.state('nobody', 0)).toEqual({ capacity: 4, refillPerSecond: 2, tokens: 4 });
  });

  it('property: eviction is lossless (answers equal those of buckets that are never forgotten)', () => {
    const keyOpArb = fc.record({
      key: fc.constantFrom('u1', 'u2', 'u3', 'u4'),
      dt: stepArb,
      n: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 50, noNaN: true }),
        fc.array(keyOpArb, { maxLength: 80 }),
        (refillPerSecond, ops) => {
          const config = { capacity: 3, refillPerSecond };
          const limiter = new KeyedLimiter(config);
          const reference = new Map<string, TokenBucket>();
          let now = 0;
          for (const op of ops) {
            now += op.dt;
            let bucket = reference.get(op.key);
            if (!bucket) reference.set(op.key, (bucket = new TokenBucket(config)));
            expect(limiter.take(op.key, now, op.n)).toEqual(bucket.take(now, op.n));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('paceRefresh', () => {
  const budget = (tokens: number, project = 'p-one'): { project: string; state: BucketState } => ({
    project,
    state: { capacity: 40, refillPerSecond: 20, tokens },
  });

  it.each([
    ['a full bucket keeps the base period', [budget(40)], 500, null],
    ['at the threshold, unchanged', [budget(20)], 500, null],
    ['just below, never shorter than the base', [budget(19)], 500, null],
    ['low: waits until the bucket is back at half', [budget(0)], 1_000, 'p-one'],
    ['in debt: waits for the debt too', [budget(-40)], 3_000, 'p-one'],
    ['capped', [budget(-10_000)], 30_000, 'p-one'],
    ['the lowest of several projects decides', [budget(40, 'p-one'), budget(-20, 'p-two')], 2_000, 'p-two'],
    ['no project read: the base period', [], 500, null],
  ] as const)('%s', (_, budgets, intervalMs, project) => {
    const pace = paceRefresh(500, budgets);
    expect(pace).toEqual({
      intervalMs,
      baseIntervalMs: 500,
      slowedBy: project ? { reason: 'compute-budget', project } : null,
    });
  });
});
