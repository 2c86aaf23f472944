// Benchmarks for issues 2 and 10, against a sandbox of their own (port 8796, net 50), every etcd and
// API-server call going through Quorum's SSH tunnels to the twin's masters:
//  (c) first observation of prod by a dashboard that just started: SSH connections and forwards set up
//      (target < 2 s), once with a new key (published in each master's metadata, taken up by its guest
//      agent) and once as after a restart (key published, host keys pinned);
//  (b) warm observation of prod through the tunnels (median of 30; target < 150 ms);
//  (a) time from instances.stop of a prod replica to the dashboard's live feed reporting it unhealthy
//      (median of 5; target < 1.5 s) — the same feed the SSE route relays to open pages.
// Run: npm run bench   (prints numbers; it is not a test and asserts nothing)
import { startSandbox } from '../tests/support/sandbox-process';

const PORT = 8796;
process.env.QUORUM_PROVIDER = 'sandbox';
process.env.SANDBOX_PORT = String(PORT);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main() {
  console.log('Starting a sandbox for the benchmark (seeding takes a little while)…');
  const sandbox = await startSandbox({ port: PORT, net: 50, dataDir: '.quorum-bench' });
  try {
    const { observeCluster } = await import('../lib/server/services/observe-cluster');
    const { clusterFeed } = await import('../lib/server/views');
    const prod = { project: 'sandbox-project', region: 'europe-west1', masterName: 'prod-master' };

    // (c) first observation of a dashboard that just started, with its own (empty) data dir: a new key.
    const { createContainer } = await import('../lib/server/container');
    const { parseEnv } = await import('../lib/server/env');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const freshDir = mkdtempSync(join(tmpdir(), 'quorum-bench-first-'));
    const allAnswered = (t: Awaited<ReturnType<typeof observeCluster>>) =>
      t.replicas.every((r) => r.etcd.main.ok && r.etcd.events.ok && r.apiServer.ready === true);
    const firstObservation = async (): Promise<{ ms: number; complete: boolean }> => {
      const c = createContainer(parseEnv({ ...process.env, QUORUM_DATA_DIR: freshDir }));
      try {
        const t0 = performance.now();
        const t = await observeCluster(prod, c);
        return { ms: performance.now() - t0, complete: allAnswered(t) };
      } finally {
        await c.close();
      }
    };
    const firstNewKey = await firstObservation();
    const firstRestart = await firstObservation();
    rmSync(freshDir, { recursive: true, force: true });

    // (b) full observation of prod. An observation makes four Compute calls: back to back, observations would
    // exceed the project's Compute API budget (QUORUM_COMPUTE_RATE_PER_SECOND, default 20/s) and wait for it,
    // which is not what (b) measures; so each starts with two observations' worth of tokens in the bucket.
    const { container } = await import('../lib/server/container');
    const budget = container().computeBudget;
    const untilBudget = async () => {
      while (budget.state(prod.project).tokens < 8) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const callsWaited = () => budget.snapshot().find((b) => b.project === prod.project)?.waited ?? 0;
    for (let i = 0; i < 3; i++) await observeCluster(prod); // warm clients and TLS sessions
    const observe: number[] = [];
    const waitedAtStart = callsWaited();
    for (let i = 0; i < 30; i++) {
      await untilBudget();
      const t0 = performance.now();
      await observeCluster(prod);
      observe.push(performance.now() - t0);
    }
    const waitedAfterB = callsWaited();

    // (a) stop -> unhealthy on the live feed
    const { createGceClients, closeGceClients } = await import('../lib/adapters/gce/gce-compute');
    const { operationOf, waitForOperation } = await import('../lib/adapters/gce/gce-operations');
    const gce = createGceClients({ kind: 'sandbox', port: PORT });
    const request = (instance: string, zone: string) => ({ project: 'sandbox-project', zone, instance });
    const feed = clusterFeed(prod);
    let latest: Awaited<ReturnType<typeof observeCluster>> | undefined;
    let health: Record<string, string> = {};
    const waiters = new Set<() => void>();
    const unsubscribe = feed.subscribe((message) => {
      if (message.kind !== 'data') return;
      latest = message.data.topology;
      health = message.data.assessment.replicaHealth;
      for (const wake of waiters) wake();
    });
    const until = (predicate: () => boolean, timeoutMs: number) =>
      new Promise<void>((resolve, reject) => {
        if (predicate()) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error('timed out'));
        }, timeoutMs);
        const check = () => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    await until(
      () => latest !== undefined && Object.values(health).filter((h) => h === 'healthy').length === 3,
      60_000,
    );
    const detect: number[] = [];
    for (let run = 0; run < 5; run++) {
      const victim = latest?.replicas[run % 3];
      if (!victim) throw new Error('no prod replica');
      const t0 = performance.now();
      const stop = operationOf(await gce.instances.stop(request(victim.name, victim.zone)));
      await until(() => health[victim.name] === 'unhealthy', 30_000);
      detect.push(performance.now() - t0);
      await waitForOperation(gce, 'sandbox-project', stop, 60_000);
      await waitForOperation(
        gce,
        'sandbox-project',
        operationOf(await gce.instances.start(request(victim.name, victim.zone))),
        60_000,
      );
      await until(() => Object.values(health).filter((h) => h === 'healthy').length === 3, 60_000);
    }
    unsubscribe();
    await closeGceClients(gce);

    console.log('');
    const answered = (r: { complete: boolean }) => (r.complete ? 'every probe answered' : 'NOT every probe answered');
    console.log(
      `(c) first observation after the dashboard starts (tunnels set up), target < 2000 ms: new key ${fmt(firstNewKey.ms)} (${answered(firstNewKey)}); key in place, as after a restart ${fmt(firstRestart.ms)} (${answered(firstRestart)})`,
    );
    console.log(
      `(b) warm observation of prod through the tunnels: median ${fmt(median(observe))} over 30 runs (target < 150 ms); min ${fmt(Math.min(...observe))}, max ${fmt(Math.max(...observe))}; Compute calls that waited for the budget: ${waitedAfterB - waitedAtStart}`,
    );
    console.log(
      `(a) instances.stop -> dashboard reports unhealthy: median ${fmt(median(detect))} over 5 runs (target < 1500 ms); runs: ${detect.map(fmt).join(', ')}`,
    );
  } finally {
    await sandbox.stop();
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
