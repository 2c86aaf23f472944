import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RefreshPace } from '@/lib/core/rate-limit';
import { Feed, sseResponse, type FeedMessage } from './feed';

const base: RefreshPace = { intervalMs: 500, baseIntervalMs: 500, slowedBy: null };
const slowed = (intervalMs: number): RefreshPace => ({ intervalMs, baseIntervalMs: 500, slowedBy: { reason: 'compute-budget', project: 'p-one' } });

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
});
