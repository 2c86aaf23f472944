// The sandbox's load balancer end to end: the emulator in-process, a VM host whose "VMs" are plain
// TCP servers on their internal IPs that answer with their own name, and real TCP clients.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type Emulator } from '../compute/emulator';
import type { VmHost, VmProcessState, VmSpec } from '../vm/types';
import { TcpForwarder } from './tcp-forwarder';

// Net 77 is this file's own: internal IPs 127.77.r.x, external 127.78.x.y.
const NET = 77;
const PORT = 8443;
const LB_DELAY_MS = 300;
const HEALTH_MS = 100;
const PROJECT = 'lb-project';
const REGION = 'europe-west1';

/** Each booted VM is a TCP server on <internalIp>:PORT that writes its name and closes. */
class TcpVmHost implements VmHost {
  private readonly servers = new Map<string, Server>();

  async boot(spec: VmSpec): Promise<void> {
    if (this.servers.has(spec.name)) return;
    const server = createServer((s) => {
      // Health probes connect and reset at once.
      s.on('error', () => s.destroy());
      s.end(spec.name);
    });
    this.servers.set(spec.name, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(PORT, spec.internalIp, () => resolve());
    });
  }

  /** Also used to make a RUNNING instance unhealthy: its port stops accepting. */
  async shutdown(name: string): Promise<void> {
    const server = this.servers.get(name);
    this.servers.delete(name);
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async shutdownAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((n) => this.shutdown(n)));
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
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : data === '' ? 'closed' : data));
  });
}

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

const opSchema = z.object({ name: z.string(), status: z.string(), zone: z.string().optional(), region: z.string().optional() });

let dataDir: string;
let vmHost: TcpVmHost;
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
    log: () => {},
  });
}

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${emulator.url}/compute/v1/projects/${PROJECT}/${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json: unknown = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Sends a mutation and waits for its Operation to be DONE. */
async function mutate(method: string, path: string, body?: unknown): Promise<void> {
  const op = opSchema.parse(await api(method, path, body));
  const scope = op.zone ? `zones/${op.zone.split('/').pop() ?? ''}` : op.region ? `regions/${op.region.split('/').pop() ?? ''}` : 'global';
  const done = opSchema.parse(await api('POST', `${scope}/operations/${op.name}/wait`));
  expect(done.status).toBe('DONE');
}

const instanceSchema = z.object({
  status: z.string(),
  networkInterfaces: z.array(z.object({ networkIP: z.string(), accessConfigs: z.array(z.object({ natIP: z.string().optional() })) })),
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

const link = (zone: string, name: string) => `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${zone}/instances/${name}`;
let lbIp: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'quorum-lb-'));
  vmHost = new TcpVmHost();
  emulator = await start(LB_DELAY_MS);
  await Promise.all([
    insertInstance(`${REGION}-b`, 'lb-a', false),
    insertInstance(`${REGION}-c`, 'lb-b', false),
    insertInstance(`${REGION}-d`, 'lb-nat', true),
    mutate('POST', `regions/${REGION}/addresses`, { name: 'lb-ip' }),
  ]);
  lbIp = z.object({ address: z.string() }).parse(await api('GET', `regions/${REGION}/addresses/lb-ip`)).address;
  await mutate('POST', `regions/${REGION}/targetPools`, { name: 'lb-pool', instances: [link(`${REGION}-b`, 'lb-a'), link(`${REGION}-c`, 'lb-b')] });
});

