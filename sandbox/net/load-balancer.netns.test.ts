// The sandbox's load balancer end to end on the twin's real network: the emulator in-process, wired to a
// TwinNetwork as sandbox/main.ts wires it (forwarding-rule and external addresses bound on the host, which
// has the twin's whole external /24; backends probed and dialled from the load balancer's own address), a VM host whose "VMs" are
// network namespaces running a TCP server on all their addresses that answers with the VM's name, and
// real TCP clients on the host (the dashboard's side of the bridge).
// Needs root; run alone: `flock /tmp/quorum-heavy.lock npx vitest run --project netns sandbox/net/load-balancer.netns.test.ts`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type Emulator } from '../compute/emulator';
import { emulatorRest, operationSchema as opSchema } from '../compute/emulator-rest';
import { twinEphemeralExternalPool, twinStaticExternalPool } from '../compute/ip-plan';
import type { VmHost, VmProcessState, VmSpec } from '../vm/types';
import { TcpForwarder } from './tcp-forwarder';
import { TwinNetwork } from './twin-network';

// Net 77 is this file's own (198.19.52.0/22).
const NET = 77;
const PORT = 8443;
const LB_DELAY_MS = 300;
const HEALTH_MS = 100;
const PROJECT = 'lb-project';
const REGION = 'europe-west1';

const twin = new TwinNetwork({ net: NET });

// Runs inside a VM's namespace: answers every connection with the VM's name on all its addresses. Health
// probes connect and reset at once, so a socket error only ends that socket.
const SERVER_SOURCE = `
const [name, port] = process.argv.slice(1);
require('node:net').createServer((s) => { s.on('error', () => s.destroy()); s.end(name); })
  .listen(Number(port), () => console.log('listening'));`;

async function startServerIn(ns: string, name: string): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER_SOURCE, name, String(PORT)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`server ${name} in ${ns} exited (${code}): ${err}`)));
  });
  return child;
}

/**
 * Each booted VM is a namespace on the twin's bridge with a TCP server on <any>:PORT that writes its name
 * and closes. A shutdown stops the server but keeps the namespace (so a stopped "VM" refuses at once, as a
 * guest whose API server is down does); shutdownAll removes the namespaces too.
 */
class NamespacedTcpVmHost implements VmHost {
  private readonly servers = new Map<string, ChildProcess>();
  private readonly namespaces = new Map<string, string>();

  async boot(spec: VmSpec): Promise<void> {
    if (this.servers.has(spec.name)) return;
    let ns = this.namespaces.get(spec.name);
    if (!ns) {
      ns = (await twin.addVm({ key: spec.name, internalIp: spec.internalIp, zone: spec.zone })).ns;
      this.namespaces.set(spec.name, ns);
    }
    this.servers.set(spec.name, await startServerIn(ns, spec.name));
  }

  /** Also used to make a RUNNING instance unhealthy: its port stops accepting. */
  async shutdown(name: string): Promise<void> {
    const server = this.servers.get(name);
    this.servers.delete(name);
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
      server.kill('SIGKILL');
      await exited;
    }
  }

  async shutdownAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((n) => this.shutdown(n)));
    for (const ns of this.namespaces.values()) await twin.removeVm(ns);
    this.namespaces.clear();
  }

  state(name: string): VmProcessState {
    return this.servers.has(name) ? 'running' : 'stopped';
  }
}

type Answer = string | 'refused' | 'closed';

/** Connects and reads until the peer closes: the VM's name, or how the connection failed. */
function ask(ip: string, port = PORT): Promise<Answer> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port });
    let data = '';
    s.setTimeout(2_000, () => {
      s.destroy();
      resolve('closed');
    });
    s.on('data', (d: Buffer) => {
      data += d.toString();
    });
    s.on('end', () => resolve(data === '' ? 'closed' : data));
    s.on('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ECONNREFUSED' ? 'refused' : data === '' ? `error ${err.code ?? err.message}` : data),
    );
  });
}

/**
 * Nothing forwards there: the address is on the host with no listener (refused), or not on the host at
 * all, where the twin's blackhole route for its block answers a local connect with EINVAL (on GCE the
 * packets of an address nobody holds are dropped). Either way no VM answers and nothing is accepted.
 */
const NOT_FORWARDING = ['refused', 'error EINVAL'];

