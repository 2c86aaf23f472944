// Issue 4's write-safety benchmark, against a sandbox of its own (port 8793, net 63, a temporary data dir):
// the two recoveries of issue 4 run on prod through Quorum's own operations (startClusterOperation: a fresh
// observation, the planner, the journal, and this process's runner with the real step executors) while the
// write-safety writer (tests/support/write-safety.ts) puts sequential keys into prod's etcd main. Afterwards
// every acknowledged key must read back, from the cluster and from each member's own copy.
//
//   A "etcd killed": etcd main and events killed on a prod replica (the etcd main leader, BENCH_VICTIM=follower
//     for a follower); once the dashboard classifies it, replace-replica { name } puts a new replica in its zone.
//   B "zone down": europe-west1-c taken down (every VM there frozen); once the dashboard reads the zone
//     unreachable, replace-replica { name: <the c replica>, zone: europe-west1-b }; then the zone comes back
//     and rebalance {} adds a replica in -c again and removes one of the pair in -b.
//
// The writer starts on the endpoint of the replica the scenario breaks (as that replica's API server would,
// but able to fail over), so the fault meets writes in flight; it reads the endpoints from Compute again
// after a connection failure or a time-out (1 s per attempt), so the replacement is picked up.
//
// Prints per scenario: acknowledged writes, lost (acknowledged but not read back), the longest stall (the
// longest time no write was acknowledged) over the whole run and within each phase (the fault, each
// operation, the zone's return), latency per write (p50, p99, retries included), the operations' durations
// and the whole run's. Exits 1 when any acknowledged write is lost or an operation does not
// succeed. Run: npm run bench:write-safety. BENCH_SCENARIOS=a or =b runs one; BENCH_WRITE_PAUSE_MS (default
// 5) pauses between writes to keep the load modest. The data dir is deleted after a clean run, kept otherwise.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { etcdClientPems } from '../tests/support/etcd-client-pems';
import { instanceChaosPath, postSandboxChaos } from '../tests/support/sandbox-chaos-http';
import { startSandbox } from '../tests/support/sandbox-process';
import {
  formatWriteSafetyReport,
  longestStallWithin,
  startWriter,
  type WriteSafetyReport,
} from '../tests/support/write-safety';
import type { ClusterIntent } from '../lib/core/planner';
import type { ClusterRef, Topology } from '../lib/core/topology';
import type { Container } from '../lib/server/container';

const PORT = 8793;
const NET = 63;
const DATA_DIR = mkdtempSync(path.join(tmpdir(), 'quorum-bench-write-safety-'));
process.env.QUORUM_PROVIDER = 'sandbox';
process.env.SANDBOX_PORT = String(PORT);
process.env.QUORUM_DATA_DIR = DATA_DIR;
process.env.QUORUM_PROJECTS = 'sandbox-project';

const PROD: ClusterRef = { project: 'sandbox-project', region: 'europe-west1', masterName: 'prod-master' };
const DOWN_ZONE = 'europe-west1-c';
const REPLACEMENT_ZONE = 'europe-west1-b';
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'ab').toLowerCase();
const VICTIM_ROLE = process.env.BENCH_VICTIM === 'follower' ? 'follower' : 'leader';
const WRITE_PAUSE_MS = Number(process.env.BENCH_WRITE_PAUSE_MS ?? 5);
/** A put still unanswered after this is tried again (same key); etcd's election timeout here is 1 s. */
const ATTEMPT_TIMEOUT_MS = 1_000;
/** Writes before and after the fault and the recovery, so both edges are measured under way. */
const QUIET_MS = 3_000;
const WAIT_LIMIT_MS = 10 * 60_000;

const seconds = (ms: number) => `${(ms / 1_000).toFixed(1)} s`;
/** A fault's stall begins at the last write acknowledged before it; an operation's own stalls begin while it runs. */
const stallOf = (report: WriteSafetyReport, ph: Phase) =>
  longestStallWithin(report, ph.fromMs, ph.toMs, { inProgress: ph.kind === 'fault' });