afterAll(async () => {
  await emulator.close();
  await vmHost.shutdownAll();
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
    expect(await ask(lbIp)).toBe('refused');
    await new Promise((r) => setTimeout(r, LB_DELAY_MS / 2));
    expect(await ask(lbIp)).toBe('refused');
    const first = await eventually(() => ask(lbIp), (a) => a === 'lb-a' || a === 'lb-b');
    expect(['lb-a', 'lb-b']).toContain(first);
    expect(Date.now() - done).toBeGreaterThanOrEqual(LB_DELAY_MS - 10);
    // Both healthy members take connections.
    expect(await askMany(lbIp)).toEqual(new Set(['lb-a', 'lb-b']));
  });

  it('sends connections only to members that accept on the port, and to RUNNING ones', async () => {
    await vmHost.shutdown('lb-b');
    expect(await eventually(() => askMany(lbIp), (s) => s.size === 1)).toEqual(new Set(['lb-a']));
    await vmHost.boot({ ...emptySpec, name: 'lb-b', internalIp: (await instance(`${REGION}-c`, 'lb-b')).networkInterfaces[0]?.networkIP ?? '' });
    expect(await eventually(() => askMany(lbIp), (s) => s.size === 2)).toEqual(new Set(['lb-a', 'lb-b']));

    await mutate('POST', `zones/${REGION}-b/instances/lb-a/stop`);
    expect(await eventually(() => askMany(lbIp), (s) => s.size === 1 && s.has('lb-b'))).toEqual(new Set(['lb-b']));
  });

  it('follows pool membership at the next health round; with no healthy member it accepts and closes', async () => {
    await mutate('POST', `regions/${REGION}/targetPools/lb-pool/removeInstance`, { instances: [{ instance: link(`${REGION}-c`, 'lb-b') }] });
    // lb-a is stopped and lb-b out of the pool: nobody is healthy.
    expect(await eventually(() => askMany(lbIp, 4), (s) => s.size === 1 && s.has('closed'))).toEqual(new Set(['closed']));
    await mutate('POST', `zones/${REGION}-b/instances/lb-a/start`);
    expect(await eventually(() => askMany(lbIp), (s) => s.size === 1 && s.has('lb-a'))).toEqual(new Set(['lb-a']));
    await mutate('POST', `regions/${REGION}/targetPools/lb-pool/addInstance`, { instances: [{ instance: link(`${REGION}-c`, 'lb-b') }] });
    expect(await eventually(() => askMany(lbIp), (s) => s.size === 2)).toEqual(new Set(['lb-a', 'lb-b']));
  });

  it('forwards again at once after a restart of the sandbox on the same data directory', async () => {
    await emulator.close();
    expect(await ask(lbIp)).toBe('refused');
    // A long delay: a rule that existed before the restart must not wait for it.
    emulator = await start(60_000);
    const t0 = Date.now();
    expect(await ask(lbIp)).toMatch(/^lb-[ab]$/);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('stops forwarding as soon as the rule is deleted, and gives its static address back', async () => {
    const op = opSchema.parse(await api('DELETE', `regions/${REGION}/forwardingRules/lb-rule`));
    expect(op.status).not.toBe('DONE');
    expect(await ask(lbIp)).toBe('refused');
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
    expect(await ask(lbIp)).toBe('refused');
    expect(await eventually(() => ask(lbIp), (a) => a !== 'refused')).toMatch(/^lb-[ab]$/);
    expect(Date.now() - restarted).toBeGreaterThanOrEqual(LB_DELAY_MS - 50);
  });

  it("forwards the seed's rules as soon as the seed is complete: they stand in for long-programmed ones", async () => {
    await mutate('DELETE', `regions/${REGION}/forwardingRules/lb-rule-2`);
    await mutate('POST', `regions/${REGION}/forwardingRules`, {
      name: 'lb-rule-3',
      IPAddress: lbIp,
      portRange: `${PORT}`,
      target: `regions/${REGION}/targetPools/lb-pool`,
    });
    expect(await ask(lbIp)).toBe('refused');
    emulator.markSeedComplete();
    expect(await ask(lbIp)).toMatch(/^lb-[ab]$/);
  });
});

const emptySpec: VmSpec = { project: PROJECT, zone: `${REGION}-c`, name: '', internalIp: '', diskDir: '', metadataUrl: '' };

describe('external IP of an instance', () => {
  const zone = `${REGION}-d`;
  const natIp = async () => (await instance(zone, 'lb-nat')).networkInterfaces[0]?.accessConfigs[0]?.natIP ?? '';

  it('forwards while the instance is RUNNING and holds the access config', async () => {
    const ip = await natIp();
    expect(ip).toMatch(/^127\.78\.0\.\d+$/);
    expect(await eventually(() => ask(ip), (a) => a === 'lb-nat')).toBe('lb-nat');

    await mutate('POST', `zones/${zone}/instances/lb-nat/deleteAccessConfig?networkInterface=nic0&accessConfig=external-nat`);
    expect(await ask(ip)).toBe('refused');

    // A static address as natIP, the way kube-up gives a single master the cluster's IP.
    await mutate('POST', `regions/${REGION}/addresses`, { name: 'lb-nat-ip' });
    const staticIp = z.object({ address: z.string() }).parse(await api('GET', `regions/${REGION}/addresses/lb-nat-ip`)).address;
    expect(staticIp).toMatch(/^127\.78\.1\.\d+$/);
    await mutate('POST', `zones/${zone}/instances/lb-nat/addAccessConfig?networkInterface=nic0`, { name: 'external-nat', natIP: staticIp });
    expect(await ask(staticIp)).toBe('lb-nat');

    await mutate('POST', `zones/${zone}/instances/lb-nat/stop`);
    expect(await ask(staticIp)).toBe('refused');
    await mutate('POST', `zones/${zone}/instances/lb-nat/start`);
    expect(await eventually(() => ask(staticIp), (a) => a === 'lb-nat')).toBe('lb-nat');
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
    const forwarder = new TcpForwarder(ip, PORT, () => Promise.resolve(undefined), (m) => logs.push(m));
    forwarder.ensureListening();
    await eventually(() => Promise.resolve(logs.length), (n) => n > 0);
    expect(forwarder.listening).toBe(false);
    expect(logs.join('\n')).toMatch(/EADDRINUSE/);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    forwarder.ensureListening();
    expect(await eventually(() => Promise.resolve(forwarder.listening), (l) => l)).toBe(true);
    // No backend: accepted and closed.
    expect(await ask(ip)).toBe('closed');
    forwarder.close();
    expect(await ask(ip)).toBe('refused');
  });
});
