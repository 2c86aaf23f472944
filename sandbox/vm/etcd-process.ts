// One etcd server of a sandbox VM, run as a real /usr/bin/etcd child process bound to the VM's own
// IP, as kube-up's etcd.manifest runs it: mutual TLS between peers always; on the client port mutual TLS
// only for etcd main of a cluster whose metadata has the ETCD_APISERVER_* set, else plain http (events
// always: "mTLS only for etcd server, not etcd-events"). Its pidfile lets a later sandbox run find and end an
// etcd left behind by a run that was killed without cleanup, so a restart never meets a busy port.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ETCD_CLUSTERS = {
  main: { clientPort: 2379, peerPort: 2380 },
  events: { clientPort: 4002, peerPort: 2381 },
} as const;
export type EtcdCluster = keyof typeof ETCD_CLUSTERS;

const STOP_GRACE_MS = 5_000;
// etcd logs at info level (elections, peers) for debugging; keep one previous file once it grows past this.
const LOG_ROTATE_BYTES = 10 << 20;

export type EtcdPeerTlsFiles = { peerCa: string; peerCert: string; peerKey: string };
export type EtcdClientTlsFiles = { clientCa: string; serverCert: string; serverKey: string };
/** `client` null: the client port speaks plain http. */
export type EtcdTlsFiles = EtcdPeerTlsFiles & { client: EtcdClientTlsFiles | null };

export type EtcdLaunch = {
  cluster: EtcdCluster;
  instance: string;
  ip: string;
  diskDir: string;
  /** Instance names of the members to start with (ignored by etcd once the data dir holds a member). */
  initialCluster: string[];
  initialClusterState: 'new' | 'existing';
  masterName: string;
  tls: EtcdTlsFiles;
};

export function etcdMemberName(instance: string): string {
  return `etcd-${instance}`;
}

export function etcdDataDir(diskDir: string, cluster: EtcdCluster): string {
  return path.join(diskDir, 'etcd', cluster);
}

/** Whether etcd has already initialised a member in this data dir (then the initial-cluster flags do not matter). */
export function etcdDataInitialized(diskDir: string, cluster: EtcdCluster): boolean {
  return existsSync(path.join(etcdDataDir(diskDir, cluster), 'member'));
}

function pidfilePath(diskDir: string, cluster: EtcdCluster): string {
  return path.join(diskDir, 'run', `etcd-${cluster}.pid`);
}

export function etcdArgs(launch: EtcdLaunch): string[] {
  const { clientPort, peerPort } = ETCD_CLUSTERS[launch.cluster];
  // As kube-up's etcd.manifest: clients on the VM's own loopback only (https when the metadata carries the
  // ETCD_APISERVER_* certs, else http); peers listen on the host IP and are advertised by instance name,
  // which the VPC's DNS (the namespace's hosts file here) resolves.
  const client = launch.tls.client;
  const clientUrl = `${client ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  const peerListenUrl = `https://${launch.ip}:${peerPort}`;
  const peerUrl = `https://${launch.instance}:${peerPort}`;
  const initialCluster = launch.initialCluster
    .map((instance) => `${etcdMemberName(instance)}=https://${instance}:${peerPort}`)
    .join(',');
  return [
    `--name=${etcdMemberName(launch.instance)}`,
    `--data-dir=${etcdDataDir(launch.diskDir, launch.cluster)}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerListenUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-state=${launch.initialClusterState}`,
    `--initial-cluster-token=${launch.masterName}-etcd-${launch.cluster}`,
    ...(client
      ? [
          '--client-cert-auth',
          `--trusted-ca-file=${client.clientCa}`,
          `--cert-file=${client.serverCert}`,
          `--key-file=${client.serverKey}`,
        ]
      : []),
    '--peer-client-cert-auth',
    `--peer-trusted-ca-file=${launch.tls.peerCa}`,
    `--peer-cert-file=${launch.tls.peerCert}`,
    `--peer-key-file=${launch.tls.peerKey}`,
    // A member coming back after a stop must not force a new election (the default from etcd 3.5 on).
    '--pre-vote=true',
    // The stand-in components renew their leases every 2 s; without compaction (which a real API server
    // requests every 5 min) a sandbox left running for days would grow its database without bound.
    '--auto-compaction-mode=periodic',
    '--auto-compaction-retention=5m',
    // Metrics stay on the client URL: no extra listener.
    '--listen-metrics-urls=',
    '--logger=zap',
    '--log-outputs=stderr',
  ];
}

/** Environment for etcd without the parent's ETCD_* variables, which etcd would read as flags. */
function etcdEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('ETCD_')) delete env[key];
  return env;
}

