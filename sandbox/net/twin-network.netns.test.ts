// The twin's network on the real kernel: namespaces, a bridge, routes, real TCP servers in the VMs.
// Needs root; run alone: `flock /tmp/quorum-heavy.lock npx vitest run --project netns`.
// Nets 99 (most tests) and 98 (crashes) are this file's own.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  twinBlock,
  twinEphemeralExternalPool,
  twinExternalRange,
  twinInBlock,
  twinLoadBalancerHostIp,
  twinMetadataHostIp,
  twinRegionSubnet,
} from '../compute/ip-plan';
import {
  listIpv4Addresses,
  listLinks,
  listNamespaces,
  listRoutes,
  listRulePriorities,
  namespacePids,
  runIp,
} from './ip-command';
import { janitorPidFile } from './twin-janitor';
import { outcome, probeFrom, probeFromHost, startHostServer, startServerIn } from './twin-netns-probe';
import { NETNS_ETC, TwinNetwork } from './twin-network';
import {
  renderTwinResolvConf,
  twinBridgeName,
  twinNamespacePrefix,
  twinRulePriority,
  twinVethPrefix,
} from './twin-plan';

const NET = 99;
const CRASH_NET = 98;
const PORT = 7000;
const HOST_PORT = 7100;
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./twin-crash-fixture.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

const eu = twinRegionSubnet(NET, 1);
const us = twinRegionSubnet(NET, 2);
const VMS = {
  b1: { key: 'vm-b1', internalIp: eu.hosts[0] ?? '', zone: 'europe-west1-b' },
  c1: { key: 'vm-c1', internalIp: eu.hosts[1] ?? '', zone: 'europe-west1-c' },
  a1: { key: 'vm-a1', internalIp: us.hosts[0] ?? '', zone: 'us-central1-a' },
};
type VmName = keyof typeof VMS;
const EXTERNAL = twinEphemeralExternalPool(NET)[0] ?? '';
const METADATA = twinMetadataHostIp(NET);
const LOAD_BALANCER = twinLoadBalancerHostIp(NET);

async function netState(net: number) {
  const prefix = twinNamespacePrefix(net);
  const block = twinBlock(net).cidr;
  return {
    namespaces: (await listNamespaces()).filter((n) => n.startsWith(prefix)),
    links: (await listLinks()).filter((l) => l === twinBridgeName(net) || l.startsWith(`qv${net}-`)),
    etc: existsSync(NETNS_ETC) ? readdirSync(NETNS_ETC).filter((d) => d.startsWith(prefix)) : [],
    blackhole: (await listRoutes()).some((r) => r.dst === block && r.type === 'blackhole'),
    externalRoute: (await listRoutes('local')).some((r) => r.dst === twinExternalRange(net) && r.type === 'local'),
    rule: (await listRulePriorities()).includes(twinRulePriority(net)),
    addresses: (await listIpv4Addresses()).filter((a) => twinInBlock(net, a.ip)),
  };
}

