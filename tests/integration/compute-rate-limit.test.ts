// The Compute API budget against the real sandbox (issues 5 and 11): six live cluster feeds, the fleet feed and a
// running operation on a budget of 5 requests a second, the Compute requests counted where they leave the
// dashboard, by an HTTP proxy in front of the emulator that knows nothing of the limiter. The rate holds; the
// operation's calls never wait behind the feeds' (its lane is measured); the feeds read Compute less often and
// say so, while their etcd and API-server probes keep their sub-second cadence; nothing fails.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RefreshPace } from '@/lib/core/rate-limit';
import { clusterId, type ClusterRef } from '@/lib/core/topology';
import type { ClusterView, FleetView } from '@/lib/core/view';
import { systemClock } from '@/lib/ports/clock';
import type { Container } from '@/lib/server/container';
import { describeError } from '@/lib/server/describe-error';
import { Feed, type FeedMessage } from '@/lib/server/live/feed';
import { createRunner } from '@/lib/server/operations/runner';
import { inOperationLanes } from '@/lib/server/operations/runtime';
import { createStepCompensations, createStepExecutors } from '@/lib/server/operations/steps';
import { observeClusterView, observeFleet } from '@/lib/server/services/observe-fleet';
import { LIVE_INTERVAL_MS, refreshPace } from '@/lib/server/views';
import { PROD, PROJECT, sandboxPort, sleep, STAGING, testContainer, warmUpAccess } from './support';

const RATE = 5;
const BURST = 5;

