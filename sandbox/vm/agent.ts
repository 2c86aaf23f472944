// The VM agent: what a booted sandbox master runs, inside the sandbox process (no process per VM).
// Like a kube-up master's configure-helper it reads kube-env and kube-master-certs from the metadata
// server, writes the certs to the VM's disk, and starts etcd main and events (real etcd processes), an
// API-server stand-in, and the leader election of the master components. A failure inside a VM marks
// it `failed` and is logged; it never escapes into the sandbox process.

import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { APISERVER_PORT } from '../pki/index';
import { startApiServer, type ApiServer } from './apiserver';
import {
  EtcdProcess,
  killStaleEtcd,
  type EtcdCluster,
  type EtcdExit,
  type EtcdLaunch,
  type EtcdClientTlsFiles,
  type EtcdPeerTlsFiles,
} from './etcd-process';
import { LEADER_ELECTED_COMPONENTS } from './kube-objects';
import { startLeaderElection, type LeaderElection } from './leader-election';
import { createLocalEtcd, type LocalEtcd } from './local-etcd';
import { parseMasterConfig, type MasterConfig } from './master-config';
import { createMetadataClient } from './metadata-client';
import { NODE_PREFIX } from './kube-objects';
import type { AgentChaos, ChaosEtcdCluster, VmHost, VmProcessState, VmSpec } from './types';

const DEFAULT_LEASE_DURATION_S = 15;
const NODE_MARK_RETRY_MS = 20_000;

type VmRun = {
  spec: VmSpec;
  state: VmProcessState;
  /** From kube-env once read; groups the replicas of one cluster for an orderly shutdownAll. */
  masterName?: string;
  /** Aborted by shutdown so a boot still waiting on metadata gives up at once. */
  abort: AbortController;
  etcds: EtcdProcess[];
  /** How an etcd's unexpected exit is handled; kept so a restored etcd is watched the same way. */
  onEtcdExit?: (cluster: EtcdCluster) => (exit: EtcdExit) => void;
  /** Chaos: etcds SIGSTOPped, API server held. */
  frozen: boolean;
  /** Restarts of an etcd that exited with an error (the kubelet's back-off). */
  restarts: Partial<Record<EtcdCluster, number>>;
  etcd?: LocalEtcd;
  apiserver?: ApiServer;
  election?: LeaderElection;
};

