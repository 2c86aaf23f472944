// Issue 12, finding 1 on the real dashboard process (`next start`), its Compute requests counted by an HTTP front
// between it and the sandbox's emulator:
//  - 200 live streams on made-up cluster ids: each answered 404, no Compute request of their own;
//  - one user's streams past QUORUM_STREAMS_PER_USER are refused with 429 before any feed starts;
//  - streams dropped abruptly by their clients leave no feed polling: no Compute request once they are gone;
//  - plan previews past the per-user burst are refused with a retry time (the check comes before any read).
// The same flood during an operator's add, timed against the same add without it, is stream-flood-add.test.ts,
// run alone on the machine (scripts/test.sh).
import { describe, expect, it } from 'vitest';
import { clusterId } from '@/lib/core/topology';
import { floodDashboard, madeUp, prodStream, sleep } from '@/tests/support/flood-dashboard';
import { callServerAction } from '@/tests/support/server-actions';
import { PROD } from '../integration/support';

const h = floodDashboard(Number(process.env.QUORUM_SYS_FLOOD_APP_PORT ?? 3104));

describe('live streams cannot starve operators', () => {
  it('200 streams on made-up ids: every one 404, no feed started and no Compute request, after one legitimate look at prod', async () => {
    await h.startSignedIn();
    await h.lookAtProd();
    const before = h.computeRequests();
    const aborts = Array.from({ length: 200 }, () => new AbortController());
    const statuses = await Promise.all(aborts.map((a, i) => h.stream(madeUp(i), a.signal)));
    expect(statuses.filter((s) => s !== 404)).toEqual([]);
    expect(h.computeRequests() - before).toBe(0);
  });

  it("one user's streams past the cap are refused with 429; 30 streams dropped abruptly leave no feed polling after 10 s", async () => {
    if (!h.started) await h.startSignedIn();
    const cap = 12;
    const aborts = Array.from({ length: cap + 3 }, () => new AbortController());
    const opened = aborts.map((a) => h.openStream(prodStream, a.signal));
    // The cap's worth are open, the rest refused at once.
    const statuses = await Promise.all(opened.map((o) => o.status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(cap);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    const answer = await fetch(`${h.base}${prodStream}`, { headers: { cookie: h.cookie } });
    expect(answer.status).toBe(429);
    expect(await answer.json()).toMatchObject({ code: 'TooManyStreams', retryAfterSeconds: 5 });

    // Every client drops its stream at once; within a few seconds nothing polls Compute for them any more.
    await sleep(6_000);
    for (const a of aborts) a.abort();
    await Promise.all(opened.map((o) => o.done));
    // Two more rounds, 30 abrupt drops in all, each in the middle of the feed's observations. The server sees the
    // drops of a round within 2 s and gives their slots back, so each round is served in full.
    for (const n of [12, 6]) {
      await sleep(3_000);
      const more = Array.from({ length: n }, () => new AbortController());
      const streams = more.map((a) => h.openStream(prodStream, a.signal));
      expect(await Promise.all(streams.map((o) => o.status))).toEqual(Array<number>(n).fill(200));
      await sleep(2_000);
      for (const a of more) a.abort();
      await Promise.all(streams.map((o) => o.done));
    }
    await sleep(10_000);
    const before = h.computeRequests();
    await sleep(12_000);
    expect(h.computeRequests() - before).toBe(0);
    // And the slots are back: the stream is answered 200 (its head waited for, not a fixed second: a loaded machine
    // once took longer, and the abort then read as no answer).
    const again = new AbortController();
    const back = h.openStream(prodStream, again.signal);
    expect(await back.status).toBe(200);
    again.abort();
    await back.done;
  });

  it('plan previews past the per-user burst are refused with a retry time (30 at once: at most the burst of 10 served)', async () => {
    if (!h.started) await h.startSignedIn();
    const preview = () =>
      callServerAction(h.base, h.cookie, 'previewPlanAction', {
        clusterId: clusterId(PROD),
        intent: { kind: 'add-replica', zone: 'europe-west1-d' },
      });
    const t0 = Date.now();
    const results = (await Promise.all(Array.from({ length: 30 }, () => preview()))).map((r) => r.result);
    const seconds = (Date.now() - t0) / 1000;
    const limited = results.filter((r) => r?.code === 'RateLimited');
    const served = results.filter((r) => r?.code !== 'RateLimited');
    // The burst (10), plus what the rate (30 a minute: one every 2 s) gave back while the 30 were answered.
    expect(served.length).toBeGreaterThanOrEqual(10);
    expect(served.length).toBeLessThanOrEqual(10 + Math.ceil(seconds / 2));
    expect(served.filter((r) => r?.ok === true).length).toBeGreaterThan(0);
    for (const r of limited) {
      expect((r as { retryAfterSeconds?: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(r?.message).toMatch(/^Too many plan previews in a short time; try again in \d+ s\.$/);
    }
  });
});