/** Relays every request to the sandbox and notes when each Compute API request arrived. */
async function countingProxy(target: number) {
  const arrivals: number[] = [];
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/compute/v1/')) arrivals.push(performance.now());
    const upstream = http.request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    arrivals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let proxy: Awaited<ReturnType<typeof countingProxy>>;
let c: Container;

beforeAll(async () => {
  proxy = await countingProxy(sandboxPort());
  c = testContainer({
    SANDBOX_PORT: String(proxy.port),
    QUORUM_COMPUTE_RATE_PER_SECOND: String(RATE),
    QUORUM_COMPUTE_BURST: String(BURST),
    QUORUM_COMPUTE_OPERATION_SHARE: '0.4',
    // Compute read for the live views every half second: more than the feeds' 3/s lane allows, so they must slow.
    QUORUM_COMPUTE_REFRESH_MS: '500',
  });
  // Quorum's SSH key published and host keys pinned before the clock starts: access set-up is not what is measured.
  await warmUpAccess(c);
}, 90_000);

afterAll(async () => {
  await c.close();
  await proxy.close();
});

/** A verify-only operation on staging, run by the real runner with the real step executors, each step in the operation lane. */
async function runVerifyOperation(steps: number) {
  const op = await c.store.createOperation({
    clusterId: clusterId(STAGING),
    kind: 'verify',
    intent: { kind: 'verify' },
    plan: {
      steps: Array.from({ length: steps }, (_, i) => ({
        id: `check-${i}:verify`,
        kind: 'verify',
        title: `Check ${i + 1}`,
        params: {},
      })),
    },
    actor: 'integration-test',
  });
  const runner = createRunner({
    store: c.store,
    clock: systemClock,
    executors: inOperationLanes(createStepExecutors(c)),
    compensations: inOperationLanes(createStepCompensations(c)),
    log: () => {},
  });
  return runner.start(op.id);
}

describe('Compute API budget', () => {
  it(`keeps six cluster feeds, the fleet and an operation under ${RATE} Compute requests per second; the operation never waits behind the feeds`, async () => {
    const runForMs = 8_000;
    const clusterMessages = new Map<number, Array<FeedMessage<ClusterView>>>();
    const fleetMessages: Array<FeedMessage<FleetView>> = [];
    const unsubscribe: Array<() => void> = [];
    const started = performance.now();

    // The feeds the cluster and fleet pages subscribe to, three per cluster (each its own loop, as if on separate keys).
    [PROD, STAGING, PROD, STAGING, PROD, STAGING].forEach((ref: ClusterRef, i) => {
      const feed = new Feed(
        () => observeClusterView(ref, c),
        LIVE_INTERVAL_MS,
        describeError,
        () => refreshPace([ref.project], LIVE_INTERVAL_MS, c),
      );
      clusterMessages.set(i, []);
      unsubscribe.push(feed.subscribe((m) => clusterMessages.get(i)?.push(m)));
    });
    const fleet = new Feed(
      () => observeFleet(c),
      LIVE_INTERVAL_MS * 2,
      describeError,
      () => refreshPace([PROJECT], LIVE_INTERVAL_MS * 2, c),
    );
    unsubscribe.push(fleet.subscribe((m) => fleetMessages.push(m)));

    // The operation starts once the feeds have used the budget up.
    await sleep(1_500);
    const operation = await runVerifyOperation(6);
    const elapsed = performance.now() - started;
    if (elapsed < runForMs) await sleep(runForMs - elapsed);
    for (const stop of unsubscribe) stop();
    const ended = performance.now();

    // Nothing failed: the operation succeeded and every observation of every feed arrived.
    expect(operation.status).toBe('succeeded');
    const all = [...[...clusterMessages.values()].flat(), ...fleetMessages];
    expect(all.filter((m) => m.kind === 'error')).toEqual([]);
    for (const [i, messages] of clusterMessages) {
      const replicas = i % 2 === 0 ? 3 : 1;
      for (const m of messages) if (m.kind === 'data') expect(m.data.topology.replicas).toHaveLength(replicas);
    }

    // Compute was read per project, not per observation: the six feeds observed (probed) far more often than the
    // project's snapshot was read, and each feed kept observing.
    const refreshes = c.computeSnapshots.refreshes.get(PROJECT) ?? 0;
    const observations = [...clusterMessages.values()].reduce((sum, m) => sum + m.length, 0);
    expect(refreshes).toBeGreaterThan(0);
    expect(observations).toBeGreaterThan(2 * refreshes);
    for (const messages of clusterMessages.values()) expect(messages.length).toBeGreaterThanOrEqual(3);
    expect(fleetMessages.length).toBeGreaterThanOrEqual(3);

    // The feeds slowed their Compute reads, and said so.
    const slowed = all.map((m) => m.refresh).filter((r): r is RefreshPace => r?.slowedBy != null);
    expect(slowed.length).toBeGreaterThan(0);
    for (const pace of slowed) {
      expect(pace.slowedBy).toEqual({ reason: 'compute-budget', project: PROJECT });
      expect(pace.compute?.intervalMs).toBeGreaterThan(500);
    }

    // The operation's calls: measured in its own lane, never queued behind the feeds. Its lane (40%: 2/s, 2 at once)
    // may make one of its own calls wait for the lane to refill, never for a feed's.
    const [budget] = c.computeBudget.snapshot();
    expect(budget?.lanes.operation.granted).toBeGreaterThanOrEqual(6);
    expect(budget?.lanes.operation.maxWaitMs).toBeLessThan(1_000);
    expect(budget?.lanes.observe.waited).toBeGreaterThan(0);
    expect(budget).toMatchObject({ project: PROJECT, refused: 0 });

    // The rate holds. In any one second no more than a full bucket plus a second's refill; a request leaves a few ms
    // after its token is granted, so a window may catch requests granted up to that much earlier (a quarter second).
    const arrivals = proxy.arrivals.filter((t) => t >= started && t <= ended);
    for (const from of arrivals) {
      const inWindow = arrivals.filter((t) => t >= from && t < from + 1_000).length;
      expect(inWindow).toBeLessThanOrEqual(BURST + RATE * 1.25);
    }
    const span = (ended - started) / 1_000;
    expect(arrivals.length).toBeLessThanOrEqual(BURST + RATE * span + 1);
  }, 60_000);
});
