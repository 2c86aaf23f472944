// Compute Engine's firewall on the twin's real network: the emulator in-process, wired to a TwinNetwork as
// sandbox/main.ts wires it (the firewall enforced in every VM's namespace, the load balancer dialling from
// its own address), kube-up's rules inserted through the REST API, and "VMs" that are namespaces running a
// TCP server on 22, 443, 2380 and 2381 that answers with `<vm>:<port>`. GCE drops what its firewall
// denies, so a blocked port is a time-out here, never a refusal.
// Needs root; run alone: `flock /tmp/quorum-heavy.lock npx vitest run --project netns sandbox/net/twin-firewall.netns.test.ts`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type Emulator } from '../compute/emulator';
import { emulatorRest } from '../compute/emulator-rest';
import { ingressRulesetOf } from '../compute/firewall-view';
import { twinInternalRange } from '../compute/ip-plan';
import type { VmHost, VmProcessState, VmSpec } from '../vm/types';
import { FIREWALL_TABLE } from './firewall-plan';
import { runIp } from './ip-command';
import { outcome, probeFrom, probeFromHost, startHostServer } from './twin-netns-probe';
import { TwinNetwork } from './twin-network';

// Net 75 is this file's own (198.19.44.0/22).
const NET = 75;
const PORTS = [22, 443, 2380, 2381];
const PROJECT = 'fw-project';
const REGION = 'europe-west1';
const MASTER = 'fw-master';
const PROBE_S = 1.5;
const HOST_PORT = 7200;

const twin = new TwinNetwork({ net: NET });

const SERVER_SOURCE = `
const [name, ...ports] = process.argv.slice(1);
const net = require('node:net');
let listening = 0;
for (const port of ports) {
  net.createServer((s) => { s.on('error', () => s.destroy()); s.end(name + ':' + port + '\\n'); })
    .listen(Number(port), () => { if (++listening === ports.length) console.log('listening'); });
}`;

/** Each booted VM is a namespace (its firewall loaded by addVm) with one server on every port of PORTS. */
class FirewalledTcpVmHost implements VmHost {
  readonly namespaces = new Map<string, string>();
  private readonly servers = new Map<string, ChildProcess>();

  async boot(spec: VmSpec): Promise<void> {
    if (this.servers.has(spec.name)) return;
    const { ns } = await twin.addVm({ key: spec.name, internalIp: spec.internalIp, zone: spec.zone });
    this.namespaces.set(spec.name, ns);
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '-e', SERVER_SOURCE, spec.name, ...PORTS.map(String)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      child.once('exit', (code) => reject(new Error(`server of ${spec.name} exited (${code}): ${err}`)));
    });
    this.servers.set(spec.name, child);
  }

  async shutdown(name: string): Promise<void> {
    const ns = this.namespaces.get(name);
    this.servers.delete(name);
    this.namespaces.delete(name);
    // Removing the namespace kills its processes too.
    if (ns) await twin.removeVm(ns);
  }

  async shutdownAll(): Promise<void> {
    await Promise.all([...this.namespaces.keys()].map((n) => this.shutdown(n)));
  }

  state(name: string): VmProcessState {
    return this.servers.has(name) ? 'running' : 'stopped';
  }
}

const instanceSchema = z.object({
  tags: z.object({ items: z.array(z.string()).optional(), fingerprint: z.string() }),
  networkInterfaces: z.array(z.object({ networkIP: z.string() })),
});

let dataDir: string;
let vmHost: FirewalledTcpVmHost;
let emulator: Emulator;
let hostServer: Server;

const { api, mutate } = emulatorRest(() => emulator.url, PROJECT);

const VMS = {
  a: { name: `${MASTER}-aaa`, zone: `${REGION}-b`, tags: [MASTER] },
  b: { name: `${MASTER}-bbb`, zone: `${REGION}-c`, tags: [MASTER] },
  plain: { name: 'fw-plain', zone: `${REGION}-d`, tags: [] as string[] },
};
type VmName = keyof typeof VMS;
const ip = {} as Record<VmName, string>;
const ns = (vm: VmName) => vmHost.namespaces.get(VMS[vm].name) ?? '';

/** From the host (the dashboard's side of the bridge): `<vm>:<port>` when it answers, else how it failed. */
async function fromHost(vm: VmName, port: number, localAddress?: string): Promise<string> {
  return outcome(await probeFromHost(ip[vm], port, PROBE_S * 1000, localAddress));
}

async function fromVm(from: VmName, to: VmName | string, port: number): Promise<string> {
  return outcome(await probeFrom(ns(from), to in VMS ? ip[to as VmName] : to, port, PROBE_S));
}

