// Acceptance test of issue 10's "no direct path": on the seeded twin nothing on the host reaches a
// master's etcd by its address (main 2379 and events 4002 listen on the VM's own 127.0.0.1, as on a
// kube-up master), while the operator's way in works with tools nobody here wrote: a key published in
// instance metadata the Google way (`user:ssh-ed25519 KEY google-ssh {"userName","expireOn"}`, set with
// instances.setMetadata and the fingerprint), stock OpenSSH `ssh -N -L` to port 22, and etcdctl through
// the forward. prod main speaks mutual TLS (kube-up >= 1.16), prod events and both staging clusters
// (the pre-1.16 layout) plain http; each member list is exactly the instances Compute lists.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { InstancesClient, ZoneOperationsClient, type protos } from '@google-cloud/compute';
import { googleAuthLibrary } from 'google-gax';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { etcdClientPems } from '../support/etcd-client-pems';
import { etcdctlInVm } from '../support/twin-etcdctl';
import { TwinEtcdForwards } from '../support/twin-forward';
import { startWriter } from '../support/write-safety';
import { PROJECT, pollUntil, sandboxPort, writeEtcdctlCerts } from './support';

type IInstance = protos.google.cloud.compute.v1.IInstance;
type IOperation = protos.google.cloud.compute.v1.IOperation;

const run = promisify(execFile);
const USER = 'twinwire';
const CLUSTERS = ['prod-master', 'staging-master'] as const;
const PORTS = { main: 2379, events: 4002 } as const;
const PEER_PORTS = { main: 2380, events: 2381 } as const;

const dir = mkdtempSync(path.join(tmpdir(), 'quorum-twin-wire-'));
const keyFile = path.join(dir, 'id_ed25519');
const knownHosts = path.join(dir, 'known_hosts');
const children = new Set<ChildProcess>();
let instances: InstancesClient;
let zoneOps: ZoneOperationsClient;
let masters: { name: string; zone: string; cluster: (typeof CLUSTERS)[number]; internalIp: string; natIp: string | undefined; metadata: Record<string, string> }[] = [];

const lastSegment = (url: string | null | undefined) => (url ?? '').split('/').pop() ?? '';