async function askMany(ip: string, n = 12): Promise<Set<Answer>> {
  const answers = await Promise.all(Array.from({ length: n }, () => ask(ip)));
  return new Set(answers);
}

/** Polls until `check` holds (the data plane follows the cloud within a health round or two). */
async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (check(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

let dataDir: string;
let vmHost: NamespacedTcpVmHost;
let emulator: Emulator;

function start(lbDelayMs: number, opDelayMs = 40): Promise<Emulator> {
  return startEmulator({
    dataDir,
    port: 0,
    net: NET,
    opDelayMs,
    bootDelayMs: 0,
    lbDelayMs,
    lbHealthIntervalMs: HEALTH_MS,
    apiServerPort: PORT,
    waitTimeoutMs: 5_000,
    vmHost,
    log: (m) => process.env.LB_DEBUG && console.error(m),
    // As sandbox/main.ts: external addresses taken into use on the twin, backends dialled from the load balancer's address.
    networkOptions: {
      natPorts: [PORT],
      backendLocalAddress: twin.loadBalancerIp,
      addresses: { add: (ip) => twin.addHostAddress(ip), remove: (ip) => twin.removeHostAddress(ip) },
    },
  });
}

const { api, mutate } = emulatorRest(() => emulator.url, PROJECT);

const instanceSchema = z.object({
  status: z.string(),
  networkInterfaces: z.array(
    z.object({ networkIP: z.string(), accessConfigs: z.array(z.object({ natIP: z.string().optional() })) }),
  ),
});

async function instance(zone: string, name: string) {
  return instanceSchema.parse(await api('GET', `zones/${zone}/instances/${name}`));
}

function insertInstance(zone: string, name: string, external: boolean): Promise<void> {
  return mutate('POST', `zones/${zone}/instances`, {
    name,
    machineType: `zones/${zone}/machineTypes/n1-standard-1`,
    networkInterfaces: [{ accessConfigs: external ? [{ type: 'ONE_TO_ONE_NAT', name: 'external-nat' }] : [] }],
    disks: [{ boot: true, autoDelete: true, initializeParams: { diskSizeGb: 10 } }],
  });
}

const link = (zone: string, name: string) =>
  `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${zone}/instances/${name}`;
let lbIp: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'quorum-lb-'));
  await twin.prepare();
  vmHost = new NamespacedTcpVmHost();
  emulator = await start(LB_DELAY_MS);
  await Promise.all([
    insertInstance(`${REGION}-b`, 'lb-a', false),
    insertInstance(`${REGION}-c`, 'lb-b', false),
    insertInstance(`${REGION}-d`, 'lb-nat', true),
    mutate('POST', `regions/${REGION}/addresses`, { name: 'lb-ip' }),
  ]);
  lbIp = z.object({ address: z.string() }).parse(await api('GET', `regions/${REGION}/addresses/lb-ip`)).address;
  await mutate('POST', `regions/${REGION}/targetPools`, {
    name: 'lb-pool',
    instances: [link(`${REGION}-b`, 'lb-a'), link(`${REGION}-c`, 'lb-b')],
  });
});