export function createVmHost(opts: {
  log?: (msg: string) => void;
  /** How long a boot keeps retrying the metadata server before the VM is marked failed (default 10 s). */
  metadataRetryMs?: number;
}): VmHost & AgentChaos & { masterOf(name: string): string | undefined } {
  const baseLog = opts.log ?? ((msg: string) => console.log(`[vm] ${msg}`));
  const runs = new Map<string, VmRun>();
  // boot/shutdown of one VM run one after the other; different VMs proceed in parallel.
  const queues = new Map<string, Promise<void>>();

  function enqueue(name: string, task: () => Promise<void>): Promise<void> {
    const previous = queues.get(name) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    queues.set(name, settled);
    void settled.then(() => {
      if (queues.get(name) === settled) queues.delete(name);
    });
    return settled;
  }

  // If the sandbox exits without shutdownAll (uncaught error, process.exit), do not leave etcds behind.
  const onExit = () => {
    for (const run of runs.values()) for (const etcd of run.etcds) etcd.killNow();
  };
  process.once('exit', onExit);

  async function startRun(run: VmRun): Promise<void> {
    const { spec } = run;
    const log = (msg: string) => baseLog(`${spec.name}: ${msg}`);
    const signal = run.abort.signal;
    const t0 = Date.now();

    const metadata = createMetadataClient({
      metadataUrl: spec.metadataUrl,
      localAddress: spec.internalIp,
      retryForMs: opts.metadataRetryMs,
    });
    const [kubeEnv, masterCerts] = await Promise.all([
      metadata.attribute('kube-env', signal),
      metadata.attribute('kube-master-certs', signal),
    ]);
    const config = parseMasterConfig(kubeEnv, masterCerts, spec.name);
    run.masterName = config.masterName;
    const files = await writePki(spec.diskDir, config);
    signal.throwIfAborted();

    for (const cluster of ['main', 'events'] as const) await killStaleEtcd(spec.diskDir, cluster, log);
    // INITIAL_ETCD_CLUSTER names the members; a replica being added is not in it yet.
    const members = config.initialEtcdCluster.includes(spec.name)
      ? config.initialEtcdCluster
      : [...config.initialEtcdCluster, spec.name];

    const onEtcdExit = (cluster: EtcdCluster) => (exit: EtcdExit) => {
      if (run.state === 'stopped') return;
      run.state = 'failed';
      const how = exit.signal !== null ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
      const file = path.join(spec.diskDir, 'logs', `etcd-${cluster}.log`);
      log(`etcd ${cluster} exited (${how}); VM marked failed, see ${file}`);
      // The disk may be gone soon (a failed add deletes it): say why etcd stopped where it stays readable.
      if (exit.code !== 0 && exit.signal === null) {
        void lastErrorLines(file).then((lines) => lines.forEach((line) => log(`etcd ${cluster}: ${line}`)));
        // etcd is a static pod on a kube-up master: the kubelet starts a container that exits with an error
        // again, backing off. A SIGKILL (chaos kill-etcd) is left dead, as that control promises.
        scheduleEtcdRestart(run, cluster, log);
      }
    };
    run.onEtcdExit = onEtcdExit;
    for (const cluster of ['main', 'events'] as const) {
      const launch: EtcdLaunch = {
        cluster,
        instance: spec.name,
        ip: spec.internalIp,
        diskDir: spec.diskDir,
        initialCluster: members,
        initialClusterState: config.initialEtcdClusterState,
        masterName: config.masterName,
        // Client TLS only on main, and only in the layout that has it.
        tls: { ...files.etcdPeer, client: cluster === 'main' ? files.etcdClient : null },
      };
      const proc = new EtcdProcess(launch, onEtcdExit(cluster));
      run.etcds.push(proc);
      await proc.start();
    }

    const etcdClient = config.pem.etcdApiserver;
    run.etcd = createLocalEtcd({
      ip: '127.0.0.1',
      instance: spec.name,
      tls: etcdClient
        ? { caCert: etcdClient.caCert, clientCert: etcdClient.clientCert, clientKey: etcdClient.clientKey }
        : null,
      quorumReads: config.quorumReads,
    });
    run.apiserver = await startApiServer({
      // Every address of the VM, as kube-apiserver without --bind-address.
      ip: '0.0.0.0',
      port: APISERVER_PORT,
      caCert: config.pem.caCert,
      servingCert: config.pem.servingCert,
      servingKey: config.pem.servingKey,
      bearerToken: config.bearerToken,
      etcd: run.etcd,
      log,
    });
    run.election = startLeaderElection({
      etcd: run.etcd,
      // client-go's default identity is "<hostname>_<uuid>"; the uuid is new on every boot.
      identity: `${spec.name}_${randomUUID()}`,
      leaseDurationS: leaseDurationS(),
      components: LEADER_ELECTED_COMPONENTS,
      log,
    });
    log(
      `booted in ${Date.now() - t0} ms: etcd main ${config.etcdLayout === 'mtls' ? 'https' : 'http'}://127.0.0.1:2379, events http :4002, peers ${spec.internalIp}:2380/2381, ` +
        `API server :${APISERVER_PORT}, quorum reads ${config.quorumReads ? 'on' : 'off'}`,
    );
  }

  /** Stops whatever a run started, in reverse order; never throws. */
  async function stopRun(run: VmRun): Promise<void> {
    const log = (msg: string) => baseLog(`${run.spec.name}: ${msg}`);
    const step = async (what: string, fn: () => Promise<void> | void) => {
      try {
        await fn();
      } catch (err) {
        log(`stopping ${what}: ${errorMessage(err)}`);
      }
    };
    await step('leader election', () => run.election?.stop());
    await step('API server', () => run.apiserver?.close());
    await step('etcd client', () => run.etcd?.close());
    await Promise.all(run.etcds.map((e) => step(`etcd ${e.launch.cluster}`, () => e.stop())));
    run.election = undefined;
    run.apiserver = undefined;
    run.etcd = undefined;
    run.etcds = [];
  }

  async function bootTask(spec: VmSpec): Promise<void> {
    const existing = runs.get(spec.name);
    if (existing && (existing.state === 'running' || existing.state === 'booting')) return;
    if (existing) await stopRun(existing);
    const run: VmRun = { spec, state: 'booting', abort: new AbortController(), etcds: [], frozen: false, restarts: {} };
    runs.set(spec.name, run);
    try {
      await startRun(run);
      // An etcd may already have died during the boot; that verdict stands.
      if (run.state === 'booting') run.state = 'running';
    } catch (err) {
      if (run.abort.signal.aborted) {
        baseLog(`${spec.name}: boot cancelled by shutdown`);
      } else {
        run.state = 'failed';
        baseLog(`${spec.name}: boot failed: ${errorMessage(err)}`);
      }
      await stopRun(run);
      if (run.abort.signal.aborted) run.state = 'stopped';
    }
  }

  async function shutdownTask(name: string): Promise<void> {
    const run = runs.get(name);
    if (!run) return;
    const hadProcesses = run.etcds.length > 0 || run.apiserver !== undefined;
    // A frozen VM is thawed first, so its processes act on SIGTERM instead of waiting for SIGKILL.
    setFrozen(run, false);
    await stopRun(run);
    run.state = 'stopped';
    if (hadProcesses) baseLog(`${name}: stopped`);
  }

  function setFrozen(run: VmRun, frozen: boolean): void {
    if (run.frozen === frozen) return;
    run.frozen = frozen;
    for (const e of run.etcds) e.pause(frozen);
    run.apiserver?.setFrozen(frozen);
  }

  /** The VM's run when its processes are up (running, or failed after an etcd died); else a chaos refusal. */
  function liveRun(name: string): VmRun {
    const run = runs.get(name);
    if (!run || (run.state !== 'running' && run.state !== 'failed')) {
      throw new ChaosRefusal(`VM ${name} is ${run?.state ?? 'not booted'}: its processes are not running.`);
    }
    return run;
  }

  async function restoreTask(name: string): Promise<void> {
    const run = runs.get(name);
    if (!run || (run.state !== 'running' && run.state !== 'failed')) return;
    setFrozen(run, false);
    const log = (msg: string) => baseLog(`${name}: ${msg}`);
    run.etcds = await Promise.all(
      run.etcds.map(async (old) => {
        if (old.alive || !run.onEtcdExit) return old;
        const fresh = new EtcdProcess(old.launch, run.onEtcdExit(old.launch.cluster));
        await fresh.start();
        log(`etcd ${old.launch.cluster} started again (chaos restore)`);
        return fresh;
      }),
    );
    if (run.state === 'failed' && run.etcds.every((e) => e.alive)) run.state = 'running';
  }

  /** The kubelet's restart of a crashed static pod: 1 s, then doubling up to 30 s; counted per etcd cluster. */
  function scheduleEtcdRestart(run: VmRun, cluster: EtcdCluster, log: (msg: string) => void): void {
    const attempt = (run.restarts[cluster] = (run.restarts[cluster] ?? 0) + 1);
    const delayMs = Math.min(30_000, 1_000 * 2 ** (attempt - 1));
    log(
      `etcd ${cluster}: restarting in ${delayMs / 1000} s (restart ${attempt}, as the kubelet restarts a static pod)`,
    );
    const timer = setTimeout(() => {
      void enqueue(run.spec.name, async () => {
        if (runs.get(run.spec.name) !== run || run.abort.signal.aborted || !run.onEtcdExit) return;
        const index = run.etcds.findIndex((e) => e.launch.cluster === cluster);
        const old = run.etcds[index];
        if (old === undefined || old.alive) return;
        const fresh = new EtcdProcess(old.launch, run.onEtcdExit(cluster));
        run.etcds[index] = fresh;
        await fresh.start();
        if (run.state === 'failed' && run.etcds.every((e) => e.alive)) run.state = 'running';
      });
    }, delayMs);
    timer.unref();
    run.abort.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  }

  /** A Node's Ready condition as the node lifecycle controller writes it when kubelets go silent (or come back). */
  async function setNodesReadyIn(run: VmRun, zone: string, ready: boolean): Promise<number> {
    const client = run.etcd?.client;
    if (!client) return 0;
    const res = await client.getAll().prefix(NODE_PREFIX).exec();
    let changed = 0;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const kv of res.kvs) {
      const node = nodeSchema.safeParse(safeJson(kv.value.toString('utf8')));
      if (!node.success || node.data.metadata.labels?.['topology.kubernetes.io/zone'] !== zone) continue;
      const status = ready ? 'True' : 'Unknown';
      const conditions = (node.data.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
      const previous = node.data.status?.conditions?.find((c) => c.type === 'Ready');
      if (previous?.status === status) continue;
      conditions.push({
        type: 'Ready',
        status,
        reason: ready ? 'KubeletReady' : 'NodeStatusUnknown',
        message: ready ? 'kubelet is posting ready status' : 'Kubelet stopped posting node status.',
        lastHeartbeatTime: ready ? now : (previous?.lastHeartbeatTime ?? now),
        lastTransitionTime: now,
      });
      const updated = { ...node.data, status: { ...node.data.status, conditions } };
      await client.put(kv.key).value(JSON.stringify(updated)).exec();
      changed += 1;
    }
    return changed;
  }

  const host: VmHost & AgentChaos & { masterOf(name: string): string | undefined } = {
    masterOf(name) {
      return runs.get(name)?.masterName;
    },
    boot(spec) {
      return enqueue(spec.name, () => bootTask(spec));
    },
    shutdown(name) {
      const run = runs.get(name);
      if (run) {
        // Mark first so the etcd exit handlers see a deliberate stop, not a failure.
        run.abort.abort();
        if (run.state !== 'failed') run.state = 'stopped';
      }
      return enqueue(name, () => shutdownTask(name));
    },
    async shutdownAll() {
      // Replicas of one cluster stop one after another: when all members get SIGTERM together, the
      // leader's hand-over on shutdown targets a member that is going away too and hangs until SIGKILL.
      // Different clusters stop in parallel.
      const groups = new Map<string, string[]>();
      for (const [name, run] of runs) {
        const key = run.masterName ?? name;
        groups.set(key, [...(groups.get(key) ?? []), name]);
      }
      await Promise.all(
        [...groups.values()].map(async (names) => {
          for (const name of names) await host.shutdown(name);
        }),
      );
    },
    state(name) {
      return runs.get(name)?.state ?? 'stopped';
    },
    async killEtcd(name, clusters) {
      const run = liveRun(name);
      const targets = run.etcds.filter((e) => (clusters as readonly string[]).includes(e.launch.cluster) && e.alive);
      if (targets.length === 0) throw new ChaosRefusal(`VM ${name} runs no etcd ${clusters.join(' or ')} to kill.`);
      baseLog(`${name}: chaos: killing etcd ${targets.map((e) => e.launch.cluster).join(' and ')} (SIGKILL)`);
      await Promise.all(targets.map((e) => e.crash()));
    },
    async freeze(name) {
      const run = liveRun(name);
      if (!run.frozen) baseLog(`${name}: chaos: frozen (etcd SIGSTOP, API server held)`);
      setFrozen(run, true);
    },
    async thaw(name) {
      const run = runs.get(name);
      if (run?.frozen) baseLog(`${name}: chaos: thawed (SIGCONT)`);
      if (run) setFrozen(run, false);
    },
    restore(name) {
      liveRun(name);
      return enqueue(name, () => restoreTask(name));
    },
    describe(name) {
      const run = runs.get(name);
      const etcdState = (cluster: ChaosEtcdCluster) => {
        const e = run?.etcds.find((p) => p.launch.cluster === cluster);
        return e === undefined ? 'absent' : e.alive ? 'running' : 'killed';
      };
      return {
        state: run?.state ?? 'stopped',
        frozen: run?.frozen ?? false,
        etcd: { main: etcdState('main'), events: etcdState('events') },
      };
    },
    async setZoneNodesReady(zone, ready) {
      // One writer per cluster: a running, unfrozen replica outside the zone, as a surviving master.
      const writers = new Map<string, VmRun>();
      for (const run of runs.values()) {
        if (
          run.state !== 'running' ||
          run.frozen ||
          run.spec.zone === zone ||
          !run.masterName ||
          writers.has(run.masterName)
        )
          continue;
        writers.set(run.masterName, run);
      }
      let changed = 0;
      for (const [master, run] of writers) {
        // Freezing a zone that held an etcd leader starts an election: writes fail ("leader changed") until
        // it is over, so keep trying for a while, as the node lifecycle controller would.
        const deadline = Date.now() + NODE_MARK_RETRY_MS;
        for (;;) {
          try {
            changed += await setNodesReadyIn(run, zone, ready);
            break;
          } catch (err) {
            if (Date.now() > deadline || run.state !== 'running') {
              baseLog(
                `${run.spec.name}: chaos: could not mark the nodes of ${zone} ${ready ? 'Ready' : 'NotReady'} in ${master}: ${errorMessage(err)}`,
              );
              break;
            }
            await sleep(250);
          }
        }
      }
      return changed;
    },
  };
  return host;
}