async function readProcFile(pid: number, file: string): Promise<string | undefined> {
  try {
    return await readFile(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie (an orphan's zombie holds no ports, so it does not count). */
async function processAlive(pid: number): Promise<boolean> {
  const stat = await readProcFile(pid, 'stat');
  if (stat === undefined) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/**
 * Ends an etcd named by the pidfile if it is still running from an earlier sandbox run. Only a process
 * whose command line is etcd with this very data dir is touched, so a recycled pid is left alone.
 */
export async function killStaleEtcd(diskDir: string, cluster: EtcdCluster, log: (msg: string) => void): Promise<void> {
  const file = pidfilePath(diskDir, cluster);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch {
    return;
  }
  const pid = Number(raw.trim());
  if (!Number.isInteger(pid) || pid <= 1) {
    await rm(file, { force: true });
    return;
  }
  const argv = (await readProcFile(pid, 'cmdline'))?.split('\0') ?? [];
  const dataDir = etcdDataDir(diskDir, cluster);
  const isOurs = argv.some((a) => path.basename(a) === 'etcd') && argv.some((a) => a.includes(dataDir));
  if (isOurs && (await processAlive(pid))) {
    log(`killing etcd ${cluster} left over from an earlier run (pid ${pid})`);
    await signalAndWait(pid, () => processAlive(pid));
  }
  await rm(file, { force: true });
}

async function signalAndWait(pid: number, alive: () => Promise<boolean>): Promise<void> {
  trySignal(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (await alive()) {
    if (Date.now() > deadline) {
      trySignal(pid, 'SIGKILL');
      // SIGKILL cannot be refused; give the kernel a moment to release the ports.
      for (let i = 0; i < 50 && (await alive()); i++) await sleep(20);
      return;
    }
    await sleep(50);
  }
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

async function rotateLog(file: string): Promise<void> {
  try {
    if ((await stat(file)).size > LOG_ROTATE_BYTES) await rename(file, `${file}.1`);
  } catch {
    // No log yet.
  }
}

export type EtcdExit = { code: number | null; signal: NodeJS.Signals | null };

export class EtcdProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<EtcdExit> | undefined;
  private stopping = false;

  constructor(
    readonly launch: EtcdLaunch,
    private readonly onUnexpectedExit: (exit: EtcdExit) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get logFile(): string {
    return path.join(this.launch.diskDir, 'logs', `etcd-${this.launch.cluster}.log`);
  }

  /** Spawns etcd; resolves once the process exists (not once it serves). */
  async start(): Promise<void> {
    const { diskDir, cluster } = this.launch;
    await mkdir(path.join(diskDir, 'logs'), { recursive: true });
    await mkdir(path.join(diskDir, 'run'), { recursive: true });
    await mkdir(path.dirname(etcdDataDir(diskDir, cluster)), { recursive: true, mode: 0o700 });
    const args = etcdArgs(this.launch);
    await rotateLog(this.logFile);
    const logFd = openSync(this.logFile, 'a', 0o644);
    try {
      writeSync(logFd, `\n==== ${new Date().toISOString()} quorum sandbox: etcd ${args.join(' ')}\n`);
      // Own process group: a Ctrl-C on the sandbox's terminal must not hit etcd behind the agent's back;
      // the agent stops it in order on shutdown.
      const child = spawn('etcd', args, { detached: true, stdio: ['ignore', logFd, logFd], env: etcdEnv() });
      this.child = child;
      this.exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
        // A spawn failure (etcd not on PATH) emits 'error' and never 'exit'.
        child.once('error', () => resolve({ code: null, signal: null }));
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      void this.exited.then((exit) => {
        if (!this.stopping) this.onUnexpectedExit(exit);
      });
      if (child.pid !== undefined) await writeFile(pidfilePath(diskDir, cluster), `${child.pid}\n`);
    } finally {
      closeSync(logFd);
    }
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. Keeps the data dir. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    const exited = this.exited;
    if (child === undefined || exited === undefined) return;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      // A frozen (chaos) etcd would hold the SIGTERM until SIGKILL; let it act on it now.
      child.kill('SIGCONT');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(pidfilePath(this.launch.diskDir, this.launch.cluster), { force: true });
  }

  /** Whether the process is running (or stopped by a signal): not yet exited. */
  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Chaos: SIGKILL, as if etcd crashed; the exit is reported as unexpected. Resolves once it is gone. */
  async crash(): Promise<void> {
    if (!this.alive || this.child === undefined || this.exited === undefined) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Chaos: SIGSTOP / SIGCONT the process (a no-op once it has exited). */
  pause(paused: boolean): void {
    if (this.alive) this.child?.kill(paused ? 'SIGSTOP' : 'SIGCONT');
  }

  /** Best effort from a synchronous exit hook: the process must not outlive the sandbox silently. */
  killNow(): void {
    this.stopping = true;
    if (this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      this.child.kill('SIGCONT');
    }
  }
}
