import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RefreshPace } from '@/lib/core/rate-limit';
import { Feed, feedFor, sseResponse, wakeFeeds, type FeedMessage } from './feed';

const base: RefreshPace = { intervalMs: 500, baseIntervalMs: 500, slowedBy: null };
const slowed = (intervalMs: number): RefreshPace => ({
  intervalMs,
  baseIntervalMs: 500,
  slowedBy: { reason: 'compute-budget', project: 'p-one' },
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A feed counting its observations, paced by whatever `paces` holds next (the last one repeats). */
function countingFeed(paces: RefreshPace[] | null) {
  let observations = 0;
  const feed = new Feed(
    async () => ++observations,
    500,
    String,
    paces ? () => (paces.length > 1 ? (paces.shift() ?? base) : (paces[0] ?? base)) : undefined,
  );
  return { feed, observations: () => observations };
}

describe('Feed pacing', () => {
  it.each([
    ['without a pace', null],
    ['with a full budget', [base]],
  ])('%s, observes every intervalMs as before', async (_, paces) => {
    const { feed, observations } = countingFeed(paces);
    const messages: Array<FeedMessage<number>> = [];
    const unsubscribe = feed.subscribe((m) => messages.push(m));
    await vi.advanceTimersByTimeAsync(0);
    expect(observations()).toBe(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(observations()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(observations()).toBe(2);
    expect(messages[0]?.refresh).toEqual(paces ? base : undefined);
    unsubscribe();
  });

  it('observes again at once when an observation asks for it (a silence to confirm), else at its period', async () => {
    let observations = 0;
    // Observation 2 asks for the next one at once (as a view with a probe held over does).
    const feed = new Feed(
      async () => ++observations,
      500,
      String,
      undefined,
      (n) => (n === 2 ? 0 : undefined),
    );
    const unsubscribe = feed.subscribe(() => {});
    await vi.advanceTimersByTimeAsync(0);
    expect(observations).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(observations).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(observations).toBe(3);
    // ...and the one after it waits its period again.
    await vi.advanceTimersByTimeAsync(450);
    expect(observations).toBe(3);
    await vi.advanceTimersByTimeAsync(60);
    expect(observations).toBe(4);
    unsubscribe();
  });

  it('observes at once when woken between observations, and right after the one under way when woken during it', async () => {
    let observations = 0;
    const held: { release?: () => void } = {};
    let hold = false;
    const feed = new Feed(
      () =>
        new Promise<number>((resolve) => {
          observations++;
          if (!hold) resolve(observations);
          else held.release = () => resolve(observations);
        }),
      500,
      String,
    );
    feed.wake(); // not running: nothing to do
    const unsubscribe = feed.subscribe(() => {});
    await vi.advanceTimersByTimeAsync(100);
    expect(observations).toBe(1);
    feed.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(observations).toBe(2);
    // A second wake within the period of the last woken one waits for that period's end, not for a whole period.
    await vi.advanceTimersByTimeAsync(100);
    feed.wake();
    await vi.advanceTimersByTimeAsync(399);
    expect(observations).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(observations).toBe(3);
    // Woken while an observation is under way: the next one starts as soon as it ends.
    hold = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(observations).toBe(4);
    await vi.advanceTimersByTimeAsync(600);
    feed.wake();
    held.release?.();
    hold = false;
    await vi.advanceTimersByTimeAsync(0);
    expect(observations).toBe(5);
    // Without a wake, the period again.
    await vi.advanceTimersByTimeAsync(499);
    expect(observations).toBe(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(observations).toBe(6);
    unsubscribe();
  });

  it('wakeFeeds wakes only the running feeds its test picks', async () => {
    const counts = { a: 0, b: 0 };
    const a = feedFor('wake-test:a', () => new Feed(async () => ++counts.a, 500, String));
    const b = feedFor('wake-test:b', () => new Feed(async () => ++counts.b, 500, String));
    const offA = a.subscribe(() => {});
    const offB = b.subscribe(() => {});
    await vi.advanceTimersByTimeAsync(100);
    expect(counts).toEqual({ a: 1, b: 1 });
    wakeFeeds((key) => key === 'wake-test:a');
    await vi.advanceTimersByTimeAsync(0);
    expect(counts).toEqual({ a: 2, b: 1 });
    offA();
    offB();
    await vi.advanceTimersByTimeAsync(1_000);
  });

  it('waits the stretched period and says so in each message', async () => {
    const { feed, observations } = countingFeed([slowed(2_000), base]);
    const messages: Array<FeedMessage<number>> = [];
    const unsubscribe = feed.subscribe((m) => messages.push(m));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(observations()).toBe(1);
    expect(messages).toEqual([{ kind: 'data', data: 1, refresh: slowed(2_000) }]);
    await vi.advanceTimersByTimeAsync(1);
    expect(observations()).toBe(2);
    expect(messages[1]).toEqual({ kind: 'data', data: 2, refresh: base });
    await vi.advanceTimersByTimeAsync(500);
    expect(observations()).toBe(3);
    unsubscribe();
  });
});

describe('sseResponse', () => {
  it('sends the refresh period before the snapshot, and again only when it changes', async () => {
    const { feed } = countingFeed([base, base, slowed(1_000), slowed(1_000)]);
    const abort = new AbortController();
    const reader = sseResponse(feed, abort.signal).body?.getReader();
    await vi.advanceTimersByTimeAsync(2_600);
    abort.abort();
    let text = '';
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    const events = text
      .split('\n\n')
      .filter((e) => e.startsWith('event: '))
      .map((e) => {
        const [name, data] = e.split('\n');
        return `${name?.slice('event: '.length)} ${data?.slice('data: '.length)}`;
      });
    expect(events).toEqual([
      `refresh ${JSON.stringify(base)}`,
      'snapshot 1',
      'snapshot 2',
      `refresh ${JSON.stringify(slowed(1_000))}`,
      'snapshot 3',
      'snapshot 4',
    ]);
  });

  it('ends the stream within one check period once its session is no longer valid, and stops its subscription', async () => {
    const { feed } = countingFeed(null);
    let valid = true;
    const reader = sseResponse(feed, new AbortController().signal, {
      sessionValid: async () => valid,
      sessionCheckMs: 2_000,
    }).body?.getReader();
    await vi.advanceTimersByTimeAsync(4_100);
    expect(feed.subscriberCount).toBe(1);
    valid = false;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(feed.subscriberCount).toBe(0);
    let text = '';
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    expect(text).toContain('event: snapshot');
    expect(text.trim().split('\n\n').at(-1)).toMatch(/^event: session-ended\ndata: \{"message":"Your session ended/);
  });

  it('treats a failing session check as an ended session', async () => {
    const { feed } = countingFeed(null);
    sseResponse(feed, new AbortController().signal, {
      sessionValid: () => Promise.reject(new Error('db gone')),
      sessionCheckMs: 1_000,
    });
    await vi.advanceTimersByTimeAsync(1_100);
    expect(feed.subscriberCount).toBe(0);
  });

  it('lets go of a client that stopped reading (the runtime never cancelled): the feed stops, the slot comes back once', async () => {
    const { feed } = countingFeed(null);
    let closes = 0;
    sseResponse(feed, new AbortController().signal, {
      onClose: () => void closes++,
      livenessCheckMs: 1_000,
      stalledMessages: 5,
    });
    await vi.advanceTimersByTimeAsync(2_100);
    expect(feed.subscriberCount).toBe(1); // 5 messages unread: not yet
    await vi.advanceTimersByTimeAsync(2_000);
    expect(feed.subscriberCount).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(closes).toBe(1);
  });

  it('ends within one check when the request is aborted, even if no abort event reaches it', async () => {
    const { feed } = countingFeed(null);
    const aborted = new AbortController();
    let closes = 0;
    // A signal whose listeners are never called, as a busy runtime may leave it: only its state says it is aborted.
    const quiet = {
      get aborted() {
        return aborted.signal.aborted;
      },
      addEventListener: () => {},
    } as unknown as AbortSignal;
    sseResponse(feed, quiet, { onClose: () => void closes++, livenessCheckMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_100);
    expect(feed.subscriberCount).toBe(1);
    aborted.abort();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(feed.subscriberCount).toBe(0);
    expect(closes).toBe(1);
  });

  it('keeps a client that reads, however long it stays', async () => {
    const { feed } = countingFeed(null);
    let closes = 0;
    const reader = sseResponse(feed, new AbortController().signal, {
      onClose: () => void closes++,
      livenessCheckMs: 1_000,
      stalledMessages: 5,
    }).body?.getReader();
    for (let i = 0; i < 40; i++) {
      await vi.advanceTimersByTimeAsync(500);
      await reader?.read();
    }
    expect(feed.subscriberCount).toBe(1);
    expect(closes).toBe(0);
    await reader?.cancel();
    expect(feed.subscriberCount).toBe(0);
    expect(closes).toBe(1);
  });
});