async function listMasters() {
  const out: typeof masters = [];
  for await (const [, scoped] of instances.aggregatedListAsync({ project: PROJECT })) {
    for (const i of scoped.instances ?? []) {
      const cluster = CLUSTERS.find((m) => i.name === m || new RegExp(`^${m}-[a-z0-9]{3}$`).test(i.name ?? ''));
      if (!cluster || i.status !== 'RUNNING') continue;
      const nic = i.networkInterfaces?.[0];
      out.push({
        name: String(i.name),
        zone: lastSegment(i.zone),
        cluster,
        internalIp: String(nic?.networkIP),
        natIp: nic?.accessConfigs?.[0]?.natIP ?? undefined,
        metadata: Object.fromEntries((i.metadata?.items ?? []).map((m) => [String(m.key), String(m.value ?? '')])),
      });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Adds `line` to the instance's `ssh-keys` (or removes lines matching `drop`), keeping every other item; retries a 412. */
async function editSshKeys(m: { name: string; zone: string }, edit: (lines: string[]) => string[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const [i]: [IInstance, ...unknown[]] = await instances.get({ project: PROJECT, zone: m.zone, instance: m.name });
    const items = (i.metadata?.items ?? []).map((it) => ({ key: String(it.key), value: String(it.value ?? '') }));
    const current = items.find((it) => it.key === 'ssh-keys')?.value.split('\n').filter((l) => l.trim() !== '') ?? [];
    const next = edit(current);
    const others = items.filter((it) => it.key !== 'ssh-keys');
    try {
      const [op] = await instances.setMetadata({
        project: PROJECT,
        zone: m.zone,
        instance: m.name,
        metadataResource: { fingerprint: i.metadata?.fingerprint, items: next.length > 0 ? [...others, { key: 'ssh-keys', value: next.join('\n') }] : others },
      });
      let done = op.latestResponse as IOperation;
      while (done.status !== 'DONE') [done] = await zoneOps.wait({ project: PROJECT, zone: m.zone, operation: String(done.name) });
      if (done.error) throw new Error(`setMetadata ${m.name}: ${JSON.stringify(done.error)}`);
      return;
    } catch (err) {
      // 412 conditionNotMet: someone else (Quorum's own key publisher) wrote in between; re-read and retry.
      if (attempt < 5 && /412|conditionNotMet|fingerprint/i.test(String(err))) continue;
      throw err;
    }
  }
}

/** How a TCP connect from this host ends: 'connected', or the error code (ECONNREFUSED, ETIMEDOUT, ...). */
function tcpConnect(host: string, port: number, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (result: string) => {
      s.destroy();
      resolve(result);
    };
    s.setTimeout(timeoutMs, () => done('ETIMEDOUT'));
    s.once('connect', () => done('connected'));
    s.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const sshOptions = () => [
  '-i', keyFile,
  '-o', 'IdentitiesOnly=yes',
  '-o', 'BatchMode=yes',
  '-o', 'ConnectTimeout=10',
  // Trust on first use into this test's own known_hosts, as an operator's first `ssh` to a new master does.
  '-o', 'StrictHostKeyChecking=accept-new',
  '-o', `UserKnownHostsFile=${knownHosts}`,
  '-o', 'LogLevel=ERROR',
];

/** `ssh -N -L` to `host`, forwarding a local port to each remote 127.0.0.1 port; resolves once they listen. */
async function sshForward(host: string, remotePorts: readonly number[]): Promise<{ local: number[]; close: () => void }> {
  const local = await Promise.all(remotePorts.map(() => freePort()));
  const args = [...sshOptions(), '-o', 'ExitOnForwardFailure=yes', '-N', ...remotePorts.flatMap((p, i) => ['-L', `127.0.0.1:${local[i]}:127.0.0.1:${p}`]), `${USER}@${host}`];
  const child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  let exited = false;
  child.once('exit', () => {
    exited = true;
    children.delete(child);
  });
  const close = () => {
    if (!exited) child.kill('SIGTERM');
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const states = await Promise.all(local.map((p) => tcpConnect('127.0.0.1', p, 1_000)));
    if (states.every((s) => s === 'connected')) return { local, close };
    if (exited || Date.now() > deadline) {
      close();
      throw new Error(`ssh -L to ${host} did not come up: ${stderr.trim() || 'no forward'}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const memberListSchema = z.object({
  members: z.array(z.object({ name: z.string().default(''), peerURLs: z.array(z.string()).default([]), isLearner: z.boolean().default(false) })),
});

async function etcdctlMembers(url: string, tls: { cacert: string; cert: string; key: string } | null, dialTimeout = '5s') {
  const { stdout } = await run(
    'etcdctl',
    ['--endpoints', url, ...(tls ? ['--cacert', tls.cacert, '--cert', tls.cert, '--key', tls.key] : []), '--dial-timeout', dialTimeout, '--command-timeout', dialTimeout === '5s' ? '10s' : '2s', 'member', 'list', '-w', 'json'],
    { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 },
  );
  // uint64 ids are bare JSON numbers; only names and URLs are read here, so quote long integers first.
  return memberListSchema.parse(JSON.parse(stdout.replace(/([:[,]\s*)(\d{16,})(?=\s*[,\]}])/g, '$1"$2"'))).members;
}

beforeAll(async () => {
  const opts = () => ({ apiEndpoint: '127.0.0.1', port: sandboxPort(), protocol: 'http', fallback: true, authClient: new googleAuthLibrary.PassThroughClient() });
  instances = new InstancesClient(opts());
  zoneOps = new ZoneOperationsClient(opts());
  masters = await listMasters();
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'twin-wire-test', '-f', keyFile]);
  const [type, key] = readFileSync(`${keyFile}.pub`, 'utf8').trim().split(/\s+/);
  const expireOn = new Date(Date.now() + 60 * 60_000).toISOString();
  const line = `${USER}:${type} ${key} google-ssh ${JSON.stringify({ userName: USER, expireOn })}`;
  for (const m of masters) await editSshKeys(m, (lines) => [...lines.filter((l) => !l.startsWith(`${USER}:`)), line]);
  writeFileSync(knownHosts, '');
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  for (const m of masters) await editSshKeys(m, (lines) => lines.filter((l) => !l.startsWith(`${USER}:`))).catch(() => undefined);
  await instances?.close();
  await zoneOps?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the kube-up twin has no direct path to etcd', () => {
  it('seeds both clusters: prod with three replicas, staging with one master holding an external address', () => {
    expect(masters.filter((m) => m.cluster === 'prod-master')).toHaveLength(3);
    const staging = masters.filter((m) => m.cluster === 'staging-master');
    expect(staging).toHaveLength(1);
    expect(staging[0]?.natIp).toBeTruthy();
  });

  it('refuses a TCP connect from the host to 2379 and 4002 of every VM address, internal and external', async () => {
    const tried: string[] = [];
    for (const m of masters) {
      for (const ip of [m.internalIp, ...(m.natIp ? [m.natIp] : [])]) {
        for (const port of [PORTS.main, PORTS.events]) tried.push(`${m.name} ${ip}:${port} ${await tcpConnect(ip, port)}`);
      }
    }
    expect(tried.length).toBeGreaterThanOrEqual(masters.length * 2);
    // Refused, not merely timed out: the VM is up and answers, nothing listens there for the host.
    expect(tried.filter((t) => !t.endsWith(' ECONNREFUSED'))).toEqual([]);
  });

  it('port 22 of every master answers the published key (the guest agent wrote it into authorized_keys)', async () => {
    for (const m of masters) {
      const got = await pollUntil(
        () => run('ssh', [...sshOptions(), `${USER}@${m.internalIp}`, 'id -un; hostname'], { timeout: 20_000 }).then((r) => r.stdout.trim(), (err: unknown) => String(err)),
        (out) => out === `${USER}\n${m.name}`,
        60_000,
        500,
      );
      expect(got, `ssh ${m.name}`).toBe(`${USER}\n${m.name}`);
    }
  });

  it.each(CLUSTERS)('%s: etcdctl through ssh -L lists, in main and in events, exactly the instances Compute lists', async (cluster) => {
    const replicas = masters.filter((m) => m.cluster === cluster);
    const expected = replicas.map((m) => `etcd-${m.name}`).sort();
    const layoutTls = cluster === 'prod-master';
    for (const m of replicas) {
      const pems = layoutTls ? etcdClientPems(m.metadata) : null;
      const tls = pems && {
        cacert: path.join(dir, `${m.name}-ca.crt`),
        cert: path.join(dir, `${m.name}-client.crt`),
        key: path.join(dir, `${m.name}-client.key`),
      };
      if (pems && tls) {
        writeFileSync(tls.cacert, pems.ca);
        writeFileSync(tls.cert, pems.cert);
        writeFileSync(tls.key, pems.key, { mode: 0o600 });
      }
      const fwd = await sshForward(m.internalIp, [PORTS.main, PORTS.events]);
      try {
        const [mainPort, eventsPort] = fwd.local;
        // etcdctl verifies the server as 127.0.0.1, which kube-up's etcd server certificate names.
        const main = await etcdctlMembers(`${layoutTls ? 'https' : 'http'}://127.0.0.1:${mainPort}`, tls);
        const events = await etcdctlMembers(`http://127.0.0.1:${eventsPort}`, null);
        for (const [name, members, peer] of [['main', main, PEER_PORTS.main], ['events', events, PEER_PORTS.events]] as const) {
          expect(members.map((x) => x.name).sort(), `${m.name} ${name} members`).toEqual(expected);
          expect(members.filter((x) => x.isLearner), `${m.name} ${name} learners`).toEqual([]);
          // Peers advertised by instance name, as kube-up does.
          expect(members.flatMap((x) => x.peerURLs).sort(), `${m.name} ${name} peer URLs`).toEqual(replicas.map((r) => `https://${r.name}:${peer}`).sort());
        }
        if (layoutTls) {
          // Mutual TLS on main: plain http on the same forward gets no member list.
          await expect(etcdctlMembers(`http://127.0.0.1:${mainPort}`, null, '1s')).rejects.toThrow();
        } else {
          // The pre-1.16 layout has no ETCD_APISERVER_* at all.
          expect(() => etcdClientPems(m.metadata)).toThrow(/ETCD_APISERVER/);
        }
      } finally {
        fwd.close();
      }
    }
  });

  it("ssh through staging's external IP (natIP forwards :22) reaches the same master and its etcd", async () => {
    const staging = masters.find((m) => m.cluster === 'staging-master');
    if (!staging?.natIp) throw new Error('staging has no external IP');
    const { stdout } = await run('ssh', [...sshOptions(), `${USER}@${staging.natIp}`, 'hostname'], { timeout: 30_000 });
    expect(stdout.trim()).toBe(staging.name);
    const fwd = await sshForward(staging.natIp, [PORTS.main]);
    try {
      expect((await etcdctlMembers(`http://127.0.0.1:${fwd.local[0]}`, null)).map((x) => x.name)).toEqual([`etcd-${staging.name}`]);
    } finally {
      fwd.close();
    }
  });
});

// The tests' own sandbox-only doors into a VM (tests/support): etcdctl inside the VM's namespace for ground
// truth, and a relay into its loopback for the write-safety writer. Checked here against the same facts.
describe("the tests' ground-truth doors reach each VM's own loopback", () => {
  it('etcdctl inside each VM lists the same members as through ssh -L', async () => {
    for (const m of masters) {
      const certs = writeEtcdctlCerts(m.metadata);
      const out = await etcdctlInVm({ net: inject('sandboxNet'), instance: m.name, cluster: 'main' }, certs.tls, ['member', 'list', '-w', 'json']).finally(certs.cleanup);
      expect(certs.tls !== null, `${m.name}: TLS files exactly on prod`).toBe(m.cluster === 'prod-master');
      const members = memberListSchema.parse(JSON.parse(out.replace(/([:[,]\s*)(\d{16,})(?=\s*[,\]}])/g, '$1"$2"'))).members;
      expect(members.map((x) => x.name).sort()).toEqual(masters.filter((r) => r.cluster === m.cluster).map((r) => `etcd-${r.name}`).sort());
    }
  });

  it('the write-safety writer, through a relay into each prod replica, loses no acknowledged write', async () => {
    const forwards = new TwinEtcdForwards(inject('sandboxNet'));
    const prod = masters.filter((m) => m.cluster === 'prod-master');
    const first = prod[0];
    if (!first) throw new Error('no prod replica');
    try {
      const writer = startWriter({ endpoints: () => forwards.endpoints(prod.map((m) => m.name)), tls: etcdClientPems(first.metadata), prefix: `/quorum-it/twin-wire/${Date.now().toString(36)}` });
      await pollUntil(async () => writer.acknowledged, (n) => n >= 30, 20_000, 50);
      const report = await writer.stop();
      expect(report.acknowledged).toBeGreaterThanOrEqual(30);
      expect(report.lost).toEqual([]);
      expect(report.members).toHaveLength(3);
      expect(report.members.map((x) => x.missing)).toEqual([[], [], []]);
    } finally {
      await forwards.close();
    }
  });
});