afterAll(async () => {
  await emulator.close();
  await vmHost.shutdownAll();
  await twin.teardown();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('forwarding rule', () => {
  it('forwards nothing before SANDBOX_LB_DELAY_MS has passed since its insert was DONE, then forwards to the pool', async () => {
    await mutate('POST', `regions/${REGION}/forwardingRules`, {
      name: 'lb-rule',
      IPAddress: lbIp,
      IPProtocol: 'TCP',
      portRange: `${PORT}-${PORT}`,
      target: `regions/${REGION}/targetPools/lb-pool`,
    });
    const done = Date.now();
    expect(NOT_FORWARDING).toContain(await ask(lbIp));
    await new Promise((r) => setTimeout(r, LB_DELAY_MS / 2));
    expect(NOT_FORWARDING).toContain(await ask(lbIp));
    const first = await eventually(
      () => ask(lbIp),
      (a) => a === 'lb-a' || a === 'lb-b',
    );
    expect(['lb-a', 'lb-b']).toContain(first);
    expect(Date.now() - done).toBeGreaterThanOrEqual(LB_DELAY_MS - 10);
    // Both members take connections once the health checks have seen both (a round or two).
    expect(
      await eventually(
        () => askMany(lbIp),
        (s) => s.size === 2,
      ),
    ).toEqual(new Set(['lb-a', 'lb-b']));
  });

  it('sends connections only to members that accept on the port, and to RUNNING ones', async () => {
    await vmHost.shutdown('lb-b');
    expect(
      await eventually(
        () => askMany(lbIp),
        (s) => s.size === 1,
      ),
    ).toEqual(new Set(['lb-a']));
    await vmHost.boot({
      ...emptySpec,
      name: 'lb-b',
      internalIp: (await instance(`${REGION}-c`, 'lb-b')).networkInterfaces[0]?.networkIP ?? '',
    });
    expect(
      await eventually(
        () => askMany(lbIp),
        (s) => s.size === 2,
      ),
    ).toEqual(new Set(['lb-a', 'lb-b']));

    await mutate('POST', `zones/${REGION}-b/instances/lb-a/stop`);
    expect(
      await eventually(
        () => askMany(lbIp),
        (s) => s.size === 1 && s.has('lb-b'),
      ),
    ).toEqual(new Set(['lb-b']));
  });

  it('follows pool membership at the next health round; with no healthy member it accepts and closes', async () => {
    await mutate('POST', `regions/${REGION}/targetPools/lb-pool/removeInstance`, {
      instances: [{ instance: link(`${REGION}-c`, 'lb-b') }],
    });
    // lb-a is stopped and lb-b out of the pool: nobody is healthy.
    expect(
      await eventually(
        () => askMany(lbIp, 4),
        (s) => s.size === 1 && s.has('closed'),
      ),
    ).toEqual(new Set(['closed']));
    await mutate('POST', `zones/${REGION}-b/instances/lb-a/start`);
    expect(
      await eventually(
        () => askMany(lbIp),
        (s) => s.size === 1 && s.has('lb-a'),
      ),
    ).toEqual(new Set(['lb-a']));
    await mutate('POST', `regions/${REGION}/targetPools/lb-pool/addInstance`, {
      instances: [{ instance: link(`${REGION}-c`, 'lb-b') }],
    });
    expect(
      await eventually(
        () => askMany(lbIp),
        (s) => s.size === 2,
      ),
    ).toEqual(new Set(['lb-a', 'lb-b']));
  });

  it('forwards again at once after a restart of the sandbox on the same data directory', async () => {
    await emulator.close();
    expect(NOT_FORWARDING).toContain(await ask(lbIp));
    // A long delay: a rule that existed before the restart must not wait for it.
    emulator = await start(60_000);
    const t0 = Date.now();
    // At once: as soon as the forwarder listens on the address again, not after 60 s.
    expect(
      await eventually(
        () => ask(lbIp),
        (a) => /^lb-[ab]$/.test(a),
        1_000,
      ),
    ).toMatch(/^lb-[ab]$/);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('stops forwarding as soon as the rule is deleted, and gives its static address back', async () => {
    const op = opSchema.parse(await api('DELETE', `regions/${REGION}/forwardingRules/lb-rule`));
    expect(op.status).not.toBe('DONE');
    expect(NOT_FORWARDING).toContain(await ask(lbIp));
    expect(opSchema.parse(await api('POST', `regions/${REGION}/operations/${op.name}/wait`)).status).toBe('DONE');
    const address = z.object({ status: z.string() }).parse(await api('GET', `regions/${REGION}/addresses/lb-ip`));
    expect(address.status).toBe('RESERVED');
  });

  it('starts the delay at the next start when the sandbox stopped before the insert was DONE', async () => {
    await emulator.close();
    emulator = await start(LB_DELAY_MS, 10_000);
    const op = opSchema.parse(
      await api('POST', `regions/${REGION}/forwardingRules`, {
        name: 'lb-rule-2',
        IPAddress: lbIp,
        portRange: `${PORT}`,
        target: `regions/${REGION}/targetPools/lb-pool`,
      }),
    );
    expect(op.status).not.toBe('DONE');
    await emulator.close();
    // The pending insert finishes at this start; the rule has not propagated yet.
    emulator = await start(LB_DELAY_MS);
    const restarted = Date.now();
    expect(NOT_FORWARDING).toContain(await ask(lbIp));
    expect(
      await eventually(
        () => ask(lbIp),
        (a) => !NOT_FORWARDING.includes(a),
      ),
    ).toMatch(/^lb-[ab]$/);
    expect(Date.now() - restarted).toBeGreaterThanOrEqual(LB_DELAY_MS - 50);
  });

  it("forwards the seed's rules as soon as the seed is complete: they stand in for long-programmed ones", async () => {
    // A delay no test waits out: forwarding within a second of the seed completing proves it was skipped.
    await emulator.close();
    emulator = await start(60_000);
    await mutate('DELETE', `regions/${REGION}/forwardingRules/lb-rule-2`);
    await mutate('POST', `regions/${REGION}/forwardingRules`, {
      name: 'lb-rule-3',
      IPAddress: lbIp,
      portRange: `${PORT}`,
      target: `regions/${REGION}/targetPools/lb-pool`,
    });
    expect(NOT_FORWARDING).toContain(await ask(lbIp));
    emulator.markSeedComplete();
    const t0 = Date.now();
    expect(
      await eventually(
        () => ask(lbIp),
        (a) => /^lb-[ab]$/.test(a),
        1_000,
      ),
    ).toMatch(/^lb-[ab]$/);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});

const emptySpec: VmSpec = {
  project: PROJECT,
  zone: `${REGION}-c`,
  name: '',
  internalIp: '',
  diskDir: '',
  metadataUrl: '',
};

describe('external IP of an instance', () => {
  const zone = `${REGION}-d`;
  const natIp = async () => (await instance(zone, 'lb-nat')).networkInterfaces[0]?.accessConfigs[0]?.natIP ?? '';

  it('forwards while the instance is RUNNING and holds the access config', async () => {
    const ip = await natIp();
    expect(twinEphemeralExternalPool(NET)).toContain(ip);
    expect(
      await eventually(
        () => ask(ip),
        (a) => a === 'lb-nat',
      ),
    ).toBe('lb-nat');

    await mutate(
      'POST',
      `zones/${zone}/instances/lb-nat/deleteAccessConfig?networkInterface=nic0&accessConfig=external-nat`,
    );
    expect(NOT_FORWARDING).toContain(await ask(ip));

    // A static address as natIP, the way kube-up gives a single master the cluster's IP.
    await mutate('POST', `regions/${REGION}/addresses`, { name: 'lb-nat-ip' });
    const staticIp = z
      .object({ address: z.string() })
      .parse(await api('GET', `regions/${REGION}/addresses/lb-nat-ip`)).address;
    expect(twinStaticExternalPool(NET)).toContain(staticIp);
    await mutate('POST', `zones/${zone}/instances/lb-nat/addAccessConfig?networkInterface=nic0`, {
      name: 'external-nat',
      natIP: staticIp,
    });
    // The NAT is set up as the operation ends (its listener binds a moment later on a loaded machine).
    expect(
      await eventually(
        () => ask(staticIp),
        (a) => a === 'lb-nat',
        2_000,
      ),
    ).toBe('lb-nat');

    await mutate('POST', `zones/${zone}/instances/lb-nat/stop`);
    expect(NOT_FORWARDING).toContain(await ask(staticIp));
    await mutate('POST', `zones/${zone}/instances/lb-nat/start`);
    expect(
      await eventually(
        () => ask(staticIp),
        (a) => a === 'lb-nat',
      ),
    ).toBe('lb-nat');
  });
});

describe('TcpForwarder', () => {
  it('survives an address already in use and binds once it is free', async () => {
    const ip = '127.77.9.9';
    const blocker = createServer((s) => {
      s.on('error', () => s.destroy());
      s.end('stale');
    });
    await new Promise<void>((resolve) => blocker.listen(PORT, ip, () => resolve()));
    const logs: string[] = [];
    const forwarder = new TcpForwarder(
      ip,
      PORT,
      () => Promise.resolve(undefined),
      (m) => logs.push(m),
    );
    forwarder.ensureListening();
    await eventually(
      () => Promise.resolve(logs.length),
      (n) => n > 0,
    );
    expect(forwarder.listening).toBe(false);
    expect(logs.join('\n')).toMatch(/EADDRINUSE/);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    forwarder.ensureListening();
    expect(
      await eventually(
        () => Promise.resolve(forwarder.listening),
        (l) => l,
      ),
    ).toBe(true);
    // No backend: accepted and closed.
    expect(await ask(ip)).toBe('closed');
    forwarder.close();
    expect(await ask(ip)).toBe('refused');
  });
});