/** Polls until `read` gives `want` (rules apply when the cloud changes, a moment after the API call). */
async function eventually(read: () => Promise<string>, want: string, timeoutMs = 8_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await read();
    if (got === want || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// kube-up's rules for cluster `fw` on network `default` (cluster/gce/util.sh), 10.0.0.0/8 being the net's internal range.
const KUBE_UP_RULES = [
  {
    name: 'fw-default-internal-master',
    sourceRanges: [twinInternalRange(NET)],
    allowed: [
      { IPProtocol: 'tcp', ports: ['1-2379'] },
      { IPProtocol: 'tcp', ports: ['2382-65535'] },
      { IPProtocol: 'udp', ports: ['1-65535'] },
      { IPProtocol: 'icmp' },
    ],
    targetTags: [MASTER],
  },
  { name: 'default-default-ssh', sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] },
  { name: `${MASTER}-https`, targetTags: [MASTER], allowed: [{ IPProtocol: 'tcp', ports: ['443'] }] },
  {
    name: `${MASTER}-etcd`,
    sourceTags: [MASTER],
    targetTags: [MASTER],
    allowed: [{ IPProtocol: 'tcp', ports: ['2380', '2381'] }],
  },
];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'quorum-fw-'));
  await twin.prepare();
  vmHost = new FirewalledTcpVmHost();
  emulator = await startEmulator({
    dataDir,
    port: 0,
    net: NET,
    opDelayMs: 40,
    bootDelayMs: 0,
    lbDelayMs: 100,
    lbHealthIntervalMs: 200,
    apiServerPort: 443,
    waitTimeoutMs: 5_000,
    vmHost,
    firewall: twin,
    log: (m) => process.env.FW_DEBUG && console.error(m),
    networkOptions: {
      natPorts: [22, 443],
      backendLocalAddress: twin.loadBalancerIp,
      addresses: { add: (a) => twin.addHostAddress(a), remove: (a) => twin.removeHostAddress(a) },
    },
  });
  hostServer = await startHostServer(twin.metadataIp, HOST_PORT, 'metadata');
  for (const rule of KUBE_UP_RULES)
    await mutate('POST', 'global/firewalls', { network: 'global/networks/default', ...rule });
  await Promise.all(
    Object.values(VMS).map((vm) =>
      mutate('POST', `zones/${vm.zone}/instances`, {
        name: vm.name,
        machineType: `zones/${vm.zone}/machineTypes/n1-standard-1`,
        networkInterfaces: [{ accessConfigs: [] }],
        disks: [{ boot: true, autoDelete: true, initializeParams: { diskSizeGb: 10 } }],
        tags: { items: vm.tags },
      }),
    ),
  );
  for (const [key, vm] of Object.entries(VMS) as [VmName, (typeof VMS)[VmName]][]) {
    ip[key] =
      instanceSchema.parse(await api('GET', `zones/${vm.zone}/instances/${vm.name}`)).networkInterfaces[0]?.networkIP ??
      '';
  }
  // Every VM booted (its sshd stand-in answers).
  for (const vm of Object.keys(VMS) as VmName[])
    expect(await eventually(() => fromHost(vm, 22), `${VMS[vm].name}:22`)).toBe(`${VMS[vm].name}:22`);
}, 60_000);

