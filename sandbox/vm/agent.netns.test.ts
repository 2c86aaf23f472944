// Boots sandbox masters as the kube-up twin runs them (each a network namespace on the twin's bridge with
// its own process, sandbox/vm/namespaced-host.ts wired to a TwinNetwork as sandbox/main.ts wires it) with
// real etcd and real certificates against a fake metadata server on the bridge, and checks with etcdctl (a
// client nobody here wrote, run inside each VM against 127.0.0.1, where kube-up's etcd listens) and over
// mTLS (the API server on the VM's address) what a kube-up master would show.
// Needs root; run alone: `flock /tmp/quorum-heavy.lock npx vitest run --project netns sandbox/vm/agent.netns.test.ts`.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  APISERVER_PORT,
  buildMasterMetadata,
  createClusterPki,
  createReplicaCerts,
  type ClusterPki,
} from '../pki/index';
import { twinRegionSubnet, twinStaticExternalPool } from '../compute/ip-plan';
import { TwinNetwork } from '../net/twin-network';
import { twinNamespaceName } from '../net/twin-plan';
import { createNamespacedVmHost } from './namespaced-host';
import type { VmChaos, VmHost, VmSpec } from './types';

const run = promisify(execFile);

// Net 78 of the twin's plan is this file's own.
const NET = 78;
const twin = new TwinNetwork({ net: NET });
const HOSTS = twinRegionSubnet(NET, 1).hosts;
const ip = (i: number) => HOSTS[i] ?? '';
const MASTER = 'agenttest-master';
const REPLICAS = [
  { name: `${MASTER}-a1b`, internalIp: ip(0), zone: 'europe-west1-b' },
  { name: `${MASTER}-c2d`, internalIp: ip(1), zone: 'europe-west1-c' },
  { name: `${MASTER}-e3f`, internalIp: ip(2), zone: 'europe-west1-d' },
];
const COMPONENTS = ['kube-controller-manager', 'kube-scheduler', 'cluster-autoscaler'];
const LEASE_S = 4;
const STATIC_IP = twinStaticExternalPool(NET)[0] ?? '';

let workDir: string;
let pki: ClusterPki;
let metadataServer: http.Server;
let metadataUrl: string;
let host: VmHost & VmChaos;
let metadataPort: number;
const logs: string[] = [];
const specs = new Map<string, VmSpec>();
// Instance metadata by source address, as the fake metadata server answers it.
const metadataByIp = new Map<string, Map<string, string>>();
/** Instance name by internal IP: which VM's namespace to run etcdctl in. */
const nameByIp = new Map<string, string>();

function nsOfIp(address: string): string {
  const name = nameByIp.get(address);
  if (!name) throw new Error(`no VM has ${address}`);
  return twinNamespaceName(NET, name);
}

/** The VM host as sandbox/main.ts builds it, on this file's twin network. */
function makeHost(): VmHost & VmChaos {
  return createNamespacedVmHost({
    network: {
      addVm: (vm) => twin.addVm(vm),
      removeVm: (ns) => twin.removeVm(ns),
      setHosts: (entries) => twin.setHosts(entries),
      metadataUpstream: { host: twin.metadataIp, port: metadataPort },
      vmRootDir: `/var/lib/quorum-sandbox/net${NET}`,
    },
    log: (msg) => logs.push(`${new Date().toISOString()} ${msg}`),
  });
}

function specOf(name: string): VmSpec {
  const spec = specs.get(name);
  if (!spec) throw new Error(`no spec for ${name}`);
  return spec;
}

