// The VM host of the kube-up twin: every RUNNING instance is a Linux network namespace on the sandbox's
// bridge (sandbox/net) with one process of its own (sandbox/vm/vm-main.ts) that runs what a kube-up
// master runs. This side keeps the namespaces, the DNS stand-in (each VM's hosts file) and one IPC
// channel per VM; every chaos action on a VM's processes is a request over that channel.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChaosRefusal } from './agent';
import { seedVmAccountFiles } from './guest-agent';
import { vmMainScript } from './vm-main-script';
import { vmMessageSchema, type VmBoot, type VmCommand } from './vm-protocol';
import type { ChaosEtcdCluster, VmChaos, VmChaosState, VmHost, VmProcessState, VmSpec } from './types';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A VM that does not answer its channel within this long is taken as hung (boot includes etcd's start). */
const REQUEST_TIMEOUT_MS = 120_000;
const EXIT_GRACE_MS = 15_000;

/** The part of the sandbox's network (sandbox/net) the VM host needs. */
export type VmNetwork = {
  /** Makes the VM's namespace: veth on the bridge, `internalIp` on eth0, 169.254.169.254 on lo. */
  addVm(vm: { key: string; internalIp: string; zone: string }): Promise<{ ns: string }>;
  /** Ends every process left in the namespace and removes it. */
  removeVm(ns: string): Promise<void>;
  /** Rewrites every VM's hosts file (the VPC's DNS) to exactly these names. */
  setHosts(entries: Array<{ ip: string; names: string[] }>): Promise<void>;
  /** Where the sandbox's metadata server listens on the bridge, as the VMs reach it. */
  metadataUpstream: { host: string; port: number };
  /** Root-owned directory of this sandbox's per-VM root-disk files (homes, sshd's run files). */
  vmRootDir: string;
};

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

type Vm = {
  spec: VmSpec;
  ns: string;
  child: ChildProcess;
  exited: Promise<void>;
  alive: boolean;
  pending: Map<number, Pending>;
  chaos: VmChaosState;
  masterName?: string;
};

const STOPPED: VmChaosState = {
  state: 'stopped',
  frozen: false,
  etcd: { main: 'absent', events: 'absent' },
  sshd: false,
};

export function createNamespacedVmHost(opts: { network: VmNetwork; log?: (msg: string) => void }): VmHost & VmChaos {
  const log = opts.log ?? ((msg: string) => console.log(`[vm] ${msg}`));
  const { network } = opts;
  const vms = new Map<string, Vm>();
  /** The VMs the hosts files name: every VM booted or booting (VMs boot concurrently, one queue per name). */
  const named = new Map<string, VmSpec>();
  const queues = new Map<string, Promise<void>>();
  let nextId = 1;

  function enqueue(name: string, task: () => Promise<void>): Promise<void> {
    const previous = queues.get(name) ?? Promise.resolve();
    const next = previous.then(task, task);
    queues.set(
      name,
      next.catch(() => undefined),
    );
    return next;
  }

  /** Every VM's hosts file names every VM booted or booting (a new one before its processes start), as GCE's DNS does. */
  async function refreshHosts(): Promise<void> {
    const entries = [...named.values()].map((spec) => ({
      ip: spec.internalIp,
      // GCE's internal DNS answers the short name and the zonal FQDN.
      names: [spec.name, `${spec.name}.${spec.zone}.c.${spec.project}.internal`],
    }));
    await network.setHosts(entries);
  }

  function request(vm: Vm, command: VmCommand, timeoutMs = REQUEST_TIMEOUT_MS): Promise<unknown> {
    if (!vm.alive || !vm.child.connected) return Promise.reject(new ChaosRefusal(`VM ${vm.spec.name} is not running.`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        vm.pending.delete(id);
        reject(new Error(`VM ${vm.spec.name} did not answer ${command.op} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      vm.pending.set(id, { resolve, reject, timer });
      vm.child.send({ ...command, id });
    });
  }

  function spawnVm(spec: VmSpec, ns: string, script: string): Vm {
    // unshare: PID 1 of a new PID namespace is vm-main, so when it ends the kernel ends etcd and sshd too;
    // a UTS namespace of its own carries the instance's hostname.
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'unshare',
        '--pid',
        '--uts',
        '--fork',
        '--kill-child',
        '--mount-proc',
        process.execPath,
        script,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: vmEnv() },
    );
    let exitedResolve: () => void = () => undefined;
    const vm: Vm = {
      spec,
      ns,
      child,
      alive: true,
      pending: new Map(),
      chaos: { ...STOPPED, state: 'booting' },
      exited: new Promise<void>((resolve) => {
        exitedResolve = resolve;
      }),
    };
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') log(line);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') log(`${spec.name}: ${line}`);
    });
    child.on('message', (raw: unknown) => {
      const parsed = vmMessageSchema.safeParse(raw);
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.type === 'state') {
        vm.chaos = message.chaos;
        if (message.masterName !== undefined) vm.masterName = message.masterName;
        return;
      }
      const waiting = vm.pending.get(message.id);
      if (!waiting) return;
      vm.pending.delete(message.id);
      clearTimeout(waiting.timer);
      if (message.ok) waiting.resolve(message.result);
      else {
        const error = message.error ?? { name: 'Error', message: 'failed' };
        waiting.reject(error.name === 'ChaosRefusal' ? new ChaosRefusal(error.message) : new Error(error.message));
      }
    });
    child.on('exit', (code, signal) => {
      vm.alive = false;
      vm.chaos = STOPPED;
      for (const waiting of vm.pending.values()) {
        clearTimeout(waiting.timer);
        waiting.reject(new Error(`VM ${spec.name} exited (${signal ?? `code ${String(code)}`})`));
      }
      vm.pending.clear();
      exitedResolve();
    });
    child.on('error', (err) => log(`${spec.name}: cannot start its process: ${err.message}`));
    return vm;
  }

  async function bootTask(spec: VmSpec): Promise<void> {
    const existing = vms.get(spec.name);
    if (existing?.alive) return;
    const { ns } = await network.addVm({ key: spec.name, internalIp: spec.internalIp, zone: spec.zone });
    const vmRoot = path.join(network.vmRootDir, spec.name);
    mkdirSync(vmRoot, { recursive: true, mode: 0o755 });
    // The VM's own /etc/passwd and /etc/group (ip netns exec bind-mounts /etc/netns/<ns>/*), so its guest
    // agent creates users in the VM and never on this host.
    await seedVmAccountFiles(path.join('/etc/netns', ns));
    // Inside the VM the metadata server is where it is on GCE.
    const inside: VmSpec = { ...spec, metadataUrl: 'http://169.254.169.254/computeMetadata/v1' };
    // The other VMs know the new one's name before any of its processes runs: its etcd's peers check its
    // certificate's name against its address at its first connection.
    named.set(spec.name, inside);
    await refreshHosts();
    const vm = spawnVm(inside, ns, await vmMainScript(REPO_ROOT));
    vms.set(spec.name, vm);
    const boot: VmBoot = { spec: inside, metadataUpstream: network.metadataUpstream, vmRoot };
    await request(vm, { op: 'boot', boot });
  }

  async function shutdownTask(name: string): Promise<void> {
    const vm = vms.get(name);
    if (!vm) return;
    if (vm.alive) {
      await request(vm, { op: 'shutdown' }, 60_000).catch((err: unknown) =>
        log(`${name}: shutdown: ${errorMessage(err)}`),
      );
      // unshare's parent ignores SIGTERM while it waits for its child, so the VM is told over its channel:
      // vm-main exits when the channel closes (and the kernel ends its PID namespace).
      if (vm.child.connected) vm.child.disconnect();
      const killer = setTimeout(() => vm.child.kill('SIGKILL'), EXIT_GRACE_MS);
      await vm.exited;
      clearTimeout(killer);
    }
    vms.delete(name);
    named.delete(name);
    await network.removeVm(vm.ns);
    await refreshHosts();
    log(`${name}: stopped`);
  }

  function live(name: string): Vm {
    const vm = vms.get(name);
    if (!vm?.alive || (vm.chaos.state !== 'running' && vm.chaos.state !== 'failed')) {
      throw new ChaosRefusal(`VM ${name} is ${vm?.chaos.state ?? 'not booted'}: its processes are not running.`);
    }
    return vm;
  }

  const host: VmHost & VmChaos = {
    boot(spec) {
      return enqueue(spec.name, () => bootTask(spec)).catch((err: unknown) => {
        log(`${spec.name}: boot failed: ${errorMessage(err)}`);
      });
    },
    shutdown(name) {
      return enqueue(name, () => shutdownTask(name));
    },
    async shutdownAll() {
      // Replicas of one cluster stop one after another (a leader handing over to a member that is going
      // away too hangs until SIGKILL); clusters stop in parallel.
      const groups = new Map<string, string[]>();
      for (const [name, vm] of vms) {
        const key = vm.masterName ?? name;
        groups.set(key, [...(groups.get(key) ?? []), name]);
      }
      await Promise.all(
        [...groups.values()].map(async (names) => {
          for (const name of names) await host.shutdown(name);
        }),
      );
    },
    state(name): VmProcessState {
      return vms.get(name)?.chaos.state ?? 'stopped';
    },
    async killEtcd(name, clusters: readonly ChaosEtcdCluster[]) {
      await request(live(name), { op: 'killEtcd', clusters: [...clusters] });
    },
    async freeze(name) {
      await request(live(name), { op: 'freeze' });
    },
    async thaw(name) {
      const vm = vms.get(name);
      if (vm?.alive) await request(vm, { op: 'thaw' });
    },
    async restore(name) {
      await request(live(name), { op: 'restore' });
    },
    describe(name) {
      return vms.get(name)?.chaos ?? STOPPED;
    },
    async setSshd(name, running) {
      await request(live(name), { op: running ? 'startSshd' : 'stopSshd' });
    },
    async replaceHostKeys(name) {
      await request(live(name), { op: 'replaceHostKeys' });
    },
    async setZoneNodesReady(zone, ready) {
      // One writer per cluster: a running, unfrozen replica outside the zone, as a surviving master.
      const writers = new Map<string, Vm>();
      for (const vm of vms.values()) {
        if (!vm.alive || vm.chaos.state !== 'running' || vm.chaos.frozen || vm.spec.zone === zone || !vm.masterName)
          continue;
        if (!writers.has(vm.masterName)) writers.set(vm.masterName, vm);
      }
      const counts = await Promise.all(
        [...writers.values()].map(async (vm) => {
          const n = await request(vm, { op: 'setZoneNodesReady', zone, ready }, 30_000).catch((err: unknown) => {
            log(`${vm.spec.name}: chaos: marking the nodes of ${zone}: ${errorMessage(err)}`);
            return 0;
          });
          return typeof n === 'number' ? n : 0;
        }),
      );
      return counts.reduce((a, b) => a + b, 0);
    },
  };
  // A fresh start: nothing of an earlier run's root-disk files is trusted.
  rmSync(network.vmRootDir, { recursive: true, force: true });
  mkdirSync(network.vmRootDir, { recursive: true, mode: 0o755 });
  return host;
}

/** The VM's environment: the sandbox's settings a guest reads, nothing else of the host's. */
function vmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['PATH', 'HOME', 'LANG', 'NODE_ENV', 'SANDBOX_APISERVER_PORT', 'SANDBOX_LEASE_DURATION_S']);
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (!keep.has(key)) delete env[key];
  return env;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
