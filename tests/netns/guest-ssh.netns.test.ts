// The sandbox VM's way in, end to end, with stock OpenSSH: a network namespace of its own (as a sandbox
// VM will have), a real sshd and the guest-agent stand-in inside it reading a metadata server this test
// controls, and /usr/bin/ssh from the host. Needs root and iproute2; makes namespace `qguest<pid>`, a
// veth pair on the first /30 of twin net 79's block (198.19.60.0/22, sandbox/compute/ip-plan.ts; no other test
// uses net 79), behind a blackhole route for the whole block, and removes them after. Needs no sandbox, so it
// runs in the netns project: flock /tmp/quorum-heavy.lock npx vitest run --project netns tests/netns/guest-ssh.netns.test.ts

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { z } from 'zod';
import { twinBlock } from '../../sandbox/compute/ip-plan';
import { seedVmAccountFiles } from '../../sandbox/vm/guest-agent';
import { bundleNodeScript } from '../support/bundle-node-script';

const run = promisify(execFile);

const NS = `qguest${process.pid}`;
const VETH_HOST = `qgh${process.pid % 100_000}`;
const VETH_VM = `qgv${process.pid % 100_000}`;
// Net 79 of the twin's plan is this file's own.
const BLOCK = twinBlock(79);
const RANGE = BLOCK.cidr;
const HOST_IP = BLOCK.network.replace(/\.0$/, '.1');
const VM_IP = BLOCK.network.replace(/\.0$/, '.2');
const LOOPBACK_PORT = 4002;
const SANDBOX_ROOT = '/var/lib/quorum-sandbox';
const VM_DIR = path.join(SANDBOX_ROOT, `test-guest-${process.pid}`);

/** Attribute maps that wake the metadata server's held `wait_for_change` requests when edited. */
class WatchedMap extends Map<string, string> {
  override set(k: string, v: string): this {
    super.set(k, v);
    notifyWatchers();
    return this;
  }
  override delete(k: string): boolean {
    const had = super.delete(k);
    notifyWatchers();
    return had;
  }
  override clear(): void {
    super.clear();
    notifyWatchers();
  }
}

// What the test's metadata server answers; the test edits these maps.
const instanceAttrs = new WatchedMap();
const projectAttrs = new WatchedMap();
const guestAttributes = new Map<string, string>();
/** Plain (not held) reads of the attribute maps, to tell polling from watching. */
let attributeReads = 0;
/** Whether the metadata server sends ETags and holds `wait_for_change` requests, as GCE's does. */
let serverWatches = false;
const watchers = new Set<() => void>();
function notifyWatchers(): void {
  for (const check of [...watchers]) check();
}

const HostKey = z.object({ algorithm: z.string(), base64: z.string() });
const HarnessEvent = z.object({
  event: z.string(),
  hostKeys: z.array(HostKey).optional(),
  wasDown: z.boolean().optional(),
});
type HarnessEvent = z.infer<typeof HarnessEvent>;

let clientDir: string;
let knownHosts: string;
let metadataUrl: string;
let metadataServer: http.Server | undefined;
let harness: ChildProcess | undefined;
const harnessLog: string[] = [];
const events: HarnessEvent[] = [];
let madeSandboxRoot = false;
let namespaceMade = false;
let routeMade = false;

type ClientKey = { file: string; publicKey: string };
const keys: Record<string, ClientKey> = {};

async function sh(cmd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(cmd, args);
  return stdout;
}