async function startFakeMetadataServer(): Promise<void> {
  metadataServer = http.createServer((req, res) => {
    const from = req.socket.remoteAddress ?? '';
    const items = metadataByIp.get(from);
    const url = req.url ?? '';
    if (req.headers['metadata-flavor'] !== 'Google') {
      res.writeHead(403).end('Missing Metadata-Flavor:Google header.');
    } else if (!items) {
      res.writeHead(404).end(`unknown instance ${from}`);
    } else if (url.startsWith('/computeMetadata/v1/instance/attributes/')) {
      const value = items.get(decodeURIComponent(url.slice('/computeMetadata/v1/instance/attributes/'.length)));
      if (value === undefined) res.writeHead(404).end('not found');
      else res.writeHead(200, { 'Content-Type': 'application/text' }).end(value);
    } else {
      res.writeHead(404).end('not found');
    }
  });
  // On the bridge, where the VMs' 169.254.169.254 proxy forwards; the caller is known by its VM's address.
  await new Promise<void>((resolve) => metadataServer.listen(0, twin.metadataIp, resolve));
  metadataPort = (metadataServer.address() as AddressInfo).port;
  metadataUrl = `http://${twin.metadataIp}:${metadataPort}/computeMetadata/v1`;
}

/**
 * etcdctl inside the VM that has `ip`, against its own 127.0.0.1 (kube-up's etcd listens nowhere else):
 * events (4002) is plain http; main mutual TLS verifying 127.0.0.1, which kube-up's server cert names,
 * unless `plain` (the legacy layout's main).
 */
