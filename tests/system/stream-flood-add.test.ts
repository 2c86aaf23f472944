// Issue 12, finding 1 on the real dashboard process (`next start`), its Compute requests counted by an HTTP front
// between it and the sandbox's emulator: 200 live streams on made-up cluster ids, reconnecting as EventSource does,
// during an operator's add: none is served, none reaches Compute, and the add takes as long as the same add without
// them (both in this run, their times printed). On prod (3 -> 4 -> 3): staging has one replica, and its 1 -> 2 add is
// refused as unsafe. It compares two times, so scripts/test.sh runs it alone on the machine.
import { describe, expect, it } from 'vitest';
import { floodDashboard, madeUp, sleep } from '@/tests/support/flood-dashboard';
import { operationEnded } from '@/tests/support/journaled-operations';
import { PROD, replicaVms } from '../integration/support';

const h = floodDashboard(Number(process.env.QUORUM_SYS_FLOOD_APP_PORT ?? 3104));

/** Where an operation's time went: each step's seconds, and its warnings (a retry says why it waited). */
async function timeline(opId: string): Promise<string> {
  const seconds = (s: { startedAt: string | null; endedAt: string | null }) =>
    s.startedAt && s.endedAt ? ((Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000).toFixed(1) : '?';
  const steps = (await h.store.steps(opId)).map((s) => `${s.kind} ${seconds(s)} s`);
  const warnings = (await h.store.logs(opId)).filter((l) => l.level !== 'info').map((l) => `${l.at} ${l.message}`);
  return [steps.join(', '), ...warnings].join('\n  ');
}

/** An add on prod in europe-west1-d, then the removal of what it made: how long the add took, start to end. */
async function addAndRemove(): Promise<{ ms: number; computeRequests: number; steps: string }> {
  const before = (await replicaVms(h.c, PROD)).map((r) => r.name);
  const mark = h.computeRequests();
  const t0 = Date.now();
  const addId = await h.startOperation({ kind: 'add-replica', zone: 'europe-west1-d' });
  const added = await operationEnded(h.store, addId, 300_000, 250);
  const ms = Date.now() - t0;
  const requests = h.computeRequests() - mark;
  const steps = await timeline(addId);
  expect(added.summary).toMatch(/^Succeeded/);
  const made = (await replicaVms(h.c, PROD)).filter((r) => !before.includes(r.name));
  expect(made).toHaveLength(1);
  const removed = await operationEnded(
    h.store,
    await h.startOperation({ kind: 'remove-replica', zone: 'europe-west1-d', name: made[0]?.name }),
    300_000,
    250,
  );
  expect(removed.summary).toMatch(/^Succeeded/);
  return { ms, computeRequests: requests, steps };
}

describe('live streams cannot starve operators', () => {
  it("the same flood, reconnecting, during an operator's add: none served, none reaching Compute, and the add as fast as without it", async () => {
    // Signed in and at home in prod (Quorum's key in its metadata) before either add is timed.
    await h.startSignedIn();
    await h.lookAtProd();
    const alone = await addAndRemove();

    // 200 clients on made-up ids, each opening its stream again 3 s after it ends (EventSource's reconnection).
    let flooding = true;
    const answers = new Map<number, number>();
    const flooders = Array.from({ length: 200 }, async (_, i) => {
      while (flooding) {
        const status = await h.stream(madeUp(i), new AbortController().signal);
        answers.set(status, (answers.get(status) ?? 0) + 1);
        await sleep(3_000);
      }
    });
    const floodRequestsBefore = h.front.urls.filter((r) => r.includes('flood')).length;
    let flooded: Awaited<ReturnType<typeof addAndRemove>>;
    try {
      flooded = await addAndRemove();
    } finally {
      flooding = false;
      await Promise.all(flooders);
    }
    console.log(
      `add on prod alone: ${alone.ms} ms, ${alone.computeRequests} Compute requests; with 200 made-up streams reconnecting: ${flooded.ms} ms, ` +
        `${flooded.computeRequests} Compute requests; the streams' answers: ${JSON.stringify(Object.fromEntries(answers))}\n` +
        `alone: ${alone.steps}\nflooded: ${flooded.steps}`,
    );
    // Every answer a 404 (a stream-cap refusal would be the other acceptable one); none of them a stream.
    expect([...answers.keys()].filter((s) => s !== 404 && s !== 429)).toEqual([]);
    expect([...answers.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(200);
    // No Compute request names a made-up cluster (in its path or a list's filter), and the add made no more requests than alone, give or take its
    // own polling of Compute's Operations.
    expect(h.front.urls.filter((r) => r.includes('flood')).length - floodRequestsBefore).toBe(0);
    expect(flooded.computeRequests).toBeLessThanOrEqual(alone.computeRequests * 1.5 + 20);
    // The add takes the time it takes: within half again of the same add alone (plus 10 s for the 2 cores).
    expect(flooded.ms).toBeLessThanOrEqual(alone.ms * 1.5 + 10_000);
  });
});
