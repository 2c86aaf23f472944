// Quorum's reach (lib/adapters/reach) against a real OpenSSH sshd and real etcd on this machine: the
// instance is a Compute emulator instance (in-process) whose `ssh-keys` a guest-agent stand-in turns into
// sshd's authorized keys, as the guest agent does on a master. Two loopback addresses of one sshd play the
// instance's internal and external IPs; etcd listens on 127.0.0.1, reached only through the SSH forward.
// Needs root (sshd); run under the lock: flock /tmp/quorum-heavy.lock npx vitest run --project integration tests/integration/reach-ssh.test.ts
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeGceClients, createGceClients, GceCompute, type GceClients } from '@/lib/adapters/gce/gce-compute';
import { HttpsKubeApi } from '@/lib/adapters/kube/https-kube-api';
import { loadOrCreateClientKey, type ClientKey } from '@/lib/adapters/reach/client-key';
import { parseSshKeyLine } from '@/lib/adapters/reach/ssh-keys';
import { SshReach, type SshReachOptions } from '@/lib/adapters/reach/ssh-reach';
import { SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { createCa, importSigner, issueLeaf } from '@/lib/pki/x509';
import { ReachError, type ReachTarget } from '@/lib/ports/reach';
import { startEmulator, type Emulator } from '@/sandbox/compute/emulator';
import { startComputeFront, type ComputeFront } from '../support/compute-front';
import { IdleVmHost } from '../support/idle-vm-host';
import { freePort, startSshd, type LocalSshd } from '../support/local-sshd';

const PROJECT = 'reach-ssh-project';
const ZONE = 'europe-west1-b';
const INSTANCE = 'kubernetes-master';
/** An account every Debian has: sshd needs a real passwd entry; forwarding needs no shell or home. */
const USER = 'nobody';
const INTERNAL = '127.0.0.2';
const EXTERNAL = '127.0.0.3';

let dir: string;
let emulator: Emulator;
let gce: GceClients;
let compute: GceCompute;
/** The emulator behind a front that answers instances.getGuestAttributes: this file's instance has no VM to publish its host keys. */
let front: ComputeFront;
let frontGce: GceClients;
let frontCompute: GceCompute;
let store: SqliteStore;
let sshd: LocalSshd;
let sshPort: number;
let target: ReachTarget;
let quorumKey: ClientKey;
const etcds: ChildProcess[] = [];
const reaches: SshReach[] = [];

const hostKeyFile = () => path.join(dir, 'ssh_host_ed25519_key');
const authorizedKeysDir = () => path.join(dir, 'authorized_keys');

function sshKeygenHostKey(): string {
  rmSync(hostKeyFile(), { force: true });
  rmSync(`${hostKeyFile()}.pub`, { force: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKeyFile()]);
  return (
    execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKeyFile()}.pub`], { encoding: 'utf8' }).split(
      /\s+/,
    )[1] ?? ''
  );
}

async function startTestSshd(): Promise<LocalSshd> {
  return startSshd({
    dir,
    addresses: [INTERNAL, EXTERNAL],
    port: sshPort,
    hostKeyFile: hostKeyFile(),
    authorizedKeysFile: `${authorizedKeysDir()}/%u`,
  });
}

/** The guest agent's part: each user's unexpired keys from the instance's `ssh-keys`, into sshd's authorized keys. */
async function guestAgentSync(): Promise<void> {
  const info = await compute.getInstance(PROJECT, ZONE, INSTANCE);
  const byUser = new Map<string, string[]>();
  for (const line of (info?.metadata['ssh-keys'] ?? '').split('\n')) {
    const k = parseSshKeyLine(line);
    if (!k || (k.expireOn !== null && k.expireOn.getTime() <= Date.now())) continue;
    byUser.set(k.user, [...(byUser.get(k.user) ?? []), `${k.type} ${k.key} # Added by Google`]);
  }
  rmSync(authorizedKeysDir(), { recursive: true, force: true });
  mkdirSync(authorizedKeysDir(), { recursive: true, mode: 0o755 });
  // sshd reads authorized keys as the user logging in; here files stay root's, so they must be world-readable.
  for (const [user, keys] of byUser)
    writeFileSync(path.join(authorizedKeysDir(), user), `${keys.join('\n')}\n`, { mode: 0o644 });
}