type PkiFiles = { etcdPeer: EtcdPeerTlsFiles; etcdClient: EtcdClientTlsFiles | null };

/** Writes the certs where the VM's processes read them; keys 0600, as configure-helper does. */
async function writePki(diskDir: string, config: MasterConfig): Promise<PkiFiles> {
  const dir = path.join(diskDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const put = async (file: string, content: string, secret: boolean): Promise<string> => {
    const full = path.join(dir, file);
    await writeFile(full, content, { mode: secret ? 0o600 : 0o644 });
    // writeFile's mode applies only on creation; enforce it on files from an earlier boot too.
    await chmod(full, secret ? 0o600 : 0o644);
    return full;
  };
  const { pem } = config;
  await put('ca.crt', pem.caCert, false);
  await put('apiserver.crt', pem.servingCert, false);
  await put('apiserver.key', pem.servingKey, true);
  const [peerCa, peerCert, peerKey] = await Promise.all([
    put('etcd-ca.crt', pem.etcdCaCert, false),
    put('etcd-peer.crt', pem.etcdPeerCert, false),
    put('etcd-peer.key', pem.etcdPeerKey, true),
  ]);
  const api = pem.etcdApiserver;
  if (api === null) return { etcdPeer: { peerCa, peerCert, peerKey }, etcdClient: null };
  const [clientCa, serverCert, serverKey] = await Promise.all([
    put('etcd-apiserver-ca.crt', api.caCert, false),
    put('etcd-apiserver-server.crt', api.serverCert, false),
    put('etcd-apiserver-server.key', api.serverKey, true),
  ]);
  await put('etcd-apiserver-client.crt', api.clientCert, false);
  await put('etcd-apiserver-client.key', api.clientKey, true);
  return { etcdPeer: { peerCa, peerCert, peerKey }, etcdClient: { clientCa, serverCert, serverKey } };
}

/** The last error-level lines of an etcd log (zap JSON), at most three, each cut to a readable length. */
async function lastErrorLines(file: string): Promise<string[]> {
  try {
    const lines = (await readFile(file, 'utf8')).trim().split('\n').slice(-40);
    return lines
      .filter((l) => /"level":"(error|fatal|panic)"/.test(l))
      .slice(-3)
      .map((l) => l.slice(0, 400));
  } catch {
    return [];
  }
}

function leaseDurationS(): number {
  const raw = process.env.SANDBOX_LEASE_DURATION_S;
  const value = raw === undefined || raw === '' ? DEFAULT_LEASE_DURATION_S : Number(raw);
  return Number.isFinite(value) && value >= 1 ? Math.round(value) : DEFAULT_LEASE_DURATION_S;
}

/** A chaos request that cannot apply to the VM as it is (not running, no such process). */
export class ChaosRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChaosRefusal';
  }
}

const nodeConditionSchema = z
  .object({ type: z.string(), status: z.string(), lastHeartbeatTime: z.string().optional() })
  .loose();
const nodeSchema = z
  .object({
    metadata: z.object({ labels: z.record(z.string(), z.string()).optional() }).loose(),
    status: z
      .object({ conditions: z.array(nodeConditionSchema).optional() })
      .loose()
      .optional(),
  })
  .loose();

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