type PhaseKind = 'fault' | 'operation' | 'wait';
type Phase = { name: string; kind: PhaseKind; fromMs: number; toMs: number };
type ScenarioResult = { label: string; report: WriteSafetyReport; phases: Phase[]; ok: boolean };
/** Runs `fn` as a named phase of the scenario, timed on the writer's clock. */
type PhaseRunner = <T>(name: string, kind: PhaseKind, fn: () => Promise<T>) => Promise<T>;

async function main(): Promise<number> {
  console.log(
    `Starting a sandbox for the write-safety benchmark (port ${PORT}, net ${NET}, data in ${DATA_DIR}; seeding takes a little while)…`,
  );
  const sandbox = await startSandbox({ port: PORT, net: NET, dataDir: DATA_DIR });
  // Loaded only now: the server modules read process.env (set above) when they load.
  const { container } = await import('../lib/server/container');
  const { observeClusterView } = await import('../lib/server/services/observe-fleet');
  const { startClusterOperation } = await import('../lib/server/services/start-operation');
  const { isTerminalOperationStatus } = await import('../lib/ports/store');
  const { replicaVms } = await import('../tests/support/replica-vms');
  const { TwinEtcdForwards } = await import('../tests/support/twin-forward');
  // The runner startClusterOperation starts is built on this same process-wide container.
  const c: Container = container();
  const results: ScenarioResult[] = [];
  let clean = false;

  const view = () => observeClusterView(PROD, c);
  const healthy = (t: Topology) =>
    t.replicas.length === 3 &&
    t.replicas.every(
      (r) => r.vmStatus === 'RUNNING' && r.etcd.main.ok && r.etcd.events.ok && r.apiServer.ready === true,
    ) &&
    [t.etcd.main, t.etcd.events].every((m) => (m.members ?? []).every((x) => !x.isLearner));

  /** Polls the dashboard's observation until `done` holds; throws after `limitMs`. */
  const until = async (what: string, done: (v: Awaited<ReturnType<typeof view>>) => boolean, limitMs = 120_000) => {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const v = await view().catch(() => null);
      if (v && done(v)) return v;
      if (Date.now() > deadline) throw new Error(`prod: ${what} not seen within ${seconds(limitMs)}`);
      await sleep(500);
    }
  };

  /** Starts the operation (again, while the planner refuses: on a loaded machine a probe may time out) and waits for its end. */
  const runOperation = async (intent: ClusterIntent): Promise<boolean> => {
    const t0 = performance.now();
    let started: Awaited<ReturnType<typeof startClusterOperation>> | null = null;
    for (let tries = 1; ; tries++) {
      started = await startClusterOperation(PROD, intent, 'bench', c);
      if (started.ok || tries >= 5) break;
      console.log(`    ${intent.kind} refused (${started.code}: ${started.message}); trying again in 3 s`);
      await sleep(3_000);
    }
    if (!started.ok) {
      console.log(`    ${JSON.stringify(intent)} refused: ${started.code} ${started.message}`);
      return false;
    }
    const id = started.data.operationId;
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      const op = await c.store.getOperation(id);
      if (op && isTerminalOperationStatus(op.status)) {
        const steps = await c.store.steps(id);
        const failed = steps.find((s) => s.status === 'failed');
        const line = `${JSON.stringify(intent)} ${op.status} in ${seconds(performance.now() - t0)} (${steps.length} steps)${op.status === 'succeeded' ? '' : `: ${op.summary ?? op.error ?? ''}${failed ? ` [${failed.kind}: ${failed.error ?? ''}]` : ''}`}`;
        console.log(`    ${line}`);
        return op.status === 'succeeded';
      }
      if (Date.now() > deadline) {
        console.log(`    ${JSON.stringify(intent)} still ${op?.status ?? '?'} after ${seconds(WAIT_LIMIT_MS)}`);
        return false;
      }
      await sleep(500);
    }
  };

  /** Runs `recover` with the writer going throughout, starting on `victim`'s etcd main endpoint. */
  const withWriter = async (
    label: string,
    victim: string,
    recover: (phase: PhaseRunner) => Promise<boolean>,
  ): Promise<void> => {
    const vms = await replicaVms(c, PROD);
    const first = vms.find((r) => r.name === victim);
    if (!first?.internalIp) throw new Error(`${victim} has no internal IP`);
    // etcd main listens on each replica's own 127.0.0.1 (kube-up): the writer goes in through a relay per
    // replica, as that replica's API server would reach it (tests/support/twin-forward.ts).
    const forwards = new TwinEtcdForwards(NET);
    const preferred = await forwards.endpoint(first.name);
    const endpoints = async () => {
      const all = await forwards.endpoints(
        (await replicaVms(c, PROD)).filter((v) => v.status === 'RUNNING').map((v) => v.name),
      );
      return all.some((e) => e.address === preferred.address)
        ? [preferred, ...all.filter((e) => e.address !== preferred.address)]
        : all;
    };
    console.log(`  writer on, starting at ${victim} (its loopback, through ${preferred.address})`);
    const writer = startWriter({
      endpoints,
      tls: etcdClientPems(first.metadata),
      prefix: `/quorum-bench/write-safety/${label.replace(/\W+/g, '-')}`,
      attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
      pauseMs: WRITE_PAUSE_MS,
    });
    const phases: Phase[] = [];
    const phase: PhaseRunner = async (name, kind, fn) => {
      const fromMs = writer.elapsedMs();
      try {
        return await fn();
      } finally {
        phases.push({ name, kind, fromMs, toMs: writer.elapsedMs() });
      }
    };
    let ok = false;
    try {
      await sleep(QUIET_MS);
      ok = await recover(phase);
      await sleep(QUIET_MS);
    } finally {
      console.log('  writer off; reading every acknowledged key back…');
      const report = await writer.stop().finally(() => forwards.close());
      for (const line of formatWriteSafetyReport(report)) console.log(`    ${line}`);
      for (const ph of phases) {
        console.log(
          `    longest stall during ${ph.name} (${seconds(ph.toMs - ph.fromMs)} from ${seconds(ph.fromMs)}): ${stallOf(report, ph).toFixed(0)} ms`,
        );
      }
      results.push({ label, report, phases, ok });
    }
  };

  try {
    await until('three healthy replicas', (v) => healthy(v.topology), 180_000);

    if (SCENARIOS.includes('a')) {
      const v = await until('three healthy replicas', (x) => healthy(x.topology));
      const leaderId = v.assessment.etcd.main.leaderId;
      const victim = v.topology.replicas.find(
        (r) => (r.etcd.main.ok && r.etcd.main.memberId === leaderId) === (VICTIM_ROLE === 'leader'),
      );
      if (!victim) throw new Error(`no prod ${VICTIM_ROLE}`);
      console.log(
        `\nScenario A "etcd killed": etcd main and events killed on ${victim.name} (${victim.zone}, etcd main ${VICTIM_ROLE}), then replace-replica`,
      );
      await withWriter('etcd killed', victim.name, async (phase) => {
        // As an operator would: recover once the dashboard shows that replica failed and the others fine (the
        // election a killed leader causes is over), rather than be refused for a quorum that is being re-formed.
        await phase('the kill, until the dashboard shows it', 'fault', async () => {
          await postSandboxChaos(PORT, instanceChaosPath(PROD.project, victim.zone, victim.name, 'kill-etcd'), {
            cluster: 'both',
          });
          const t0 = performance.now();
          await until(
            `${victim.name} failed, the others fine`,
            (x) =>
              Object.entries(x.assessment.diagnosis.replicas).every(
                ([name, d]) => (d.primary !== null) === (name === victim.name),
              ),
            60_000,
          );
          console.log(
            `    the dashboard sees ${victim.name} failed and the others fine after ${seconds(performance.now() - t0)}`,
          );
        });
        const replaced = await phase('replace-replica', 'operation', () =>
          runOperation({ kind: 'replace-replica', name: victim.name }),
        );
        if (replaced) await until('three healthy replicas after the replacement', (x) => healthy(x.topology));
        return replaced;
      });
    }

    if (SCENARIOS.includes('b')) {
      const v = await until('three healthy replicas', (x) => healthy(x.topology));
      const inZone = v.topology.replicas.find((r) => r.zone === DOWN_ZONE);
      if (!inZone) throw new Error(`no prod replica in ${DOWN_ZONE}`);
      const role =
        inZone.etcd.main.ok && inZone.etcd.main.memberId === v.assessment.etcd.main.leaderId ? 'leader' : 'follower';
      console.log(
        `\nScenario B "zone down": ${DOWN_ZONE} down (${inZone.name}, etcd main ${role}), replace-replica into ${REPLACEMENT_ZONE}; zone back, rebalance`,
      );
      await withWriter('zone down', inZone.name, async (phase) => {
        let zoneUp = false;
        try {
          await phase(`${DOWN_ZONE} down, until the dashboard reads it unreachable`, 'fault', async () => {
            await postSandboxChaos(PORT, `zones/${DOWN_ZONE}/down`);
            const t0 = performance.now();
            await until(
              `${DOWN_ZONE} unreachable`,
              (x) => x.assessment.diagnosis.zonesUnreachable.some((o) => o.zone === DOWN_ZONE),
              60_000,
            );
            console.log(`    the dashboard reads ${DOWN_ZONE} unreachable after ${seconds(performance.now() - t0)}`);
          });
          const replaced = await phase(`replace-replica into ${REPLACEMENT_ZONE}`, 'operation', () =>
            runOperation({ kind: 'replace-replica', name: inZone.name, zone: REPLACEMENT_ZONE }),
          );
          if (!replaced) return false;
          await phase(`${DOWN_ZONE} up, until prod reads healthy`, 'wait', async () => {
            await postSandboxChaos(PORT, `zones/${DOWN_ZONE}/up`);
            zoneUp = true;
            await until(
              `${DOWN_ZONE} reachable and three healthy replicas`,
              (x) => x.assessment.diagnosis.zonesUnreachable.length === 0 && healthy(x.topology),
            );
          });
          const rebalanced = await phase('rebalance', 'operation', () => runOperation({ kind: 'rebalance' }));
          if (rebalanced) await until('three healthy replicas after the rebalance', (x) => healthy(x.topology));
          return rebalanced;
        } finally {
          if (!zoneUp) await postSandboxChaos(PORT, `zones/${DOWN_ZONE}/up`).catch(() => undefined);
        }
      });
      const after = await view();
      console.log(`    prod now: ${after.topology.replicas.map((r) => `${r.name} (${r.zone})`).join(', ')}`);
    }

    console.log('');
    console.log(
      `write safety on prod, writer throughout (sequential puts, ${WRITE_PAUSE_MS} ms pause, ${ATTEMPT_TIMEOUT_MS} ms per attempt):`,
    );
    console.log(
      `  ${'scenario'.padEnd(14)} ${'acknowledged'.padStart(12)} ${'lost'.padStart(5)} ${'longest stall'.padStart(14)} ${'in operations'.padStart(14)} ${'p99 latency'.padStart(12)} ${'duration'.padStart(9)}  operations`,
    );
    for (const r of results) {
      const inOperations = Math.max(
        0,
        ...r.phases.filter((ph) => ph.kind === 'operation').map((ph) => stallOf(r.report, ph)),
      );
      const row = [
        r.label.padEnd(14),
        String(r.report.acknowledged).padStart(12),
        String(r.report.lost.length).padStart(5),
        `${r.report.longestStall.ms.toFixed(0)} ms`.padStart(14),
        `${inOperations.toFixed(0)} ms`.padStart(14),
        `${r.report.latencyMs.p99.toFixed(0)} ms`.padStart(12),
        seconds(r.report.durationMs).padStart(9),
      ];
      console.log(`  ${row.join(' ')}  ${r.ok ? 'succeeded' : 'NOT all succeeded'}`);
    }
    console.log(
      `  load average (1, 5, 15 min): ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')} on ${availableParallelism()} cores`,
    );
    const lost = results.reduce((n, r) => n + r.report.lost.length, 0);
    clean = lost === 0 && results.every((r) => r.ok);
    if (lost > 0) console.log(`\n${lost} acknowledged write(s) lost.`);
    return clean ? 0 : 1;
  } finally {
    await c.close();
    await sandbox.stop();
    if (clean) rmSync(DATA_DIR, { recursive: true, force: true });
    else console.log(`Data dir kept for its sandbox.log: ${DATA_DIR}`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