async function makeKey(name: string): Promise<ClientKey> {
  const file = path.join(clientDir, name);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@test`, '-f', file]);
  const [type, base64] = (await readFile(`${file}.pub`, 'utf8')).trim().split(' ');
  return { file, publicKey: `${type} ${base64}` };
}

function googleKey(user: string, key: ClientKey, expireOn: string): string {
  return `${user}:${key.publicKey} google-ssh {"userName":"${user}","expireOn":"${expireOn}"}`;
}

function sshArgs(user: string, key: ClientKey, extra: string[] = []): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    key.file,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'ConnectTimeout=5',
    ...extra,
    `${user}@${VM_IP}`,
  ];
}

/** Runs `ssh user@vm command`; the exit code, stdout and stderr. */
function ssh(
  user: string,
  key: ClientKey,
  command = 'true',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/ssh', [...sshArgs(user, key), command], { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Tries `ssh` until it gives the wanted result; how long that took. Fails the test past `withinMs`. */
async function sshUntil(user: string, key: ClientKey, want: 'accepted' | 'refused', withinMs: number): Promise<number> {
  const start = Date.now();
  let last = { code: -1, stdout: '', stderr: '' };
  while (Date.now() - start < withinMs) {
    last = await ssh(user, key);
    if (want === 'accepted' && last.code === 0) return Date.now() - start;
    if (want === 'refused' && last.code === 255 && last.stderr.includes('Permission denied')) return Date.now() - start;
    await sleep(100);
  }
  throw new Error(
    `ssh ${user} with ${path.basename(key.file)} not ${want} within ${withinMs} ms; last: exit ${last.code} ${last.stderr.trim()}`,
  );
}

async function waitFor<T>(what: string, probe: () => T | undefined, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function setKeys(target: Map<string, string>, lines: string[]): void {
  if (lines.length) target.set('ssh-keys', lines.join('\n'));
  else target.delete('ssh-keys');
}

function startMetadataServer(): Promise<string> {
  metadataServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: string) => {
      res.writeHead(status, {
        'Content-Type': status === 200 ? 'application/json' : 'text/plain',
        'Metadata-Flavor': 'Google',
      });
      res.end(body);
    };
    if (req.headers['metadata-flavor'] !== 'Google') return send(403, 'Missing Metadata-Flavor\n');
    if (req.socket.remoteAddress !== VM_IP) return send(404, 'not an instance\n');
    const p = url.pathname;
    const map =
      p === '/computeMetadata/v1/instance/attributes/'
        ? instanceAttrs
        : p === '/computeMetadata/v1/project/attributes/'
          ? projectAttrs
          : undefined;
    if (req.method === 'GET' && map) {
      const body = () => JSON.stringify(Object.fromEntries(map));
      const etag = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
      const answer = (text: string) => {
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Metadata-Flavor': 'Google',
          ...(serverWatches ? { ETag: etag(text) } : {}),
        });
        res.end(text);
      };
      const lastEtag = url.searchParams.get('last_etag');
      if (
        !serverWatches ||
        url.searchParams.get('wait_for_change') !== 'true' ||
        !lastEtag ||
        etag(body()) !== lastEtag
      ) {
        attributeReads += 1;
        return answer(body());
      }
      // Held until the map's answer changes or timeout_sec passes, as GCE's server does.
      const done = () => {
        watchers.delete(check);
        clearTimeout(timer);
        answer(body());
      };
      const check = () => {
        if (etag(body()) !== lastEtag) done();
      };
      const timer = setTimeout(done, Number(url.searchParams.get('timeout_sec') ?? 60) * 1000);
      watchers.add(check);
      req.socket.once('close', () => {
        watchers.delete(check);
        clearTimeout(timer);
      });
      return;
    }
    const ga = /^\/computeMetadata\/v1\/instance\/guest-attributes\/(.+)$/.exec(p);
    if (req.method === 'PUT' && ga?.[1]) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        guestAttributes.set(ga[1] ?? '', Buffer.concat(chunks).toString('utf8'));
        send(200, '');
      });
      return;
    }
    send(404, 'Not Found\n');
  });
  return new Promise((resolve) => {
    metadataServer?.listen(0, HOST_IP, () => {
      const { port } = metadataServer?.address() as AddressInfo;
      resolve(`http://${HOST_IP}:${port}/computeMetadata/v1`);
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What a crashed earlier run of this test left: its namespace (its veth goes with it), /etc/netns dir and VM dir. */
async function removeLeftoversOfCrashedRuns(): Promise<void> {
  for (const line of (await sh('ip', 'netns', 'list')).split('\n')) {
    const m = /^qguest(\d+)\b/.exec(line);
    if (!m || alive(Number(m[1]))) continue;
    await sh('ip', 'netns', 'del', `qguest${m[1]}`).catch(() => undefined);
    await rm(`/etc/netns/qguest${m[1]}`, { recursive: true, force: true });
  }
  for (const name of await readdir(SANDBOX_ROOT).catch(() => [] as string[])) {
    const m = /^test-guest-(\d+)$/.exec(name);
    if (m && !alive(Number(m[1]))) await rm(path.join(SANDBOX_ROOT, name), { recursive: true, force: true });
  }
}

async function makeNamespace(): Promise<void> {
  // The blackhole goes in before any address exists, so nothing of the range can leave the machine.
  await sh('ip', 'route', 'replace', 'blackhole', RANGE);
  routeMade = true;
  await sh('ip', 'netns', 'add', NS);
  namespaceMade = true;
  await sh('ip', 'link', 'add', VETH_HOST, 'type', 'veth', 'peer', 'name', VETH_VM);
  await sh('ip', 'link', 'set', VETH_VM, 'netns', NS);
  await sh('ip', 'addr', 'add', `${HOST_IP}/30`, 'dev', VETH_HOST);
  await sh('ip', 'link', 'set', VETH_HOST, 'up');
  await sh('ip', '-n', NS, 'addr', 'add', `${VM_IP}/30`, 'dev', VETH_VM);
  await sh('ip', '-n', NS, 'link', 'set', VETH_VM, 'up');
  await sh('ip', '-n', NS, 'link', 'set', 'lo', 'up');
  // The VM's own account files and hosts, bind-mounted over /etc by `ip netns exec`.
  const etc = `/etc/netns/${NS}`;
  await seedVmAccountFiles(etc);
  await writeFile(`${etc}/hosts`, `127.0.0.1\tlocalhost\n${VM_IP}\tguest-test-vm\n`);
}

async function startHarness(metadataUrl: string): Promise<void> {
  const bundle = await bundleNodeScript(path.resolve('tests/support/guest-vm-harness.ts'));
  const config = {
    metadataUrl,
    diskDir: path.join(VM_DIR, 'disk'),
    homeRoot: path.join(VM_DIR, 'home'),
    loopbackPort: LOOPBACK_PORT,
  };
  const arg = Buffer.from(JSON.stringify(config)).toString('base64');
  harness = spawn(
    'ip',
    ['netns', 'exec', NS, 'unshare', '--pid', '--fork', '--kill-child', '--mount-proc', process.execPath, bundle, arg],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  if (harness.stderr) createInterface({ input: harness.stderr }).on('line', (line) => harnessLog.push(line));
  if (harness.stdout) {
    createInterface({ input: harness.stdout }).on('line', (line) => {
      harnessLog.push(`event: ${line}`);
      const parsed = HarnessEvent.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    });
  }
}

function command(line: string): void {
  harness?.stdin?.write(`${line}\n`);
}

async function stopHarness(): Promise<void> {
  const child = harness;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  command('stop');
  const term = setTimeout(() => child.kill('SIGTERM'), 8_000);
  const kill = setTimeout(() => child.kill('SIGKILL'), 12_000);
  await exited;
  clearTimeout(term);
  clearTimeout(kill);
}

async function setUp(watching: boolean): Promise<void> {
  serverWatches = watching;
  for (const m of [instanceAttrs, projectAttrs, guestAttributes]) m.clear();
  events.length = 0;
  harnessLog.length = 0;
  attributeReads = 0;
  if (process.getuid?.() !== 0)
    throw new Error('guest-ssh.netns.test.ts needs root (network namespaces, sshd); run it as root');
  clientDir = await mkdtemp(path.join(os.tmpdir(), 'quorum-guest-ssh-'));
  knownHosts = path.join(clientDir, 'known_hosts');
  for (const name of ['alice1', 'alice2', 'aliceOwn', 'bob', 'carol']) keys[name] = await makeKey(name);
  await removeLeftoversOfCrashedRuns();
  await mkdir(SANDBOX_ROOT, { recursive: true, mode: 0o755 }).then((made) => {
    madeSandboxRoot = made !== undefined;
  });
  await mkdir(VM_DIR, { mode: 0o755 });
  await makeNamespace();
  metadataUrl = await startMetadataServer();
  await startHarness(metadataUrl);
  await waitFor('the harness to be ready', () => events.find((e) => e.event === 'ready'), 60_000);
}

async function tearDown(): Promise<void> {
  await stopHarness().catch(() => undefined);
  metadataServer?.closeAllConnections();
  await new Promise<void>((resolve) => (metadataServer ? metadataServer.close(() => resolve()) : resolve()));
  metadataServer = undefined;
  if (namespaceMade) await sh('ip', 'netns', 'del', NS).catch(() => undefined);
  if (routeMade) await sh('ip', 'route', 'del', 'blackhole', RANGE).catch(() => undefined);
  namespaceMade = false;
  routeMade = false;
  await rm(`/etc/netns/${NS}`, { recursive: true, force: true });
  await rm(VM_DIR, { recursive: true, force: true });
  if (madeSandboxRoot) await rmdir(SANDBOX_ROOT).catch(() => undefined);
  if (clientDir) await rm(clientDir, { recursive: true, force: true });
}

function key(name: string): ClientKey {
  const k = keys[name];
  if (!k) throw new Error(`no key ${name}`);
  return k;
}

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');

// Both ways the agent learns of changes: polling a server without ETags, and holding wait_for_change
// requests on one that has them (GCE's, and the sandbox's).
describe.each([
  { how: 'polling', watching: false },
  { how: 'wait_for_change', watching: true },
])('a sandbox VM reached with stock OpenSSH (metadata read by $how)', ({ watching }) => {
  beforeAll(() => setUp(watching), 120_000);
  afterAll(() => tearDown(), 60_000);

  it('publishes host keys as guest attributes only once enable-guest-attributes=TRUE', async () => {
    onTestFailed(() => console.log(harnessLog.slice(-80).join('\n')));
    const ready = events.find((e) => e.event === 'ready');
    // 1.5 s with the setting off: nothing published. A polling agent read metadata every ~500 ms
    // meanwhile; a watching one held its requests and read nothing new.
    await sleep(300);
    const readsBefore = attributeReads;
    await sleep(1_500);
    if (watching) expect(attributeReads - readsBefore).toBe(0);
    else expect(attributeReads - readsBefore).toBeGreaterThanOrEqual(4);
    expect([...guestAttributes.keys()]).toEqual([]);
    projectAttrs.set('enable-guest-attributes', 'TRUE');
    await waitFor('three host keys in guest attributes', () => (guestAttributes.size >= 3 ? true : undefined), 5_000);
    expect(Object.fromEntries(guestAttributes)).toEqual(
      Object.fromEntries((ready?.hostKeys ?? []).map((k) => [`hostkeys/${k.algorithm}`, k.base64])),
    );
    expect([...guestAttributes.keys()].sort()).toEqual([
      'hostkeys/ecdsa-sha2-nistp256',
      'hostkeys/ssh-ed25519',
      'hostkeys/ssh-rsa',
    ]);
    // Pinned as a client would pin them from getGuestAttributes: `<address> <type> <base64>`.
    await writeFile(
      knownHosts,
      [...guestAttributes].map(([k, v]) => `${VM_IP} ${k.replace('hostkeys/', '')} ${v}\n`).join(''),
    );
  });

  it('lets a key added in instance metadata log in within about 2 s, as a user the agent made', async () => {
    onTestFailed(() => console.log(harnessLog.slice(-80).join('\n')));
    expect((await ssh('alice', key('alice1'))).code).toBe(255);
    const line = googleKey('alice', key('alice1'), inAnHour());
    setKeys(instanceAttrs, [line]);
    const tookMs = await sshUntil('alice', key('alice1'), 'accepted', 2_500);
    console.log(`alice's key accepted ${tookMs} ms after it was added to metadata`);
    const who = await ssh(
      'alice',
      key('alice1'),
      'id -un; id -Gn; echo $SHELL; stat -c "%a %U %n" ~ ~/.ssh ~/.ssh/authorized_keys; cat ~/.ssh/authorized_keys',
    );
    expect(who.code).toBe(0);
    const lines = who.stdout.trim().split('\n');
    expect(lines[0]).toBe('alice');
    expect(lines[1]?.split(' ')).toContain('google-sudoers');
    expect(lines[2]).toBe('/bin/bash');
    expect(lines.slice(3, 6)).toEqual([
      `700 alice ${VM_DIR}/home/alice`,
      `700 alice ${VM_DIR}/home/alice/.ssh`,
      `600 alice ${VM_DIR}/home/alice/.ssh/authorized_keys`,
    ]);
    // Google's key as the metadata line has it after `alice:`, comment and expiry included.
    expect(lines.slice(6)).toEqual(['# Added by Google', line.slice('alice:'.length)]);
    // The VM's /etc/passwd is its own: the host has no alice.
    expect(await readFile('/etc/passwd', 'utf8')).not.toMatch(/^alice:/m);
    expect(await readFile(`/etc/netns/${NS}/passwd`, 'utf8')).toMatch(
      new RegExp(`^alice:\\*:\\d+:\\d+::${VM_DIR}/home/alice:/bin/bash$`, 'm'),
    );
  });

  it("keeps the user's own key line when it rewrites authorized_keys, and revokes a removed key", async () => {
    onTestFailed(() => console.log(harnessLog.slice(-80).join('\n')));
    const own = `${key('aliceOwn').publicKey} alice's own`;
    expect((await ssh('alice', key('alice1'), `echo "${own}" >> ~/.ssh/authorized_keys`)).code).toBe(0);
    // A second Google key: the agent rewrites the file.
    setKeys(instanceAttrs, [googleKey('alice', key('alice1'), inAnHour()), `alice:${key('alice2').publicKey}`]);
    await sshUntil('alice', key('alice2'), 'accepted', 2_500);
    const file = await ssh('alice', key('aliceOwn'), 'cat ~/.ssh/authorized_keys');
    expect(file.code).toBe(0);
    const lines = file.stdout.trim().split('\n');
    expect(lines[0]).toBe(own);
    expect(lines.filter((l) => l === '# Added by Google')).toHaveLength(2);
    // alice1 leaves the metadata: refused; alice2 and alice's own key still in.
    setKeys(instanceAttrs, [`alice:${key('alice2').publicKey}`]);
    await sshUntil('alice', key('alice1'), 'refused', 2_500);
    expect((await ssh('alice', key('alice2'))).code).toBe(0);
    expect((await ssh('alice', key('aliceOwn'))).code).toBe(0);
  });

  it('refuses a key once its expireOn has passed', async () => {
    onTestFailed(() => console.log(harnessLog.slice(-80).join('\n')));
    const expireOn = new Date(Date.now() + 4_000);
    // The agent's second layout, as gcloud writes it: +0000 without a colon.
    const stamp = expireOn.toISOString().replace(/\.\d+Z$/, '+0000');
    setKeys(instanceAttrs, [`alice:${key('alice2').publicKey}`, googleKey('bob', key('bob'), stamp)]);
    await sshUntil('bob', key('bob'), 'accepted', 2_500);
    expect(Date.now()).toBeLessThan(expireOn.getTime());
    await sleep(Math.max(0, expireOn.getTime() + 1_000 - Date.now()));
    await sshUntil('bob', key('bob'), 'refused', 2_500);
    expect((await ssh('alice', key('alice2'))).code).toBe(0);
  });

  it('honours project keys unless the instance sets block-project-ssh-keys=TRUE', async () => {
    onTestFailed(() => console.log(harnessLog.slice(-80).join('\n')));
    setKeys(projectAttrs, [`carol:${key('carol').publicKey}`]);
    await sshUntil('carol', key('carol'), 'accepted', 2_500);
    instanceAttrs.set('block-project-ssh-keys', 'TRUE');
    await sshUntil('carol', key('carol'), 'refused', 2_500);
    expect((await ssh('alice', key('alice2'))).code).toBe(0);
    instanceAttrs.delete('block-project-ssh-keys');
    await sshUntil('carol', key('carol'), 'accepted', 2_500);
  });

  it("ignores metadata keys with enable-oslogin=TRUE, the instance value overriding the project's", async () => {
    onTestFailed(() => console.log(harnessLog.slice(-80).join('\n')));
    projectAttrs.set('enable-oslogin', 'TRUE');
    await sshUntil('alice', key('alice2'), 'refused', 2_500);
    await sshUntil('carol', key('carol'), 'refused', 2_500);
    // The user's own key is no metadata key: it stays, as on a real VM.
    expect((await ssh('alice', key('aliceOwn'))).code).toBe(0);
    instanceAttrs.set('enable-oslogin', 'FALSE');
    await sshUntil('alice', key('alice2'), 'accepted', 2_500);
    projectAttrs.delete('enable-oslogin');
    instanceAttrs.delete('enable-oslogin');
  });

  it("forwards with ssh -L to a port on the VM's loopback that the host cannot reach directly", async () => {
    onTestFailed(() => console.log(harnessLog.slice(-80).join('\n')));
    const direct = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: VM_IP, port: LOOPBACK_PORT, timeout: 3_000 });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      socket.once('timeout', () => {
        socket.destroy();
        resolve('timeout');
      });
    });
    expect(direct).toBe('ECONNREFUSED');

    const localPort = await freePort();
    const tunnel = spawn(
      '/usr/bin/ssh',
      sshArgs('alice', key('alice2'), [
        '-N',
        '-o',
        'ExitOnForwardFailure=yes',
        '-L',
        `127.0.0.1:${localPort}:127.0.0.1:${LOOPBACK_PORT}`,
      ]),
      { stdio: 'ignore' },
    );
    try {
      const answer = await waitForAsync(async () => readBanner(localPort), 10_000);
      expect(answer).toBe('hello from inside the VM\n');
    } finally {
      tunnel.kill('SIGTERM');
    }
  });

  it('keeps its host keys when sshd restarts on the same disk, and drops open sessions when it stops', async () => {
    onTestFailed(() => console.log(harnessLog.slice(-80).join('\n')));
    const before = events.find((e) => e.event === 'ready')?.hostKeys;
    const session = spawn('/usr/bin/ssh', [...sshArgs('alice', key('alice2')), 'sleep 60'], { stdio: 'ignore' });
    const sessionEnded = new Promise<void>((resolve) => session.once('exit', () => resolve()));
    await sleep(1_000);
    expect(session.exitCode).toBeNull();
    command('restart-sshd');
    const restarted = await waitFor('sshd to restart', () => events.find((e) => e.event === 'sshd-restarted'), 20_000);
    expect(restarted.wasDown).toBe(true);
    expect(restarted.hostKeys?.map((k) => [k.algorithm, k.base64])).toEqual(
      before?.map((k) => [k.algorithm, k.base64]),
    );
    await Promise.race([
      sessionEnded,
      sleep(5_000).then(() => Promise.reject(new Error('the open session outlived sshd'))),
    ]);
    // StrictHostKeyChecking=yes against the keys pinned from guest attributes before the restart.
    const again = await ssh('alice', key('alice2'), 'id -un');
    expect(again.stdout.trim()).toBe('alice');
  });

  it('comes back from a VM restart on the same disk: same host keys, the user recreated with its home and sudo', async () => {
    onTestFailed(() => console.log(harnessLog.slice(-80).join('\n')));
    const before = events.find((e) => e.event === 'ready')?.hostKeys;
    const uidBefore = (await ssh('alice', key('alice2'), 'id -u')).stdout.trim();
    await stopHarness();
    // A new boot: the namespace's account files are seeded afresh from the host's, without alice.
    await seedVmAccountFiles(`/etc/netns/${NS}`);
    expect(await readFile(`/etc/netns/${NS}/passwd`, 'utf8')).not.toMatch(/^alice:/m);
    // A user new to this VM comes first in the metadata, so a fresh id allocation would give alice another uid.
    setKeys(instanceAttrs, [`dave:${key('bob').publicKey}`, `alice:${key('alice2').publicKey}`]);
    events.length = 0;
    await startHarness(metadataUrl);
    const ready = await waitFor('the harness to be ready again', () => events.find((e) => e.event === 'ready'), 60_000);
    expect(ready.hostKeys).toEqual(before);
    await sshUntil('alice', key('alice2'), 'accepted', 3_000);
    const who = await ssh('alice', key('alice2'), 'id -u; id -Gn; cat ~/.ssh/authorized_keys');
    const lines = who.stdout.trim().split('\n');
    expect(lines[0]).toBe(uidBefore);
    expect(lines[1]?.split(' ')).toContain('google-sudoers');
    expect(lines[2]).toBe(`${key('aliceOwn').publicKey} alice's own`);
    expect((await ssh('dave', key('bob'), 'id -un')).stdout.trim()).toBe('dave');
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function readBanner(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    socket.on('data', (c: Buffer) => (data += c.toString('utf8')));
    socket.once('end', () => resolve(data || undefined));
    socket.once('error', () => resolve(undefined));
  });
}

async function waitForAsync<T>(probe: () => Promise<T | undefined>, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(100);
  }
}
