// Issue 12, finding 1 on the real dashboard process (`next start`), its Compute requests counted by an HTTP front
// between it and the sandbox's emulator:
//  - 200 live streams on made-up cluster ids: each answered 404, no Compute request of their own;
//  - one user's streams past QUORUM_STREAMS_PER_USER are refused with 429 before any feed starts;
//  - streams dropped abruptly by their clients leave no feed polling: no Compute request once they are gone;
//  - plan previews past the per-user burst are refused with a retry time (the check comes before any read).
// The add under a flood of streams, which compares two times, is stream-flood.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterId } from '@/lib/core/topology';
import { callServerAction } from '@/tests/support/server-actions';
import {
  madeUpStream,
  openStreamDashboard,
  prodStream,
  sleep,
  type StreamDashboard,
} from '@/tests/support/stream-dashboard';
import { PROD } from '../integration/support';

const APP_PORT = Number(process.env.QUORUM_SYS_STREAM_LIMITS_APP_PORT ?? 3106);
let dash: StreamDashboard | undefined;

beforeAll(async () => {
  dash = await openStreamDashboard(APP_PORT, 'stream-limits');
}, 120_000);

afterAll(async () => {
  await dash?.close();
});

function opened(): StreamDashboard {
  if (!dash) throw new Error('no dashboard');
  return dash;
}

/** Waits until no Compute request was made for 3 s in a row (30 s at most). */
async function computeQuiet(d: StreamDashboard): Promise<void> {
  let settled = d.computeRequests();
  for (let quiet = 0, waited = 0; quiet < 3 && waited < 30; waited++) {
    await sleep(1_000);
    quiet = d.computeRequests() === settled ? quiet + 1 : 0;
    settled = d.computeRequests();
  }
}

describe('live streams and previews are limited before they cost anything', () => {
  it('200 streams on made-up ids: every one 404, no feed started and no Compute request, after one legitimate look at prod', async () => {
    const d = opened();
    // Twice: the first look publishes Quorum's SSH key into prod's metadata, a change of Quorum's own that makes the
    // next read of the project's snapshot go to Compute; the second reads it. Then no Compute request for 3 s.
    for (let i = 0; i < 2; i++) {
      const look = await fetch(`${d.base}/api/clusters/${encodeURIComponent(clusterId(PROD))}`, {
        headers: { cookie: d.cookie },
      });
      expect(look.status).toBe(200);
      await computeQuiet(d);
    }
    const before = d.computeRequests();
    const aborts = Array.from({ length: 200 }, () => new AbortController());
    const statuses = await Promise.all(aborts.map((a, i) => d.stream(madeUpStream(i), a.signal)));
    expect(statuses.filter((s) => s !== 404)).toEqual([]);
    expect(d.computeRequests() - before).toBe(0);
  });

  it("one user's streams past the cap are refused with 429; 30 streams dropped abruptly leave no feed polling after 10 s", async () => {
    const d = opened();
    const cap = 12;
    const aborts = Array.from({ length: cap + 3 }, () => new AbortController());
    const streams = aborts.map((a) => d.openStream(prodStream, a.signal));
    // The cap's worth are open, the rest refused at once.
    const statuses = await Promise.all(streams.map((o) => o.status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(cap);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    const answer = await fetch(`${d.base}${prodStream}`, { headers: { cookie: d.cookie } });
    expect(answer.status).toBe(429);
    expect(await answer.json()).toMatchObject({ code: 'TooManyStreams', retryAfterSeconds: 5 });

    // Every client drops its stream at once; within a few seconds nothing polls Compute for them any more.
    await sleep(6_000);
    for (const a of aborts) a.abort();
    await Promise.all(streams.map((o) => o.done));
    // Two more rounds, 30 abrupt drops in all, each in the middle of the feed's observations. The server sees the
    // drops of a round within 2 s and gives their slots back, so each round is served in full.
    for (const n of [12, 6]) {
      await sleep(3_000);
      const more = Array.from({ length: n }, () => new AbortController());
      const round = more.map((a) => d.openStream(prodStream, a.signal));
      expect(await Promise.all(round.map((o) => o.status))).toEqual(Array<number>(n).fill(200));
      await sleep(2_000);
      for (const a of more) a.abort();
      await Promise.all(round.map((o) => o.done));
    }
    await sleep(10_000);
    const before = d.computeRequests();
    await sleep(12_000);
    expect(d.computeRequests() - before).toBe(0);
    // And the slots are back.
    const again = new AbortController();
    const back = d.stream(prodStream, again.signal);
    await sleep(1_000);
    again.abort();
    expect(await back).toBe(200);
  });

  it('plan previews past the per-user burst are refused with a retry time (30 at once: at most the burst of 10 served)', async () => {
    const d = opened();
    const preview = () =>
      callServerAction(d.base, d.cookie, 'previewPlanAction', {
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