const EMPTY = {
  namespaces: [],
  links: [],
  etc: [],
  blackhole: false,
  externalRoute: false,
  rule: false,
  addresses: [],
};

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('TwinNetwork on real namespaces', () => {
  const twin = new TwinNetwork({ net: NET });
  const ns = {} as Record<VmName, string>;
  const servers: ChildProcess[] = [];
  const hostServers: Server[] = [];
  let monitorLines: string[] = [];

  beforeAll(async () => {
    // Watch the kernel's route and link events while prepare runs: the blackhole route must come first.
    const monitor = spawn('ip', ['monitor', 'route', 'link', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    monitor.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await twin.prepare();
    for (const [name, spec] of Object.entries(VMS) as [VmName, (typeof VMS)[VmName]][])
      ns[name] = (await twin.addVm(spec)).ns;
    await new Promise((resolve) => setTimeout(resolve, 200));
    monitor.kill();
    // `ip monitor` sees the whole machine; other sandboxes (integration, e2e) make links and routes meanwhile.
    const ours = (l: string): boolean =>
      l.includes(twinBridgeName(NET)) ||
      l.includes(twinVethPrefix(NET)) ||
      (l.match(/\d+\.\d+\.\d+\.\d+/g) ?? []).some((ip) => twinInBlock(NET, ip));
    monitorLines = seen.split('\n').filter((l) => l.trim() !== '' && ours(l));
    await twin.addHostAddress(EXTERNAL);
    await twin.setHosts(Object.entries(VMS).map(([name, s]) => ({ ip: s.internalIp, names: [`vm-${name}`] })));
    for (const name of Object.keys(VMS) as VmName[]) servers.push(await startServerIn(ns[name], name, PORT));
    hostServers.push(await startHostServer(METADATA, HOST_PORT, 'metadata'));
    hostServers.push(await startHostServer(eu.gateway, HOST_PORT, 'dashboard'));
    hostServers.push(await startHostServer(us.gateway, HOST_PORT, 'dashboard'));
    hostServers.push(await startHostServer(EXTERNAL, HOST_PORT, 'external'));
  });

  afterAll(async () => {
    for (const s of hostServers) s.close();
    await twin.teardown();
  });

  it('installs the blackhole route for the whole block before any link or address', async () => {
    expect(monitorLines[0]).toMatch(new RegExp(`^blackhole ${twinBlock(NET).cidr.replace(/\./g, '\\.')}`));
    expect(monitorLines.some((l) => l.includes(twinBridgeName(NET)))).toBe(true);
    const state = await netState(NET);
    expect(state.blackhole).toBe(true);
    expect(state.externalRoute).toBe(true);
    expect(state.rule).toBe(true);
    expect(state.namespaces.sort()).toEqual(Object.values(ns).sort());
  });

  it('lets VMs of both regions reach each other by IP and by name (hosts file)', async () => {
    const results = await Promise.all([
      probeFrom(ns.b1, VMS.a1.internalIp, PORT),
      probeFrom(ns.a1, VMS.b1.internalIp, PORT),
      probeFrom(ns.b1, 'vm-a1', PORT),
      probeFrom(ns.a1, 'vm-c1', PORT),
      probeFrom(ns.c1, 'vm-b1', PORT),
    ]);
    expect(results.map(outcome)).toEqual(['a1', 'b1', 'a1', 'c1', 'b1']);
  });

  it("resolves names as GCE's metadata DNS does: instance names, and an unknown name fails at once, not after a time-out", async () => {
    const getent = (name: string) =>
      new Promise<{ code: number | null; out: string; ms: number }>((resolve) => {
        const t0 = Date.now();
        execFile('ip', ['netns', 'exec', ns.b1, 'getent', 'hosts', name], (error, stdout) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout, ms: Date.now() - t0 }),
        );
      });
    const inside = await new Promise<string>((resolve, reject) =>
      execFile('ip', ['netns', 'exec', ns.b1, 'cat', '/etc/resolv.conf'], (e, out) => (e ? reject(e) : resolve(out))),
    );
    expect(inside).toBe(renderTwinResolvConf());
    expect(inside).toMatch(/^nameserver 169\.254\.169\.254$/m);
    const known = await getent('vm-a1');
    expect(known.out).toContain(VMS.a1.internalIp);
    // A replica's name before its instance exists (etcd dials a member added as a learner first): no answer to wait for.
    const unknown = await getent('vm-not-yet-created');
    expect(unknown.code).not.toBe(0);
    expect(unknown.ms).toBeLessThan(1_000);
  });

  it('lets the host reach every VM, and every VM the metadata, gateway and external addresses', async () => {
    const results = await Promise.all([
      ...(Object.keys(VMS) as VmName[]).map((n) => probeFromHost(VMS[n].internalIp, PORT)),
      probeFrom(ns.a1, METADATA, HOST_PORT),
      probeFrom(ns.b1, eu.gateway, HOST_PORT),
      probeFrom(ns.a1, us.gateway, HOST_PORT),
      probeFrom(ns.c1, EXTERNAL, HOST_PORT),
    ]);
    expect(results.map(outcome)).toEqual(['b1', 'c1', 'a1', 'metadata', 'dashboard', 'dashboard', 'external']);
  });

  it("takes an external address into use and out again without changing the host's addresses (a browser here would abort its requests)", async () => {
    const spare = twinEphemeralExternalPool(NET)[1] ?? '';
    const monitor = spawn('ip', ['monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    monitor.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await twin.addHostAddress(spare);
    const server = await startHostServer(spare, HOST_PORT, 'spare');
    const whileInUse = await probeFrom(ns.b1, spare, HOST_PORT);
    server.close();
    await twin.removeHostAddress(spare);
    await new Promise((resolve) => setTimeout(resolve, 200));
    monitor.kill();
    expect(outcome(whileInUse)).toBe('spare');
    const ours = seen
      .split('\n')
      .filter((l) => (l.match(/\d+\.\d+\.\d+\.\d+/g) ?? []).some((ip) => twinInBlock(NET, ip)));
    expect(ours).toEqual([]);
    expect((await listIpv4Addresses()).map((a) => a.ip)).not.toContain(spare);
    // Nobody listens on an address out of use: the host refuses at once.
    expect(outcome(await probeFromHost(spare, HOST_PORT))).toBe('refused');
  });

  it('gives the VMs and the bridge no IPv6 address, so no path escapes the faults', async () => {
    expect(await runIp(['-n', ns.b1, '-6', 'addr', 'show', 'dev', 'eth0'])).toBe('');
    expect(await runIp(['-6', 'addr', 'show', 'dev', twinBridgeName(NET)])).toBe('');
  });

  it('gives each VM 169.254.169.254 on its loopback and a default route via its region gateway', async () => {
    expect(await runIp(['-n', ns.a1, '-4', 'addr', 'show', 'dev', 'lo'])).toMatch(/inet 169\.254\.169\.254\/32/);
    expect(await runIp(['-n', ns.a1, 'route', 'show', 'default'])).toMatch(
      new RegExp(`default via ${us.gateway.replace(/\./g, '\\.')} dev eth0`),
    );
  });

  it('tells a refused port (RST) from silence, so the fault checks below mean something', async () => {
    const [fromVm, fromHost] = await Promise.all([
      probeFrom(ns.b1, VMS.a1.internalIp, 7999),
      probeFromHost(VMS.a1.internalIp, 7999),
    ]);
    expect([outcome(fromVm), outcome(fromHost)]).toEqual(['refused', 'refused']);
  });

  it('routes nothing of the block beyond the bridge, and nothing from the VMs off the machine', async () => {
    // An unused address of the block hits the blackhole: the host never sends the packet.
    expect(outcome(await probeFromHost(twinRegionSubnet(NET, 3).hosts[0] ?? '', PORT))).toBe('error EINVAL');
    // A VM's packet for the world reaches the host (its gateway) and is dropped there, silently.
    expect(outcome(await probeFrom(ns.b1, '192.0.2.1', 80))).toBe('timeout');
    await expect(
      runIp(['route', 'get', '192.0.2.1', 'from', VMS.b1.internalIp, 'iif', twinBridgeName(NET)]),
    ).rejects.toThrow(/No route to host|Invalid argument/);
  });

  it('rewrites /etc/hosts in place: a running process sees a new instance', async () => {
    await twin.setHosts([
      ...Object.entries(VMS).map(([name, s]) => ({ ip: s.internalIp, names: [`vm-${name}`] })),
      { ip: us.hosts[5] ?? '', names: ['newcomer'] },
    ]);
    const r = await probeFromHost(VMS.b1.internalIp, PORT);
    expect(r.kind === 'answer' && r.text).toMatch(
      new RegExp(`${(us.hosts[5] ?? '').replace(/\./g, '\\.')}\\tnewcomer`),
    );
    expect(r.kind === 'answer' && r.text).toMatch(/169\.254\.169\.254\tmetadata\.google\.internal metadata/);
  });

  it('zone down: the zone is silent both ways, its processes keep running, and it comes back', async () => {
    await twin.setZoneDown('europe-west1-c', true);
    const during = await Promise.all([
      probeFrom(ns.b1, VMS.c1.internalIp, PORT),
      probeFromHost(VMS.c1.internalIp, PORT),
      probeFrom(ns.c1, METADATA, HOST_PORT),
      probeFrom(ns.c1, VMS.a1.internalIp, PORT),
      probeFrom(ns.b1, VMS.a1.internalIp, PORT),
      probeFromHost(VMS.b1.internalIp, PORT),
    ]);
    expect(during.map(outcome)).toEqual(['timeout', 'timeout', 'timeout', 'timeout', 'a1', 'b1']);
    const c1Server = servers[1];
    expect(c1Server?.pid !== undefined && alive(c1Server.pid)).toBe(true);
    await twin.setZoneDown('europe-west1-c', false);
    const after = await Promise.all([
      probeFrom(ns.b1, VMS.c1.internalIp, PORT),
      probeFromHost(VMS.c1.internalIp, PORT),
      probeFrom(ns.c1, METADATA, HOST_PORT),
    ]);
    expect(after.map(outcome)).toEqual(['c1', 'c1', 'metadata']);
  });

  it('zone down applies to a VM added while the zone is down', async () => {
    await twin.setZoneDown('europe-west1-c', true);
    const late = await twin.addVm({ key: 'vm-c2', internalIp: eu.hosts[2] ?? '', zone: 'europe-west1-c' });
    await startServerIn(late.ns, 'c2', PORT);
    expect(outcome(await probeFromHost(eu.hosts[2] ?? '', PORT))).toBe('timeout');
    await twin.setZoneDown('europe-west1-c', false);
    expect(outcome(await probeFromHost(eu.hosts[2] ?? '', PORT))).toBe('c2');
    await twin.removeVm(late.ns);
  });

  it('partition b|a: the two zones lose each other silently, both keep the host and the third zone', async () => {
    await twin.setPartition('europe-west1-b', 'us-central1-a', true);
    const during = await Promise.all([
      probeFrom(ns.b1, VMS.a1.internalIp, PORT),
      probeFrom(ns.a1, 'vm-b1', PORT),
      probeFrom(ns.b1, VMS.c1.internalIp, PORT),
      probeFrom(ns.a1, VMS.c1.internalIp, PORT),
      probeFrom(ns.b1, METADATA, HOST_PORT),
      probeFrom(ns.a1, us.gateway, HOST_PORT),
      probeFromHost(VMS.a1.internalIp, PORT),
      probeFromHost(VMS.b1.internalIp, PORT),
    ]);
    expect(during.map(outcome)).toEqual(['timeout', 'timeout', 'c1', 'c1', 'metadata', 'dashboard', 'a1', 'b1']);
    await twin.setPartition('us-central1-a', 'europe-west1-b', false);
    const after = await Promise.all([probeFrom(ns.b1, VMS.a1.internalIp, PORT), probeFrom(ns.a1, 'vm-b1', PORT)]);
    expect(after.map(outcome)).toEqual(['a1', 'b1']);
  });

  it("dashboard cut off a zone: host and zone lose each other silently; peers and the cloud's addresses stay", async () => {
    await twin.setDashboardCut('us-central1-a', true);
    const during = await Promise.all([
      probeFromHost(VMS.a1.internalIp, PORT),
      probeFrom(ns.a1, us.gateway, HOST_PORT),
      probeFrom(ns.a1, eu.gateway, HOST_PORT),
      probeFrom(ns.a1, METADATA, HOST_PORT),
      probeFrom(ns.a1, EXTERNAL, HOST_PORT),
      // The load balancer's forwarders connect from their own address and still reach the zone.
      probeFromHost(VMS.a1.internalIp, PORT, 2_500, LOAD_BALANCER),
      probeFrom(ns.a1, VMS.b1.internalIp, PORT),
      probeFrom(ns.b1, VMS.a1.internalIp, PORT),
      probeFromHost(VMS.b1.internalIp, PORT),
    ]);
    expect(during.map(outcome)).toEqual([
      'timeout',
      'timeout',
      'timeout',
      'metadata',
      'external',
      'a1',
      'b1',
      'a1',
      'b1',
    ]);
    await twin.clearFaults();
    const after = await Promise.all([probeFromHost(VMS.a1.internalIp, PORT), probeFrom(ns.a1, us.gateway, HOST_PORT)]);
    expect(after.map(outcome)).toEqual(['a1', 'dashboard']);
  });

  it('removeVm kills the processes inside and removes namespace, link and /etc/netns', async () => {
    const c1Server = servers[1];
    await twin.removeVm(ns.c1);
    expect(c1Server?.pid !== undefined && alive(c1Server.pid)).toBe(false);
    expect(await listNamespaces()).not.toContain(ns.c1);
    expect(existsSync(path.join(NETNS_ETC, ns.c1))).toBe(false);
    expect(outcome(await probeFrom(ns.b1, VMS.c1.internalIp, PORT))).toBe('timeout');
    expect(outcome(await probeFrom(ns.b1, VMS.a1.internalIp, PORT))).toBe('a1');
  });

  it('teardown removes everything, the blackhole route included', async () => {
    const pids = (await Promise.all(Object.values(ns).map(namespacePids))).flat();
    await twin.teardown();
    expect(await netState(NET)).toEqual(EMPTY);
    expect(pids.filter(alive)).toEqual([]);
    await twin.prepare(); // afterAll tears down again; a second prepare must work on a clean host
    expect((await netState(NET)).blackhole).toBe(true);
  });
});

describe('clean-up after a crash (net 98)', () => {
  async function startFixture(
    viaWrapper: boolean,
    ownGroup = false,
  ): Promise<{ proc: ChildProcess; ns: string; sleeper: number }> {
    const node = [
      process.execPath,
      '--import',
      TSX_LOADER,
      FIXTURE,
      String(CRASH_NET),
      viaWrapper ? 'watch-parent' : '',
    ];
    // The wrapper stands in for npm or tsx's CLI: a parent that is not the sandbox itself.
    const proc = viaWrapper
      ? spawn('bash', ['-c', '"$@"; echo wrapper-done', 'bash', ...node], { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn(node[0] ?? '', node.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], detached: ownGroup });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ready \S+ \d+\n/.exec(out);
        if (m) resolve(m[0]);
      });
      proc.once('exit', (code) => reject(new Error(`fixture exited early (${code})`)));
    });
    const [, ns = '', sleeper = '0'] = line.trim().split(' ');
    return { proc, ns, sleeper: Number(sleeper) };
  }

  it('kill -9 of the process that called prepare: the janitor removes namespaces, processes, bridge and routes', async () => {
    const { proc, ns, sleeper } = await startFixture(false);
    expect(alive(sleeper)).toBe(true);
    expect((await netState(CRASH_NET)).namespaces).toEqual([ns]);
    const janitorPid = Number(readFileSync(janitorPidFile(CRASH_NET), 'utf8'));
    expect(alive(janitorPid)).toBe(true);
    proc.kill('SIGKILL');
    await waitFor(
      'net 98 after the crash',
      () => netState(CRASH_NET),
      (s) => JSON.stringify(s) === JSON.stringify(EMPTY),
    );
    expect(alive(sleeper)).toBe(false);
    await waitFor(
      'janitor',
      async () => alive(janitorPid),
      (a) => !a,
      5_000,
    );
  });

  it('Ctrl-C (SIGINT to the whole process group) does not reach the janitor, which cleans up', async () => {
    const { proc, sleeper } = await startFixture(false, true);
    process.kill(-(proc.pid ?? 0), 'SIGINT');
    await waitFor(
      'net 98 after Ctrl-C',
      () => netState(CRASH_NET),
      (s) => JSON.stringify(s) === JSON.stringify(EMPTY),
    );
    expect(alive(sleeper)).toBe(false);
  });

  it('kill -9 of a wrapper: the sandbox sees its parent die and tears down', async () => {
    const { proc, sleeper } = await startFixture(true);
    expect(alive(sleeper)).toBe(true);
    proc.kill('SIGKILL');
    await waitFor(
      'net 98 after the wrapper died',
      () => netState(CRASH_NET),
      (s) => JSON.stringify(s) === JSON.stringify(EMPTY),
    );
    expect(alive(sleeper)).toBe(false);
  });

  it('prepare removes what a crashed run left when no janitor cleaned up', async () => {
    const stale = `${twinNamespacePrefix(CRASH_NET)}stale`;
    const staleIp = twinEphemeralExternalPool(CRASH_NET)[9] ?? '';
    await runIp(['netns', 'add', stale]);
    mkdirSync(path.join(NETNS_ETC, stale), { recursive: true });
    writeFileSync(path.join(NETNS_ETC, stale, 'hosts'), '');
    const sleeper = spawn('ip', ['netns', 'exec', stale, 'sleep', '600'], { stdio: 'ignore', detached: true });
    sleeper.unref();
    await runIp(['link', 'add', twinBridgeName(CRASH_NET), 'type', 'bridge']);
    await runIp(['addr', 'add', `${staleIp}/32`, 'dev', 'lo']);
    await runIp([
      'rule',
      'add',
      'pref',
      String(twinRulePriority(CRASH_NET)),
      'iif',
      twinBridgeName(CRASH_NET),
      'blackhole',
    ]);
    await waitFor(
      'stale sleeper',
      () => namespacePids(stale),
      (p) => p.length === 1,
      5_000,
    );

    const twin = new TwinNetwork({ net: CRASH_NET });
    await twin.prepare();
    const state = await netState(CRASH_NET);
    expect(state.namespaces).toEqual([]);
    expect(state.etc).toEqual([]);
    expect(state.addresses.map((a) => a.ip)).not.toContain(staleIp);
    expect(sleeper.pid !== undefined && alive(sleeper.pid)).toBe(false);
    await twin.teardown();
    expect(await netState(CRASH_NET)).toEqual(EMPTY);
  });
});