async function etcdctl(ip: string, port: number, args: string[], opts: { plain?: boolean } = {}): Promise<string> {
  const tls = port === 2379 && !opts.plain;
  const { stdout } = await run(
    'ip',
    [
      'netns',
      'exec',
      nsOfIp(ip),
      'etcdctl',
      `--endpoints=${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
      ...(tls
        ? [
            `--cacert=${path.join(workDir, 'etcd-apiserver-ca.crt')}`,
            `--cert=${path.join(workDir, 'client.crt')}`,
            `--key=${path.join(workDir, 'client.key')}`,
          ]
        : []),
      '--dial-timeout=2s',
      '--command-timeout=3s',
      ...args,
    ],
    { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 8_000 },
  );
  return stdout;
}

const memberListSchema = z.object({
  members: z.array(
    z.object({
      name: z.string().optional(),
      peerURLs: z.array(z.string()),
      clientURLs: z.array(z.string()).optional(),
    }),
  ),
});

async function startedMembers(ip: string, port: number): Promise<Array<{ name: string; peer: string }>> {
  const out = memberListSchema.parse(JSON.parse(await etcdctl(ip, port, ['member', 'list', '-w', 'json'])));
  // A member that has not started yet has no name and no client URLs.
  return out.members
    .filter((m) => (m.name ?? '') !== '' && (m.clientURLs ?? []).length > 0)
    .map((m) => ({ name: m.name ?? '', peer: m.peerURLs[0] ?? '' }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Hex member ID by peer URL (a member that has not started yet has no name), from etcdctl's simple
 * output: its JSON holds IDs as numbers beyond 2^53.
 */
async function memberId(ip: string, port: number, peerUrl: string): Promise<string> {
  const out = await etcdctl(ip, port, ['member', 'list']);
  const line = out.split('\n').find((l) => l.split(', ')[3] === peerUrl);
  const id = line?.split(', ')[0];
  if (!id) throw new Error(`no member with peer URL ${peerUrl} in\n${out}`);
  return id;
}

type ApiAnswer = { status: number; body: string };

function api(
  ip: string,
  reqPath: string,
  opts: { method?: string; body?: unknown; clientCert?: boolean } = {},
): Promise<ApiAnswer> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: ip,
        port: APISERVER_PORT,
        path: reqPath,
        method: opts.method ?? 'GET',
        ca: pki.caCert,
        // MASTER_CERT names the static IP and the `kubernetes` names, no replica address (kube-up's).
        servername: 'kubernetes',
        ...(opts.clientCert === false ? {} : { cert: pki.kubecfgCert, key: pki.kubecfgKey }),
        agent: false,
        // Longer than the API server's own 2 s readiness check of etcd, which answers 500 only once that gave up.
        timeout: 5_000,
        headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

async function readyz(ip: string): Promise<string> {
  try {
    const res = await api(ip, '/readyz');
    return res.status === 200 ? res.body : `HTTP ${res.status}: ${res.body}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n${logs.slice(-20).join('\n')}`);
    }
    await sleep(100);
  }
}

const leaseSchema = z.object({
  metadata: z.object({ name: z.string(), resourceVersion: z.string() }),
  spec: z.object({
    holderIdentity: z.string(),
    leaseDurationSeconds: z.number(),
    renewTime: z.string(),
    leaseTransitions: z.number(),
  }),
});
const leaseListSchema = z.object({ kind: z.literal('LeaseList'), items: z.array(leaseSchema) });

async function leaseHolders(ip: string): Promise<Map<string, string>> {
  const res = await api(ip, '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases');
  expect(res.status).toBe(200);
  const list = leaseListSchema.parse(JSON.parse(res.body));
  return new Map(list.items.map((l) => [l.metadata.name, l.spec.holderIdentity.split('_')[0] ?? '']));
}

/** Host pids of the VM's etcd processes (its pidfiles hold pids of the VM's own PID namespace). */
async function pidsOf(name: string): Promise<number[]> {
  // Matched on this run's data directory too: an etcd of another run with the same member name is not ours.
  const { stdout } = await run('pgrep', ['-f', `^etcd --name=etcd-${name} --data-dir=${specOf(name).diskDir}/`]).catch(
    () => ({ stdout: '' }),
  );
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  process.env.SANDBOX_LEASE_DURATION_S = String(LEASE_S);
  await twin.prepare();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'quorum-vm-agent-'));
  pki = await createClusterPki(MASTER, STATIC_IP);
  await startFakeMetadataServer();
  let clientFilesWritten = false;
  for (const replica of REPLICAS) {
    const certs = await createReplicaCerts(pki, replica);
    if (!clientFilesWritten) {
      await writeFile(path.join(workDir, 'etcd-apiserver-ca.crt'), pki.etcdApiserverCaCert);
      await writeFile(path.join(workDir, 'client.crt'), pki.etcdApiserverClientCert);
      await writeFile(path.join(workDir, 'client.key'), pki.etcdApiserverClientKey, { mode: 0o600 });
      clientFilesWritten = true;
    }
    const items = buildMasterMetadata({
      masterName: MASTER,
      clusterName: 'agenttest',
      zone: replica.zone,
      staticIp: STATIC_IP,
      pki,
      certs,
      layout: 'mtls',
      initialEtcdCluster: REPLICAS.map((r) => r.name),
      initialEtcdClusterState: 'new',
      multizone: true,
      quorumReads: true,
    });
    metadataByIp.set(replica.internalIp, new Map(items.map((i) => [i.key, i.value])));
    nameByIp.set(replica.internalIp, replica.name);
    specs.set(replica.name, {
      project: 'sandbox-project',
      zone: replica.zone,
      name: replica.name,
      internalIp: replica.internalIp,
      diskDir: path.join(workDir, 'disks', replica.name),
      metadataUrl,
    });
  }
  host = makeHost();
}, 60_000);

afterAll(async () => {
  await host?.shutdownAll();
  // Debugging aid: AGENT_TEST_LOG=<file> keeps the agents' log.
  if (process.env.AGENT_TEST_LOG) await writeFile(process.env.AGENT_TEST_LOG, logs.join('\n'));
  await new Promise<void>((resolve) => (metadataServer ? metadataServer.close(() => resolve()) : resolve()));
  await twin.teardown();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  delete process.env.SANDBOX_LEASE_DURATION_S;
}, 90_000);

describe('VM agent with real etcd', () => {
  it('boots three masters: etcd main and events form 3-member clusters, API servers get ready', async () => {
    const t0 = Date.now();
    await Promise.all(REPLICAS.map((r) => host.boot(specOf(r.name))));
    const launched = Date.now() - t0;
    for (const r of REPLICAS) expect(host.state(r.name)).toBe('running');

    await waitFor(
      'etcd main healthy on all members',
      async () => {
        for (const r of REPLICAS) await etcdctl(r.internalIp, 2379, ['endpoint', 'health']);
        return true;
      },
      20_000,
    );
    const etcdReady = Date.now() - t0;
    await waitFor(
      '/readyz ok on all replicas',
      async () => {
        const answers = await Promise.all(REPLICAS.map((r) => readyz(r.internalIp)));
        return answers.every((a) => a === 'ok') ? true : undefined;
      },
      10_000,
    );
    const apiReady = Date.now() - t0;
    console.log(`boot of 3 VMs: launched ${launched} ms, etcd main healthy ${etcdReady} ms, /readyz ok ${apiReady} ms`);

    // Peers advertised by instance name (kube-up), resolved through each VM's hosts file.
    const expected = REPLICAS.map((r) => ({ name: `etcd-${r.name}`, host: r.name })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const [port, peerPort] of [
      [2379, 2380],
      [4002, 2381],
    ] as const) {
      const members = await waitFor(
        `3 started members on :${port}`,
        async () => {
          const m = await startedMembers(REPLICAS[0]?.internalIp ?? '', port);
          return m.length === 3 ? m : undefined;
        },
        15_000,
      );
      expect(members).toEqual(expected.map((e) => ({ name: e.name, peer: `https://${e.host}:${peerPort}` })));
    }
  }, 60_000);

  it('API servers require a cluster-CA client cert and serve Kubernetes JSON', async () => {
    const ip = REPLICAS[0]?.internalIp ?? '';
    const anonymous = await api(ip, '/readyz', { clientCert: false });
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Unauthorized',
      code: 401,
    });

    expect((await api(ip, '/livez')).body).toBe('ok');
    expect(JSON.parse((await api(ip, '/version')).body)).toMatchObject({ major: '1' });

    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'agenttest-minion-1', labels: { 'topology.kubernetes.io/zone': 'europe-west1-b' } },
    };
    const created = await api(ip, '/api/v1/nodes', { method: 'POST', body: node });
    expect(created.status).toBe(201);
    const again = await api(ip, '/api/v1/nodes', { method: 'POST', body: node });
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body)).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', code: 409 });
    // Written through replica 1, read through replica 3: one etcd cluster behind every API server.
    const other = REPLICAS[2]?.internalIp ?? '';
    const list = JSON.parse((await api(other, '/api/v1/nodes')).body) as {
      kind: string;
      items: Array<{ metadata: { name: string; labels: Record<string, string> } }>;
    };
    expect(list.kind).toBe('NodeList');
    expect(list.items.map((n) => n.metadata.name)).toContain('agenttest-minion-1');
    expect((await api(other, '/api/v1/nodes/agenttest-minion-1')).status).toBe(200);
    const missing = await api(other, '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/no-such-lease');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    expect(
      (await api(other, '/api/v1/nodes', { method: 'POST', body: { metadata: { name: 'Bad_Name' } } })).status,
    ).toBe(422);
  }, 20_000);

  it('elects exactly one holder per lease, stable while all replicas run', async () => {
    const names = new Set(REPLICAS.map((r) => r.name));
    const first = await waitFor(
      'a holder for every lease',
      async () => {
        const h = await leaseHolders(REPLICAS[0]?.internalIp ?? '');
        return COMPONENTS.every((c) => names.has(h.get(c) ?? '')) ? h : undefined;
      },
      10_000,
    );
    // Every API server reports the same holders, and they do not change over more than a lease duration.
    await sleep(LEASE_S * 1000 + 1_000);
    for (const r of REPLICAS) expect(await leaseHolders(r.internalIp)).toEqual(first);
    const lease = leaseSchema.parse(
      JSON.parse(
        (
          await api(
            REPLICAS[1]?.internalIp ?? '',
            '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler',
          )
        ).body,
      ),
    );
    expect(lease.spec.leaseTransitions).toBe(0);
    expect(lease.spec.leaseDurationSeconds).toBe(LEASE_S);
    expect(lease.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Date.now() - Date.parse(lease.spec.renewTime)).toBeLessThan(LEASE_S * 1000);
    // Each agent's own view agrees: one replica ever became leader of each component.
    for (const c of COMPONENTS)
      expect(
        logs.filter((l) => l.endsWith(`became leader of ${c}`)),
        c,
      ).toHaveLength(1);
  }, 30_000);

  it('stopping the holder of a lease keeps quorum, and the lease moves to a running replica', async () => {
    const holders = await leaseHolders(REPLICAS[0]?.internalIp ?? '');
    const victim = holders.get('kube-controller-manager') ?? '';
    const victimIp = REPLICAS.find((r) => r.name === victim)?.internalIp ?? '';
    const survivors = REPLICAS.filter((r) => r.name !== victim);
    const victimPids = await pidsOf(victim);
    expect(victimPids).toHaveLength(2);

    await host.shutdown(victim);
    expect(host.state(victim)).toBe('stopped');
    expect(victimPids.filter(alive)).toEqual([]);
    // The VM's namespace is gone with it: nothing holds its address any more.
    expect(await readyz(victimIp)).toMatch(/EHOSTUNREACH|timeout/);

    for (const s of survivors) expect(await readyz(s.internalIp)).toBe('ok');
    await etcdctl(survivors[0]?.internalIp ?? '', 2379, ['put', '/quorum-test', 'written-with-one-member-down']);
    await etcdctl(survivors[1]?.internalIp ?? '', 4002, ['put', '/quorum-test', 'events-too']);

    const t0 = Date.now();
    const moved = await waitFor(
      'kube-controller-manager lease to move',
      async () => {
        const h = await leaseHolders(survivors[0]?.internalIp ?? '');
        const now = h.get('kube-controller-manager');
        return now !== undefined && now !== victim ? now : undefined;
      },
      (LEASE_S + 10) * 1000,
    );
    console.log(`lease moved from ${victim} to ${moved} ${Date.now() - t0} ms after shutdown (lease ${LEASE_S} s)`);
    expect(survivors.map((s) => s.name)).toContain(moved);
  }, 40_000);

  it('booting the stopped VM again brings it back on its data', async () => {
    const stopped = REPLICAS.find((r) => host.state(r.name) === 'stopped');
    const running = REPLICAS.find((r) => host.state(r.name) === 'running');
    expect(stopped).toBeDefined();
    const { name, internalIp } = stopped ?? { name: '', internalIp: '' };
    const h = await leaseHolders(running?.internalIp ?? '');
    expect(h.get('kube-controller-manager')).not.toBe(name);

    const t0 = Date.now();
    await host.boot(specOf(name));
    expect(host.state(name)).toBe('running');
    await waitFor(
      `/readyz ok on ${name}`,
      async () => ((await readyz(internalIp)) === 'ok' ? true : undefined),
      15_000,
    );
    console.log(`restart of ${name}: /readyz ok after ${Date.now() - t0} ms`);
    // It caught up on what was written while it was down.
    expect(await etcdctl(internalIp, 2379, ['get', '/quorum-test', '--print-value-only'])).toBe(
      'written-with-one-member-down\n',
    );
    expect(await startedMembers(internalIp, 2379)).toHaveLength(3);
    // /readyz speaks for etcd main only: events rejoins on its own, a moment later on a loaded machine.
    const events = await waitFor(
      `events etcd answering on ${name}`,
      async () => startedMembers(internalIp, 4002),
      10_000,
    );
    expect(events).toHaveLength(3);
  }, 40_000);

  it('a replica added as a learner joins both clusters with INITIAL_ETCD_CLUSTER_STATE=existing', async () => {
    const newcomer = { name: `${MASTER}-g4h`, internalIp: ip(3), zone: 'europe-west1-b' };
    const existing = REPLICAS[0]?.internalIp ?? '';
    nameByIp.set(newcomer.internalIp, newcomer.name);
    const certs = await createReplicaCerts(pki, newcomer);
    const items = buildMasterMetadata({
      masterName: MASTER,
      clusterName: 'agenttest',
      zone: newcomer.zone,
      staticIp: STATIC_IP,
      pki,
      certs,
      layout: 'mtls',
      initialEtcdCluster: [...REPLICAS.map((r) => r.name), newcomer.name],
      initialEtcdClusterState: 'existing',
      multizone: true,
      quorumReads: true,
    });
    metadataByIp.set(newcomer.internalIp, new Map(items.map((i) => [i.key, i.value])));
    specs.set(newcomer.name, {
      project: 'sandbox-project',
      zone: newcomer.zone,
      name: newcomer.name,
      internalIp: newcomer.internalIp,
      diskDir: path.join(workDir, 'disks', newcomer.name),
      metadataUrl,
    });

    // As the dashboard will do it: member first (as a learner), then the VM, then promote.
    const ports = [
      [2379, 2380],
      [4002, 2381],
    ] as const;
    for (const [client, peer] of ports) {
      // etcd refuses reconfiguration for ~5 s after a member (re)connects ("unhealthy cluster"): retry.
      await waitFor(
        `member add on :${client}`,
        async () => {
          await etcdctl(existing, client, [
            'member',
            'add',
            `etcd-${newcomer.name}`,
            `--peer-urls=https://${newcomer.name}:${peer}`,
            '--learner',
          ]);
          return true;
        },
        15_000,
      );
    }
    await host.boot(specOf(newcomer.name));
    expect(host.state(newcomer.name)).toBe('running');
    const ids: string[] = [];
    for (const [client, peer] of ports) {
      const id = await memberId(existing, client, `https://${newcomer.name}:${peer}`);
      ids.push(id);
      await waitFor(
        `promote on :${client}`,
        async () => {
          await etcdctl(existing, client, ['member', 'promote', id]);
          return true;
        },
        20_000,
      );
      expect(await startedMembers(existing, client)).toHaveLength(4);
    }
    await waitFor(
      `/readyz ok on ${newcomer.name}`,
      async () => ((await readyz(newcomer.internalIp)) === 'ok' ? true : undefined),
      15_000,
    );

    // Back to three: stop the VM (4 voters, 3 up: quorum kept), then remove its members.
    await host.shutdown(newcomer.name);
    for (const [i, [client]] of ports.entries()) await etcdctl(existing, client, ['member', 'remove', ids[i] ?? '']);
    for (const [client] of ports) expect(await startedMembers(existing, client)).toHaveLength(3);
  }, 60_000);

  it('an etcd that dies marks its VM failed and its API server unready; booting it again recovers', async () => {
    const { name, internalIp } = REPLICAS[1] ?? { name: '', internalIp: '' };
    const before = await pidsOf(name);
    expect(before).toHaveLength(2);
    // SIGKILL of etcd main, through the VM's process as the chaos controls do it.
    await host.killEtcd(name, ['main']);
    expect((await pidsOf(name)).length).toBe(1);
    await waitFor(`${name} failed`, async () => (host.state(name) === 'failed' ? true : undefined), 5_000);
    const res = await api(internalIp, '/readyz');
    expect(res.status).toBe(500);
    expect(res.body).toContain('[-]etcd failed');
    expect((await api(internalIp, '/livez')).body).toBe('ok');
    expect(logs.some((l) => l.includes(`${name}: etcd main exited (signal SIGKILL)`))).toBe(true);

    // Booting it again is a reset of the VM (its process ends, then boots on the same disk), as instances.reset does.
    await host.shutdown(name);
    await host.boot(specOf(name));
    expect(host.state(name)).toBe('running');
    await waitFor(
      `/readyz ok on ${name}`,
      async () => ((await readyz(internalIp)) === 'ok' ? true : undefined),
      15_000,
    );
  }, 60_000);

  it('a VM whose metadata is unreadable or unusable is marked failed without throwing', async () => {
    // The same VM host (one per sandbox, as in main.ts); the metadata client retries ~10 s before it gives up.
    const failingHost = host;
    const base = { project: 'sandbox-project', zone: 'europe-west1-b', metadataUrl };
    // Unknown to the metadata server (no instance has this address).
    const unknown: VmSpec = {
      ...base,
      name: 'unknown-vm',
      internalIp: ip(9),
      diskDir: path.join(workDir, 'disks', 'unknown-vm'),
    };
    // Known, but its kube-env lacks the certificates.
    metadataByIp.set(
      ip(8),
      new Map([
        ['kube-env', "INITIAL_ETCD_CLUSTER: 'broken-vm'\n"],
        ['kube-master-certs', ''],
      ]),
    );
    const broken: VmSpec = {
      ...base,
      name: 'broken-vm',
      internalIp: ip(8),
      diskDir: path.join(workDir, 'disks', 'broken-vm'),
    };
    for (const [n, a] of [
      ['unknown-vm', ip(9)],
      ['broken-vm', ip(8)],
      ['plain-vm', ip(7)],
    ] as const)
      nameByIp.set(a, n);
    // Complete, but its peer cert is plain base64 where configure-helper runs `base64 --decode | gunzip`.
    const plain = await createReplicaCerts(pki, { name: 'plain-vm', internalIp: ip(7) });
    const plainItems = buildMasterMetadata({
      masterName: 'plain-master',
      clusterName: 'plain',
      zone: 'europe-west1-b',
      staticIp: STATIC_IP,
      pki,
      certs: plain,
      layout: 'mtls',
      initialEtcdCluster: ['plain-vm'],
      initialEtcdClusterState: 'new',
      multizone: true,
      quorumReads: true,
    });
    const plainMetadata = new Map(plainItems.map((i) => [i.key, i.value]));
    plainMetadata.set(
      'kube-env',
      (plainMetadata.get('kube-env') ?? '').replace(
        /^ETCD_PEER_CERT: '.*'$/m,
        `ETCD_PEER_CERT: '${Buffer.from(plain.etcdPeerCert).toString('base64')}'`,
      ),
    );
    metadataByIp.set(ip(7), plainMetadata);
    const ungzipped: VmSpec = {
      ...base,
      name: 'plain-vm',
      internalIp: ip(7),
      diskDir: path.join(workDir, 'disks', 'plain-vm'),
    };

    await expect(
      Promise.all([failingHost.boot(unknown), failingHost.boot(broken), failingHost.boot(ungzipped)]),
    ).resolves.toBeDefined();
    expect(failingHost.state('unknown-vm')).toBe('failed');
    expect(failingHost.state('broken-vm')).toBe('failed');
    expect(failingHost.state('plain-vm')).toBe('failed');
    expect(logs.some((l) => l.includes('unknown-vm: boot failed: GET') && l.includes('HTTP 404'))).toBe(true);
    expect(
      logs.some((l) => l.includes('broken-vm: boot failed: metadata kube-env is not usable') && l.includes('CA_CERT')),
    ).toBe(true);
    expect(
      logs.some((l) => l.includes('plain-vm: boot failed: metadata kube-env is not usable: ETCD_PEER_CERT: not gzip')),
    ).toBe(true);
    expect(await readyPort(ip(8), 2379)).toBe(false);
    expect(await readyPort(ip(7), 2379)).toBe(false);
    expect(await readyPort(ip(7), 4002)).toBe(false);
    await Promise.all(['unknown-vm', 'broken-vm', 'plain-vm'].map((name) => failingHost.shutdown(name)));
    expect(failingHost.state('broken-vm')).toBe('stopped');
  }, 90_000);

  it('serves reads member-local without quorum reads, through the leader with them', async () => {
    // Two 2-member clusters, one with quorum reads off and one with them on; each loses a member (and quorum).
    const lonelyHost = host;
    // reads off: an HA-era cluster (plain http etcd, ETCD_QUORUM_READ=false); reads on: current kube-up (mTLS, no setting).
    const clusters = [
      { master: 'reads-off-master', quorumReads: false, layout: 'legacy' as const, ips: [ip(20), ip(21)] },
      { master: 'reads-on-master', quorumReads: true, layout: 'mtls' as const, ips: [ip(22), ip(23)] },
    ];
    const members = clusters.flatMap((c) => c.ips.map((ip, i) => ({ ...c, name: `${c.master}-${'ab'[i]}`, ip })));
    for (const m of members) {
      nameByIp.set(m.ip, m.name);
    }
    const bootSpec = (m: (typeof members)[number]): VmSpec => ({
      project: 'sandbox-project',
      zone: 'europe-west1-b',
      name: m.name,
      internalIp: m.ip,
      diskDir: path.join(workDir, 'disks', m.name),
      metadataUrl,
    });
    for (const m of members) {
      const certs = await createReplicaCerts(pki, { name: m.name, internalIp: m.ip });
      const items = buildMasterMetadata({
        masterName: m.master,
        clusterName: m.master,
        zone: 'europe-west1-b',
        staticIp: STATIC_IP,
        pki,
        certs,
        layout: m.layout,
        initialEtcdCluster: members.filter((o) => o.master === m.master).map((o) => o.name),
        initialEtcdClusterState: 'new',
        multizone: true,
        quorumReads: m.quorumReads,
      });
      metadataByIp.set(m.ip, new Map(items.map((i) => [i.key, i.value])));
    }
    try {
      await Promise.all(members.map((m) => lonelyHost.boot(bootSpec(m))));
      const [off, on] = clusters.map((c) => c.ips[0] ?? '');
      const node = { metadata: { name: 'reads-node' } };
      for (const ip of [off, on]) {
        await waitFor(
          `/readyz ok on ${ip}`,
          async () => ((await readyz(ip ?? '')) === 'ok' ? true : undefined),
          15_000,
        );
        expect((await api(ip ?? '', '/api/v1/nodes', { method: 'POST', body: node })).status).toBe(201);
      }
      // The legacy layout serves etcd main over plain http; the current one only over mutual TLS.
      const plainMain = (address: string) =>
        etcdctl(address, 2379, ['member', 'list'], { plain: true }).then(
          () => true,
          () => false,
        );
      expect(await plainMain(off ?? '')).toBe(true);
      expect(await plainMain(on ?? '')).toBe(false);
      await Promise.all(members.filter((o) => o.name.endsWith('-b')).map((m) => lonelyHost.shutdown(m.name)));

      // Without quorum: the member-local read still answers (possibly stale), the quorum read cannot.
      const offList = await api(off ?? '', '/api/v1/nodes');
      expect(offList.status).toBe(200);
      expect(JSON.parse(offList.body)).toMatchObject({
        kind: 'NodeList',
        items: [{ metadata: { name: 'reads-node' } }],
      });
      const onList = await api(on ?? '', '/api/v1/nodes');
      expect([500, 504]).toContain(onList.status);
      expect(JSON.parse(onList.body)).toMatchObject({ kind: 'Status', status: 'Failure' });
      // Readiness needs a quorum whatever the read mode.
      for (const ip of [off, on]) expect((await api(ip ?? '', '/readyz')).status).toBe(500);
    } finally {
      await Promise.all(members.map((m) => lonelyHost.shutdown(m.name)));
    }
  }, 120_000);

  it('after every VM stopped, the masters boot again on their disks and keep the data', async () => {
    // (What a crashed sandbox leaves behind, processes in a VM's namespace, is ended by the twin's network
    // itself, see sandbox/net/twin-network.netns.test.ts; the agent's own pidfile sweep has no orphans here.)
    const name = REPLICAS[0]?.name ?? '';
    await host.shutdownAll();
    for (const r of REPLICAS) expect(host.state(r.name)).toBe('stopped');
    expect((await Promise.all(REPLICAS.map((r) => pidsOf(r.name)))).flat()).toEqual([]);

    await Promise.all(REPLICAS.map((r) => host.boot(specOf(r.name))));
    for (const r of REPLICAS) expect(host.state(r.name)).toBe('running');
    await waitFor(
      '/readyz ok everywhere after restart',
      async () => {
        const answers = await Promise.all(REPLICAS.map((r) => readyz(r.internalIp)));
        return answers.every((a) => a === 'ok') ? true : undefined;
      },
      30_000,
    );
    const nodes = JSON.parse((await api(specOf(name).internalIp, '/api/v1/nodes')).body) as {
      items: Array<{ metadata: { name: string } }>;
    };
    expect(nodes.items.map((n) => n.metadata.name)).toContain('agenttest-minion-1');

    const pids = (await Promise.all(REPLICAS.map((r) => pidsOf(r.name)))).flat();
    expect(pids).toHaveLength(6);
    await host.shutdownAll();
    expect(pids.filter(alive)).toEqual([]);
  }, 240_000);
});

/** Whether something accepts on 127.0.0.1:`port` inside the VM that has `ip` (bash's /dev/tcp there). */
function readyPort(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', nsOfIp(ip), 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`],
      (err) => resolve(!err),
    );
  });
}