async function startEtcd(name: string, tls: { cert: string; key: string; ca: string } | null): Promise<number> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const dataDir = path.join(dir, `etcd-${name}`);
  const scheme = tls ? 'https' : 'http';
  const args = [
    '--name',
    name,
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    `${scheme}://127.0.0.1:${clientPort}`,
    '--advertise-client-urls',
    `${scheme}://127.0.0.1:${clientPort}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${peerPort}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${peerPort}`,
    '--initial-cluster',
    `${name}=http://127.0.0.1:${peerPort}`,
  ];
  if (tls) {
    const files = {
      cert: path.join(dir, `${name}.crt`),
      key: path.join(dir, `${name}.key`),
      ca: path.join(dir, `${name}-ca.crt`),
    };
    writeFileSync(files.cert, tls.cert);
    writeFileSync(files.key, tls.key, { mode: 0o600 });
    writeFileSync(files.ca, tls.ca);
    args.push('--cert-file', files.cert, '--key-file', files.key, '--trusted-ca-file', files.ca, '--client-cert-auth');
  }
  const child = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  etcds.push(child);
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => (log += c));
  const deadline = Date.now() + 20_000;
  while (!log.includes('ready to serve client requests')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`etcd ${name} did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return clientPort;
}

function reach(over: Partial<SshReachOptions> = {}): SshReach {
  const r = new SshReach({
    compute,
    pins: store,
    clientKey: quorumKey,
    user: USER,
    address: 'internal',
    sshPort,
    connectTimeoutMs: 1_500,
    authGraceMs: 5_000,
    backoffInitialMs: 100,
    backoffMaxMs: 400,
    ...over,
  });
  reaches.push(r);
  return r;
}

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<ReachError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ReachError);
  return e as ReachError;
}

/** Dials the local endpoint and resolves how the connection ended: with data, or closed without any. */
function dialOnce(socketPath: string): Promise<'closed' | 'data'> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once('data', () => {
      resolve('data');
      s.destroy();
    });
    s.once('close', () => resolve('closed'));
    s.once('error', () => {});
  });
}

async function memberNames(client: Etcd3): Promise<string[]> {
  const res = await client.cluster.memberList({});
  return res.members.map((m) => m.name);
}

let plainPort: number;
let tlsPort: number;
let tlsClient: { ca: string; cert: string; key: string };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'quorum-reach-ssh-'));
  // sshd reads the authorized keys below it as the user logging in.
  chmodSync(dir, 0o755);
  // The emulator's data dir is private (0700, as the sandbox keeps it): a folder of its own, not sshd's.
  emulator = await startEmulator({
    dataDir: path.join(dir, 'emulator'),
    port: 0,
    net: 62,
    opDelayMs: 20,
    bootDelayMs: 0,
    lbDelayMs: 0,
    waitTimeoutMs: 5_000,
    vmHost: new IdleVmHost(),
    log: () => {},
  });
  gce = createGceClients({ kind: 'sandbox', port: emulator.port });
  compute = new GceCompute(gce, 5_000);
  front = await startComputeFront(emulator.port);
  frontGce = createGceClients({ kind: 'sandbox', port: front.port });
  frontCompute = new GceCompute(frontGce, 5_000);
  await compute.insertInstance({
    project: PROJECT,
    zone: ZONE,
    name: INSTANCE,
    machineType: 'n1-standard-1',
    tags: ['kubernetes-master'],
    metadata: [
      { key: 'kube-env', value: 'KUBERNETES_MASTER_NAME: "203.0.113.9"\n' },
      {
        key: 'ssh-keys',
        value: 'alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7Qh7b0aXo0d3Uu6vZxW0l8j9fZc5Vb7m5Zc1f9p0Yx alice@laptop',
      },
    ],
    externalIp: 'ephemeral',
  });
  const info = await compute.getInstance(PROJECT, ZONE, INSTANCE);
  const [raw] = await gce.instances.get({ project: PROJECT, zone: ZONE, instance: INSTANCE });
  if (!info || !raw.id) throw new Error('instance not created');
  // The emulator's addresses are not on this machine; the two loopback addresses of the test sshd stand for them.
  target = {
    project: PROJECT,
    zone: ZONE,
    instance: INSTANCE,
    instanceId: String(raw.id),
    internalIp: INTERNAL,
    externalIp: EXTERNAL,
  };

  store = await new SqliteStore(':memory:').open();
  quorumKey = loadOrCreateClientKey(path.join(dir, 'quorum-data'));
  sshPort = await freePort();
  sshKeygenHostKey();
  mkdirSync(authorizedKeysDir(), { recursive: true });
  sshd = await startTestSshd();

  const ca = await createCa('etcd-apiserver-ca');
  const signer = await importSigner(ca.cert, ca.key, 'ca');
  const server = await issueLeaf(signer, {
    commonName: '127.0.0.1',
    usages: ['serverAuth', 'clientAuth'],
    ips: ['127.0.0.1'],
    dnsNames: [`etcd-${INSTANCE}`, 'localhost'],
  });
  const client = await issueLeaf(signer, { commonName: 'client', usages: ['clientAuth'] });
  tlsClient = { ca: ca.cert, cert: client.cert, key: client.key };
  [plainPort, tlsPort] = await Promise.all([
    startEtcd('plain', null),
    startEtcd('tls', { cert: server.cert, key: server.key, ca: ca.cert }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all(reaches.map((r) => r.close()));
  for (const e of etcds) e.kill('SIGKILL');
  await sshd?.stop();
  await closeGceClients(gce);
  await closeGceClients(frontGce);
  await front?.close();
  await emulator?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SshReach through OpenSSH', () => {
  it('publishes its key, gets in once the guest agent took it up, and lists etcd members through the forward (plain and TLS)', async () => {
    const r = reach();
    // The guest agent takes the new key up a moment after Compute has it; Quorum retries its login meanwhile.
    const agent = setTimeout(() => void guestAgentSync(), 800);
    const plain = await r.forward(target, plainPort);
    clearTimeout(agent);
    // A Unix socket in a directory only this user may enter: no other local user can use Quorum's way in.
    expect(statSync(plain.socketPath).isSocket()).toBe(true);
    expect(statSync(path.dirname(plain.socketPath)).mode & 0o777).toBe(0o700);
    const published = (await compute.getInstance(PROJECT, ZONE, INSTANCE))?.metadata['ssh-keys'] ?? '';
    expect(published).toContain(
      `${USER}:${quorumKey.publicKey.type} ${quorumKey.publicKey.key} google-ssh {"userName":"${USER}","expireOn":"`,
    );
    expect(published).toContain('alice:ssh-ed25519');

    const etcdPlain = new Etcd3({ hosts: `unix:${plain.socketPath}` });
    try {
      expect(await memberNames(etcdPlain)).toEqual(['plain']);
    } finally {
      etcdPlain.close();
    }

    const tls = await r.forward(target, tlsPort);
    // Verified against IP 127.0.0.1 (where etcd listens on the replica), as kube-up's etcd server cert covers it.
    const etcdTls = new Etcd3({
      hosts: `unix:${tls.socketPath}`,
      credentials: {
        rootCertificate: Buffer.from(tlsClient.ca),
        certChain: Buffer.from(tlsClient.cert),
        privateKey: Buffer.from(tlsClient.key),
      },
      grpcOptions: { 'grpc.ssl_target_name_override': '127.0.0.1' },
    });
    // ...and against the name etcd-<instance>, for certificates that name the member instead.
    const etcdTlsByName = new Etcd3({
      hosts: `unix:${tls.socketPath}`,
      credentials: {
        rootCertificate: Buffer.from(tlsClient.ca),
        certChain: Buffer.from(tlsClient.cert),
        privateKey: Buffer.from(tlsClient.key),
      },
      grpcOptions: {
        'grpc.ssl_target_name_override': `etcd-${INSTANCE}`,
        'grpc.default_authority': `etcd-${INSTANCE}`,
      },
    });
    try {
      expect(await memberNames(etcdTls)).toEqual(['tls']);
      expect(await memberNames(etcdTlsByName)).toEqual(['tls']);
    } finally {
      etcdTls.close();
      etcdTlsByName.close();
    }
    expect(r.lastError(target, plainPort)).toBeNull();
    const pin = await store.hostKeyPin(target.instanceId);
    expect(pin).toMatchObject({ source: 'first-use', keyType: 'ssh-ed25519' });
  });

  it("reaches an HTTPS API server on the replica's loopback with server name `kubernetes` and a client certificate, through Quorum's Kubernetes adapter", async () => {
    // kube-up's serving cert covers the static IP and the kubernetes names, not 127.0.0.1: verified by name.
    const ca = await createCa('kubernetes-ca');
    const signer = await importSigner(ca.cert, ca.key, 'ca');
    const serving = await issueLeaf(signer, {
      commonName: '203.0.113.9',
      usages: ['serverAuth'],
      ips: ['203.0.113.9', '10.0.0.1'],
      dnsNames: ['kubernetes', 'kubernetes.default'],
    });
    const admin = await issueLeaf(signer, {
      commonName: 'admin',
      organization: 'system:masters',
      usages: ['clientAuth'],
    });
    const seen: string[] = [];
    const apiserver = https.createServer(
      { key: serving.key, cert: serving.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        seen.push(`${req.method} ${req.url}`);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'NodeList',
            apiVersion: 'v1',
            metadata: {},
            items: [{ metadata: { name: 'node-a' } }],
          }),
        );
      },
    );
    await new Promise<void>((resolve) => apiserver.listen(0, '127.0.0.1', resolve));
    try {
      const remotePort = (apiserver.address() as net.AddressInfo).port;
      // Quorum's own Kubernetes adapter on this reach: it dials the forward's socket and checks `kubernetes`.
      const kube = new HttpsKubeApi(reach());
      try {
        const nodes = await kube.nodes(
          { target, port: remotePort },
          { caCert: ca.cert, clientCert: admin.cert, clientKey: admin.key },
          3_000,
        );
        expect(nodes.map((n) => n.name)).toEqual(['node-a']);
      } finally {
        kube.close();
      }
      expect(seen).toEqual(['GET /api/v1/nodes']);
    } finally {
      apiserver.closeAllConnections();
      await new Promise((resolve) => apiserver.close(resolve));
    }
  });

  it('asks again, on a new connection, when the API server closes a kept-alive connection as a GET goes out on it', async () => {
    const ca = await createCa('kubernetes-ca');
    const signer = await importSigner(ca.cert, ca.key, 'ca');
    const serving = await issueLeaf(signer, {
      commonName: 'kubernetes',
      usages: ['serverAuth'],
      dnsNames: ['kubernetes'],
    });
    const admin = await issueLeaf(signer, {
      commonName: 'admin',
      organization: 'system:masters',
      usages: ['clientAuth'],
    });
    // Each connection answers its first request and drops the second unanswered: what a server closing an idle
    // kept-alive connection looks like to the client that just sent on it.
    const seen: string[] = [];
    const served = new WeakMap<object, number>();
    const apiserver = https.createServer(
      { key: serving.key, cert: serving.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const n = (served.get(req.socket) ?? 0) + 1;
        served.set(req.socket, n);
        seen.push(`${req.url} #${n}`);
        if (n > 1) return req.socket.destroy();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name: 'a' } }] }),
        );
      },
    );
    await new Promise<void>((resolve) => apiserver.listen(0, '127.0.0.1', resolve));
    try {
      const port = (apiserver.address() as net.AddressInfo).port;
      const kube = new HttpsKubeApi(reach());
      const creds = { caCert: ca.cert, clientCert: admin.cert, clientKey: admin.key };
      try {
        for (let i = 0; i < 3; i++)
          expect((await kube.nodes({ target, port }, creds, 3_000)).map((n) => n.name)).toEqual(['a']);
      } finally {
        kube.close();
      }
      // The second and third GETs each went out on the kept-alive connection, were dropped, and were asked again.
      expect(seen).toEqual([
        '/api/v1/nodes #1',
        '/api/v1/nodes #2',
        '/api/v1/nodes #1',
        '/api/v1/nodes #2',
        '/api/v1/nodes #1',
      ]);
    } finally {
      apiserver.closeAllConnections();
      await new Promise((resolve) => apiserver.close(resolve));
    }
  });

  it('reuses one SSH connection for every forward and call, and one socket per remote port', async () => {
    const before = sshd.lines(/Connection from .* on 127\.0\.0\.[23] port/).length;
    const r = reach();
    const first = await r.forward(target, plainPort);
    const again = await r.forward(target, plainPort);
    const tls = await r.forward(target, tlsPort);
    expect(again.socketPath).toBe(first.socketPath);
    expect(tls.socketPath).not.toBe(first.socketPath);
    const clients = [0, 1, 2].map(() => new Etcd3({ hosts: `unix:${first.socketPath}` }));
    try {
      for (let i = 0; i < 3; i++) for (const c of clients) expect(await memberNames(c)).toEqual(['plain']);
    } finally {
      for (const c of clients) c.close();
    }
    expect(sshd.lines(/Connection from .* on 127\.0\.0\.[23] port/).length - before).toBe(1);
  });

  it('still gets in while Compute is unreachable, when its key is in place and the host key pinned', async () => {
    const deadGce = createGceClients({ kind: 'sandbox', port: 1 });
    try {
      const r = reach({ compute: new GceCompute(deadGce, 1_000) });
      const etcd = new Etcd3({ hosts: `unix:${(await r.forward(target, plainPort)).socketPath}` });
      try {
        expect(await memberNames(etcd)).toEqual(['plain']);
      } finally {
        etcd.close();
      }
    } finally {
      await closeGceClients(deadGce);
    }
  });

  it('dials the internal or the external address, as set', async () => {
    const linesFor = (addr: string) =>
      sshd.lines(new RegExp(`Connection from .* on ${addr.replaceAll('.', '\\.')} port`)).length;
    const [internalBefore, externalBefore] = [linesFor(INTERNAL), linesFor(EXTERNAL)];
    await reach({ address: 'external' }).forward(target, plainPort);
    expect([linesFor(INTERNAL) - internalBefore, linesFor(EXTERNAL) - externalBefore]).toEqual([0, 1]);
    await reach({ address: 'internal' }).forward(target, plainPort);
    expect([linesFor(INTERNAL) - internalBefore, linesFor(EXTERNAL) - externalBefore]).toEqual([1, 1]);
    const noExternal = await rejection(
      reach({ address: 'external' }).forward({ ...target, externalIp: null }, plainPort),
    );
    expect(noExternal).toMatchObject({ code: 'NoAddress', accessProblem: true });
  });

  it('reports a closed remote port as ServiceDown, not as an access problem', async () => {
    const closedPort = await freePort();
    const r = reach();
    const ep = await r.forward(target, closedPort);
    expect(await dialOnce(ep.socketPath)).toBe('closed');
    await expect.poll(() => r.lastError(target, closedPort)?.code).toBe('ServiceDown');
    expect(r.lastError(target, closedPort)?.accessProblem).toBe(false);
    // The SSH connection itself is fine: another port through it still works.
    const etcd = new Etcd3({ hosts: `unix:${(await r.forward(target, plainPort)).socketPath}` });
    try {
      expect(await memberNames(etcd)).toEqual(['plain']);
    } finally {
      etcd.close();
    }
  });

  it('reports a key sshd does not take as SshAuthRefused', async () => {
    // Another Quorum (its own key) publishes too, but the guest agent never takes its key up.
    const other = loadOrCreateClientKey(path.join(dir, 'other-quorum'));
    const e = await rejection(reach({ clientKey: other, authGraceMs: 1_000 }).forward(target, plainPort));
    expect(e).toMatchObject({ code: 'SshAuthRefused', accessProblem: true });
    expect(sshd.log()).toContain(`Failed publickey for ${USER}`);
  });

  it('reports a silent port 22 as SshUnreachable within the connect timeout', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, INTERNAL, resolve));
    try {
      const address = silent.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      const started = Date.now();
      const e = await rejection(reach({ sshPort: address.port, connectTimeoutMs: 800 }).forward(target, plainPort));
      expect(e).toMatchObject({ code: 'SshUnreachable', accessProblem: true });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      silent.close();
    }
  });

  it('drops a connection that stops answering keepalives, reports it, and connects again on the next use', async () => {
    const r = reach({ keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
    const others = new Set(sshd.connectionPids());
    const ep = await r.forward(target, plainPort);
    const first = new Etcd3({ hosts: `unix:${ep.socketPath}` });
    try {
      expect(await memberNames(first)).toEqual(['plain']);
    } finally {
      // Closed, so that nothing dials (and reconnects) while the connection is frozen.
      first.close();
    }
    // Freeze this connection's sshd processes: TCP stays up, SSH answers nothing.
    const frozen = sshd.connectionPids().filter((p) => !others.has(p));
    expect(frozen.length).toBeGreaterThan(0);
    for (const p of frozen) process.kill(p, 'SIGSTOP');
    try {
      await expect.poll(() => r.lastError(target, plainPort)?.code, { timeout: 5_000 }).toBe('SshUnreachable');
      expect(r.lastError(target, plainPort)?.message).toContain('Keepalive timeout');
    } finally {
      for (const p of frozen) process.kill(p, 'SIGKILL');
    }
    const second = new Etcd3({ hosts: `unix:${ep.socketPath}` });
    try {
      expect(await memberNames(second)).toEqual(['plain']);
      expect(r.lastError(target, plainPort)).toBeNull();
    } finally {
      second.close();
    }
  });

  it('reconnects through the same socket after sshd restarts', async () => {
    const r = reach();
    const ep = await r.forward(target, plainPort);
    const etcd = new Etcd3({ hosts: `unix:${ep.socketPath}` });
    try {
      expect(await memberNames(etcd)).toEqual(['plain']);
      await sshd.stop();
      expect(await dialOnce(ep.socketPath)).toBe('closed');
      await expect.poll(() => r.lastError(target, plainPort)?.code).toBe('SshUnreachable');
      sshd = await startTestSshd();
      // The same endpoint works again once sshd is back; the client built on it is kept.
      await expect.poll(() => memberNames(etcd).catch(() => []), { timeout: 15_000, interval: 300 }).toEqual(['plain']);
      expect((await r.forward(target, plainPort)).socketPath).toBe(ep.socketPath);
      expect(r.lastError(target, plainPort)).toBeNull();
    } finally {
      etcd.close();
    }
  });

  it("tells onLost when the replica's side closes a forwarded connection or the SSH connection, never when Quorum closes its own", async () => {
    const lost: Array<string> = [];
    const accepted: net.Socket[] = [];
    const service = net.createServer((s) => {
      accepted.push(s);
      s.write('hello');
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    const address = service.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const r = reach({ onLost: (t, port) => lost.push(`${t.instance}:${port ?? 'ssh'}`) });
    try {
      const ep = await r.forward(target, address.port);
      // Quorum's side closes: no loss.
      const mine = net.connect(ep.socketPath);
      await new Promise((resolve) => mine.once('data', resolve));
      mine.destroy();
      await expect.poll(() => accepted.at(-1)?.closed).toBe(true);
      // The service closes (an etcd that exited): a loss on that port.
      const theirs = net.connect(ep.socketPath);
      theirs.on('error', () => {});
      await new Promise((resolve) => theirs.once('data', resolve));
      accepted.at(-1)?.destroy();
      await expect.poll(() => lost).toEqual([`${INSTANCE}:${address.port}`]);
      // sshd goes away under an open connection: a loss of the SSH connection.
      await sshd.stop();
      await expect.poll(() => lost).toEqual([`${INSTANCE}:${address.port}`, `${INSTANCE}:ssh`]);
    } finally {
      service.close();
      sshd = await startTestSshd();
    }
    // Released on purpose: no loss.
    const again = reach({ onLost: (t, port) => lost.push(`again ${t.instance}:${port ?? 'ssh'}`) });
    await again.forward(target, plainPort);
    await again.release(target);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lost).toHaveLength(2);
  });

  it('reports sshd stopped as SshUnreachable within the connect timeout', async () => {
    await sshd.stop();
    try {
      const started = Date.now();
      const e = await rejection(reach().forward(target, plainPort));
      expect(e).toMatchObject({ code: 'SshUnreachable', accessProblem: true });
      expect(e.message).toContain('ECONNREFUSED');
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      sshd = await startTestSshd();
    }
  });

  it('notices a key removed from the metadata while the connection stays open, by a fresh login, and publishes the key again at once', async () => {
    const r = reach({ loginCheckMs: 300 });
    const ep = await r.forward(target, plainPort);
    const etcd = new Etcd3({ hosts: `unix:${ep.socketPath}` });
    const quorumLine = `${USER}:${quorumKey.publicKey.type} ${quorumKey.publicKey.key}`;
    try {
      expect(await memberNames(etcd)).toEqual(['plain']);
      // By hand, as an operator would: Quorum's line dropped, every other item kept; the guest agent revokes it.
      const before = await compute.getInstance(PROJECT, ZONE, INSTANCE);
      if (!before?.metadataFingerprint) throw new Error('no metadata fingerprint');
      const items = Object.entries(before.metadata).map(([key, value]) => ({
        key,
        value:
          key === 'ssh-keys'
            ? value
                .split('\n')
                .filter((l) => !l.startsWith(quorumLine))
                .join('\n')
            : value,
      }));
      await compute.setInstanceMetadata(PROJECT, ZONE, INSTANCE, items, before.metadataFingerprint);
      await guestAgentSync();
      // sshd keeps the open session; the next fresh login is refused and the connection dropped.
      await expect
        .poll(() => r.lastError(target, plainPort)?.code, { timeout: 3_000, interval: 50 })
        .toBe('SshAuthRefused');
      expect(await rejection(r.forward(target, plainPort))).toMatchObject({
        code: 'SshAuthRefused',
        accessProblem: true,
      });
      // Quorum read the metadata again at once and wrote its key back (not after its 5 min re-check).
      await expect
        .poll(async () => (await compute.getInstance(PROJECT, ZONE, INSTANCE))?.metadata['ssh-keys'] ?? '', {
          timeout: 3_000,
          interval: 100,
        })
        .toContain(quorumLine);
      await guestAgentSync();
      await expect.poll(() => memberNames(etcd).catch(() => []), { timeout: 10_000, interval: 200 }).toEqual(['plain']);
      expect(r.lastError(target, plainPort)).toBeNull();
    } finally {
      etcd.close();
      // Its 300 ms login checks would otherwise go on logging in while the next test counts sshd's logins.
      await r.close();
    }
  });

  it('checks the host key against the keys the instance publishes in guest attributes, and pins the one that matches', async () => {
    const guestAttributesPath = `/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/${INSTANCE}/getGuestAttributes`;
    const hostKey = readFileSync(`${hostKeyFile()}.pub`, 'utf8').split(/\s+/)[1] ?? '';
    const otherKey = readFileSync(path.join(dir, 'quorum-data', 'ssh', 'id_ed25519.pub'), 'utf8').split(/\s+/)[1] ?? '';
    // What the guest agent writes: hostkeys/<type> = the public key blob.
    const publishing = (blob: string) => ({
      status: 200,
      body: {
        kind: 'compute#guestAttributes',
        queryPath: 'hostkeys/',
        queryValue: { items: [{ namespace: 'hostkeys', key: 'ssh-ed25519', value: blob }] },
      },
    });
    // The earlier tests' reaches check their logins every 30 s: closed, so sshd's log counts only this test's logins.
    await Promise.all(reaches.splice(0).map((r) => r.close()));
    try {
      // Another instance id: nothing pinned yet for it, so the published keys decide.
      front.answer(guestAttributesPath, publishing(otherKey));
      // A login check already under way when those reaches closed may still land: count once sshd's log is still.
      let acceptedBefore = -1;
      while (acceptedBefore !== sshd.lines(/Accepted publickey/).length) {
        acceptedBefore = sshd.lines(/Accepted publickey/).length;
        await new Promise((resolve) => setTimeout(resolve, 700));
      }
      const unknown = await rejection(
        reach({ compute: frontCompute }).forward({ ...target, instanceId: 'published-mismatch' }, plainPort),
      );
      expect(unknown).toMatchObject({ code: 'HostKeyUnknown', accessProblem: true });
      expect(sshd.lines(/Accepted publickey/).length).toBe(acceptedBefore);
      expect(await store.hostKeyPin('published-mismatch')).toBeNull();

      front.answer(guestAttributesPath, publishing(hostKey));
      await reach({ compute: frontCompute }).forward({ ...target, instanceId: 'published-match' }, plainPort);
      expect(await store.hostKeyPin('published-match')).toMatchObject({ source: 'guest-attributes', key: hostKey });
    } finally {
      front.answer(guestAttributesPath, null);
    }
  });

  it('refuses a replaced host key with both fingerprints, and logs in nowhere', async () => {
    const pinned = await store.hostKeyPin(target.instanceId);
    expect(pinned).not.toBeNull();
    await sshd.stop();
    const newFingerprint = sshKeygenHostKey();
    sshd = await startTestSshd();
    const e = await rejection(reach().forward(target, plainPort));
    expect(e).toMatchObject({
      code: 'HostKeyChanged',
      accessProblem: true,
      details: { pinnedFingerprint: pinned?.fingerprint, presentedFingerprint: newFingerprint },
    });
    expect(e.message).toContain(newFingerprint);
    // The pin stays; sshd saw no login (the key exchange was cut before authentication).
    expect((await store.hostKeyPin(target.instanceId))?.fingerprint).toBe(pinned?.fingerprint);
    expect(sshd.lines(/Accepted publickey/)).toEqual([]);
    if (!pinned) throw new Error('no pin');

    // An admin trusts the new key: only the key the host presents now, only if it is the one the admin was shown.
    const r = reach();
    const madeUp = `SHA256:${'x'.repeat(43)}`;
    expect(
      await r.trustPresentedHostKey(target, { pinnedFingerprint: pinned.fingerprint, presentedFingerprint: madeUp }),
    ).toEqual({
      ok: false,
      reason: 'PresentedKeyDiffers',
      presentedFingerprint: newFingerprint,
      pinnedFingerprint: pinned.fingerprint,
    });
    expect(
      await r.trustPresentedHostKey(target, { pinnedFingerprint: madeUp, presentedFingerprint: newFingerprint }),
    ).toEqual({
      ok: false,
      reason: 'PinChanged',
      presentedFingerprint: null,
      pinnedFingerprint: pinned.fingerprint,
    });
    expect(await store.hostKeyPin(target.instanceId)).toEqual(pinned);
    expect(sshd.lines(/Accepted publickey/)).toEqual([]);
    expect(
      await r.trustPresentedHostKey(target, {
        pinnedFingerprint: pinned.fingerprint,
        presentedFingerprint: newFingerprint,
      }),
    ).toEqual({ ok: true, fingerprint: newFingerprint });
    expect(await store.hostKeyPin(target.instanceId)).toMatchObject({
      fingerprint: newFingerprint,
      source: 'admin',
      keyType: 'ssh-ed25519',
    });
    // The pin is now the new key: a second trust of the old one is refused as stale.
    expect(
      await r.trustPresentedHostKey(target, {
        pinnedFingerprint: pinned.fingerprint,
        presentedFingerprint: newFingerprint,
      }),
    ).toMatchObject({ ok: false, reason: 'PinChanged' });
    await r.forward(target, plainPort);
    expect(r.lastError(target, plainPort)).toBeNull();
  });
});
