// The Compute API budget against the real sandbox (issue 5): many observers of the sandbox's clusters at once, a
// tiny configured rate, and the Compute requests counted where they leave the dashboard, by an HTTP proxy in
// front of the emulator that knows nothing of the limiter. The rate holds, and the observations still succeed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterRef, Topology } from '@/lib/core/topology';
import type { Container } from '@/lib/server/container';
import { observeCluster } from '@/lib/server/services/observe-cluster';
import { refreshPace } from '@/lib/server/views';
import { PROD, PROJECT, sandboxPort, STAGING, testContainer } from './support';

const RATE = 5;
const BURST = 5;

/** Relays every request to the sandbox and notes when each Compute API request arrived. */
async function countingProxy(target: number) {
  const arrivals: number[] = [];
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/compute/v1/')) arrivals.push(performance.now());
    const upstream = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
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
  c = testContainer({ SANDBOX_PORT: String(proxy.port), QUORUM_COMPUTE_RATE_PER_SECOND: String(RATE), QUORUM_COMPUTE_BURST: String(BURST) });
});

afterAll(async () => {
  await c.close();
  await proxy.close();
});

describe('Compute API budget', () => {
  it(`keeps many concurrent observers under ${RATE} Compute requests per second, and every observation succeeds`, async () => {
    const runForMs = 10_000;
    const started = performance.now();
    const observed: Array<{ ref: ClusterRef; topology: Topology }> = [];
    const failures: unknown[] = [];
    const slowedPaces: Array<ReturnType<typeof refreshPace>> = [];

    // Three observers per cluster, each starting its next observation as soon as the last one ended: unthrottled
    // they would make well over a hundred Compute requests a second (four per observation).
    const observer = async (ref: ClusterRef) => {
      while (performance.now() - started < runForMs) {
        try {
          observed.push({ ref, topology: await observeCluster(ref, c) });
        } catch (error) {
          failures.push(error);
        }
        const pace = refreshPace([PROJECT], 500, c);
        if (pace.slowedBy) slowedPaces.push(pace);
      }
    };
    await Promise.all([PROD, STAGING].flatMap((ref) => [observer(ref), observer(ref), observer(ref)]));

    expect(failures).toEqual([]);
    expect(observed.length).toBeGreaterThanOrEqual(6);
    for (const { ref, topology } of observed) {
      expect(topology.replicas).toHaveLength(ref === PROD ? 3 : 1);
      expect(topology.replicas.every((r) => r.vmStatus === 'RUNNING')).toBe(true);
    }

    const arrivals = proxy.arrivals.filter((t) => t >= started);
    const span = (Math.max(...arrivals) - started) / 1_000;
    // In any one second no more than a full bucket plus a second's refill. A request leaves a few ms after its
    // token is granted, so a window may catch requests granted up to that much earlier: a quarter second is allowed.
    for (const from of arrivals) {
      const inWindow = arrivals.filter((t) => t >= from && t < from + 1_000).length;
      expect(inWindow).toBeLessThanOrEqual(BURST + RATE * 1.25);
    }
    // Over the whole run: the burst plus the rate, and no more; and the observers did use the budget up.
    expect(arrivals.length).toBeLessThanOrEqual(BURST + RATE * span + 1);
    expect(arrivals.length).toBeGreaterThanOrEqual(0.8 * (BURST + RATE * span));

    const [budget] = c.computeBudget.snapshot();
    expect(budget).toMatchObject({ project: PROJECT, granted: arrivals.length, refused: 0, waiting: 0 });
    expect(budget?.waited).toBeGreaterThan(0);
    // While the observers queued, a live feed of the project would have slowed its refresh, and said why.
    expect(slowedPaces.length).toBeGreaterThan(0);
    for (const pace of slowedPaces) {
      expect(pace).toMatchObject({ baseIntervalMs: 500, slowedBy: { reason: 'compute-budget', project: PROJECT } });
      expect(pace.intervalMs).toBeGreaterThan(500);
    }
  });
});
