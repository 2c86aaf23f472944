import { describe, expect, it } from 'vitest';
import { Feed } from './feed';
import { slottedStream, streamSlots, StreamSlots, tooManyStreams } from './stream-slots';

describe('StreamSlots', () => {
  it('gives each user up to the cap, refuses past it, and takes slots back once each', () => {
    const slots = new StreamSlots(2);
    const a = slots.acquire('alice');
    const b = slots.acquire('alice');
    expect(a && b).toBeTruthy();
    expect(slots.acquire('alice')).toBeNull();
    expect(slots.acquire('bob')).not.toBeNull();
    a?.release();
    a?.release(); // a second release gives nothing back twice
    expect(slots.heldBy('alice')).toBe(1);
    expect(slots.acquire('alice')).not.toBeNull();
    expect(slots.acquire('alice')).toBeNull();
  });

  it('answers a stream past the cap with 429, the typed code, words and Retry-After', async () => {
    const res = tooManyStreams(12);
    expect(res.status).toBe(429);
    expect(res.headers.get('Retry-After')).toBe('5');
    expect(await res.json()).toEqual({
      code: 'TooManyStreams',
      message: expect.stringContaining('12 live views open already') as unknown,
      retryAfterSeconds: 5,
    });
  });

  it('slottedStream: past the cap a 429 and no feed looked up; a stream that ends gives its slot back', async () => {
    const user = `streams-${Math.random()}`;
    const cap = streamSlots().perUser;
    const feed = new Feed(async () => 1, 60_000, String);
    const aborts = Array.from({ length: cap }, () => new AbortController());
    const open = aborts.map((a) => slottedStream(user, () => feed, a.signal));
    expect(open.every((r) => r.status === 200)).toBe(true);
    let looked = false;
    const refused = slottedStream(user, () => ((looked = true), feed), new AbortController().signal);
    expect(refused.status).toBe(429);
    expect(looked).toBe(false);
    aborts[0]?.abort();
    expect(streamSlots().heldBy(user)).toBe(cap - 1);
    expect(slottedStream(user, () => feed, new AbortController().signal).status).toBe(200);
    for (const r of open) await r.body?.cancel();
    expect(streamSlots().heldBy(user)).toBe(1);
  });
});