afterAll(async () => {
  hostServer?.close();
  await emulator?.close();
  await vmHost?.shutdownAll();
  await twin.teardown();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("kube-up's firewall rules, enforced in the VMs", () => {
  it('from the host: a master answers on 22 and 443; its etcd peer ports 2380 and 2381 are dropped (time-out)', async () => {
    const got = await Promise.all([
      fromHost('a', 22),
      fromHost('a', 443),
      fromHost('a', 2380),
      fromHost('a', 2381),
      fromHost('b', 2380),
      fromHost('b', 2381),
    ]);
    expect(got).toEqual([`${MASTER}-aaa:22`, `${MASTER}-aaa:443`, 'timeout', 'timeout', 'timeout', 'timeout']);
  });

  it('from the host: a VM without the master tag answers on 22 only (no rule opens 443 or anything else to it)', async () => {
    expect(await Promise.all([fromHost('plain', 22), fromHost('plain', 443), fromHost('plain', 2380)])).toEqual([
      'fw-plain:22',
      'timeout',
      'timeout',
    ]);
  });

  it('a master reaches the other masters on 2380 and 2381 (source tag); a VM without the tag does not, but reaches 22 and 443', async () => {
    const got = await Promise.all([
      fromVm('b', 'a', 2380),
      fromVm('a', 'b', 2381),
      fromVm('plain', 'a', 2380),
      fromVm('plain', 'b', 2381),
      fromVm('plain', 'a', 22),
      fromVm('plain', 'a', 443),
    ]);
    expect(got).toEqual([
      `${MASTER}-aaa:2380`,
      `${MASTER}-bbb:2381`,
      'timeout',
      'timeout',
      `${MASTER}-aaa:22`,
      `${MASTER}-aaa:443`,
    ]);
  });

  it("the load balancer's address (its health checks and connections) reaches 443 through `-https`, and forwards the static IP", async () => {
    expect(await fromHost('a', 443, twin.loadBalancerIp)).toBe(`${MASTER}-aaa:443`);
    await mutate('POST', `regions/${REGION}/addresses`, { name: `${MASTER}-ip` });
    const lbIp = z
      .object({ address: z.string() })
      .parse(await api('GET', `regions/${REGION}/addresses/${MASTER}-ip`)).address;
    const link = (vm: VmName) =>
      `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${VMS[vm].zone}/instances/${VMS[vm].name}`;
    await mutate('POST', `regions/${REGION}/targetPools`, { name: MASTER, instances: [link('a'), link('b')] });
    await mutate('POST', `regions/${REGION}/forwardingRules`, {
      name: MASTER,
      IPAddress: lbIp,
      IPProtocol: 'TCP',
      portRange: '443-443',
      target: `regions/${REGION}/targetPools/${MASTER}`,
    });
    const viaLb = async () => outcome(await probeFromHost(lbIp, 443, PROBE_S * 1000));
    // Propagation (100 ms here) and a first health round, then one of the two masters answers.
    const deadline = Date.now() + 8_000;
    let got = await viaLb();
    while (!got.startsWith(MASTER) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      got = await viaLb();
    }
    expect([`${MASTER}-aaa:443`, `${MASTER}-bbb:443`]).toContain(got);
  });

  it("lets a VM reach its own ports over loopback and anything outside (implied allow egress: the metadata server's host address)", async () => {
    expect(
      await Promise.all([
        fromVm('plain', '127.0.0.1', 2380),
        fromVm('a', ip.a, 2381),
        fromVm('plain', twin.metadataIp, HOST_PORT),
      ]),
    ).toEqual(['fw-plain:2380', `${MASTER}-aaa:2381`, 'metadata']);
  });

  it('loads in each VM exactly the ruleset the plan renders for its instance, as one nftables table', async () => {
    for (const vm of Object.values(VMS)) {
      const wanted = ingressRulesetOf(emulator.cloud, vm.name);
      expect(twin.firewallOf(vm.name)).toBe(wanted);
    }
    const listed = await runIp(['netns', 'exec', ns('a'), 'nft', 'list', 'ruleset']);
    expect(listed.match(/^table /gm)).toEqual(['table ']);
    expect(listed).toContain(`table inet ${FIREWALL_TABLE}`);
    expect(listed).toMatch(/policy drop;/);
    expect(listed).toContain(`comment "${MASTER}-etcd (priority 1000)"`);
  });
});

describe('changes at runtime', () => {
  it('a patched rule takes effect: `-etcd` narrowed to 2380 drops 2381 between masters; patched back, it passes again', async () => {
    await mutate('PATCH', `global/firewalls/${MASTER}-etcd`, { allowed: [{ IPProtocol: 'tcp', ports: ['2380'] }] });
    expect(await eventually(() => fromVm('b', 'a', 2381), 'timeout')).toBe('timeout');
    expect(await fromVm('b', 'a', 2380)).toBe(`${MASTER}-aaa:2380`);
    await mutate('PATCH', `global/firewalls/${MASTER}-etcd`, {
      allowed: [{ IPProtocol: 'tcp', ports: ['2380', '2381'] }],
    });
    expect(await eventually(() => fromVm('b', 'a', 2381), `${MASTER}-aaa:2381`)).toBe(`${MASTER}-aaa:2381`);
  });

  it('a deleted rule takes effect: without `default-default-ssh` port 22 of the untagged VM is dropped; inserted again, it answers', async () => {
    await mutate('DELETE', 'global/firewalls/default-default-ssh');
    expect(await eventually(() => fromHost('plain', 22), 'timeout')).toBe('timeout');
    // The masters' 22 is still open from inside the VPC through `fw-default-internal-master`.
    expect(await fromHost('a', 22)).toBe(`${MASTER}-aaa:22`);
    await mutate('POST', 'global/firewalls', { network: 'global/networks/default', ...KUBE_UP_RULES[1] });
    expect(await eventually(() => fromHost('plain', 22), 'fw-plain:22')).toBe('fw-plain:22');
  });

  it('a disabled rule does not apply; enabled, it does; disabled again, it stops', async () => {
    await mutate('POST', 'global/firewalls', {
      name: 'fw-open-peers',
      network: 'global/networks/default',
      sourceRanges: [twinInternalRange(NET)],
      targetTags: [MASTER],
      allowed: [{ IPProtocol: 'tcp', ports: ['2380'] }],
      disabled: true,
    });
    expect(await fromHost('a', 2380)).toBe('timeout');
    await mutate('PATCH', 'global/firewalls/fw-open-peers', { disabled: false });
    expect(await eventually(() => fromHost('a', 2380), `${MASTER}-aaa:2380`)).toBe(`${MASTER}-aaa:2380`);
    await mutate('PATCH', 'global/firewalls/fw-open-peers', { disabled: true });
    expect(await eventually(() => fromHost('a', 2380), 'timeout')).toBe('timeout');
    await mutate('DELETE', 'global/firewalls/fw-open-peers');
  });

  it('priority: a deny of the same priority wins over an allow; a lower-numbered allow wins over a deny', async () => {
    await mutate('POST', 'global/firewalls', {
      name: 'fw-deny-ssh',
      network: 'global/networks/default',
      sourceRanges: ['0.0.0.0/0'],
      targetTags: [MASTER],
      denied: [{ IPProtocol: 'tcp', ports: ['22'] }],
    });
    expect(await eventually(() => fromHost('a', 22), 'timeout')).toBe('timeout');
    expect(await fromHost('plain', 22)).toBe('fw-plain:22');
    await mutate('POST', 'global/firewalls', {
      name: 'fw-early-ssh',
      network: 'global/networks/default',
      priority: 900,
      targetTags: [MASTER],
      allowed: [{ IPProtocol: 'tcp', ports: ['22'] }],
    });
    expect(await eventually(() => fromHost('a', 22), `${MASTER}-aaa:22`)).toBe(`${MASTER}-aaa:22`);
    await mutate('DELETE', 'global/firewalls/fw-early-ssh');
    expect(await eventually(() => fromHost('a', 22), 'timeout')).toBe('timeout');
    await mutate('DELETE', 'global/firewalls/fw-deny-ssh');
    expect(await eventually(() => fromHost('a', 22), `${MASTER}-aaa:22`)).toBe(`${MASTER}-aaa:22`);
  });

  it("an instance's tags count: tagged a master, the plain VM reaches the masters' peer ports and they reach its; untagged again, neither", async () => {
    const tags = async () =>
      instanceSchema.parse(await api('GET', `zones/${VMS.plain.zone}/instances/${VMS.plain.name}`)).tags.fingerprint;
    await mutate('POST', `zones/${VMS.plain.zone}/instances/${VMS.plain.name}/setTags`, {
      items: [MASTER],
      fingerprint: await tags(),
    });
    expect(await eventually(() => fromVm('plain', 'a', 2380), `${MASTER}-aaa:2380`)).toBe(`${MASTER}-aaa:2380`);
    expect(await eventually(() => fromVm('b', 'plain', 2381), 'fw-plain:2381')).toBe('fw-plain:2381');
    expect(await fromHost('plain', 443)).toBe('fw-plain:443');
    await mutate('POST', `zones/${VMS.plain.zone}/instances/${VMS.plain.name}/setTags`, {
      items: [],
      fingerprint: await tags(),
    });
    expect(await eventually(() => fromVm('plain', 'a', 2380), 'timeout')).toBe('timeout');
    expect(await Promise.all([fromVm('b', 'plain', 2381), fromHost('plain', 443)])).toEqual(['timeout', 'timeout']);
  });

  it('a VM that starts again has its firewall from the first packet on', async () => {
    await mutate('POST', `zones/${VMS.plain.zone}/instances/${VMS.plain.name}/stop`);
    await mutate('POST', `zones/${VMS.plain.zone}/instances/${VMS.plain.name}/start`);
    expect(await eventually(() => fromHost('plain', 22), 'fw-plain:22')).toBe('fw-plain:22');
    expect(twin.firewallOf(VMS.plain.name)).toBe(ingressRulesetOf(emulator.cloud, VMS.plain.name));
    expect(await Promise.all([fromHost('plain', 443), fromVm('a', 'plain', 2380)])).toEqual(['timeout', 'timeout']);
  });
});
