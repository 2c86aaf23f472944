// Acceptance test of issue 10's "no direct path": on the seeded twin nothing on the host reaches a
// master's etcd by its address (main 2379 and events 4002 listen on the VM's own 127.0.0.1, as on a
// kube-up master), while the operator's way in works with tools nobody here wrote: a key published in
// instance metadata the Google way (`user:ssh-ed25519 KEY google-ssh {"userName","expireOn"}`, set with
// instances.setMetadata and the fingerprint), stock OpenSSH `ssh -N -L` to port 22, and etcdctl through
// the forward. prod main speaks mutual TLS (kube-up >= 1.16), prod events and both staging clusters
// (the pre-1.16 layout) plain http; each member list is exactly the instances Compute lists.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { twinNamespaceName } from '../../sandbox/net/twin-plan';
import { etcdClientPems } from '../support/etcd-client-pems';
import { etcdctlMemberList, OperatorSsh, sandboxComputeClients, tcpConnect } from '../support/operator-ssh';
import { etcdctlInVm, parseEtcdctlJson } from '../support/twin-etcdctl';
import { TwinEtcdForwards } from '../support/twin-forward';
import { startWriter } from '../support/write-safety';
import { PROJECT, pollUntil, sandboxPort, writeEtcdctlCerts } from './support';

const run = promisify(execFile);
const USER = 'twinwire';
const CLUSTERS = ['prod-master', 'staging-master'] as const;
const PORTS = { main: 2379, events: 4002 } as const;
const PEER_PORTS = { main: 2380, events: 2381 } as const;

const dir = mkdtempSync(path.join(tmpdir(), 'quorum-twin-wire-'));
let clients: ReturnType<typeof sandboxComputeClients>;
let operator: OperatorSsh;
let masters: {
  project: string;
  name: string;
  zone: string;
  cluster: (typeof CLUSTERS)[number];
  internalIp: string;
  natIp: string | undefined;
  metadata: Record<string, string>;
}[] = [];

const lastSegment = (url: string | null | undefined) => (url ?? '').split('/').pop() ?? '';

async function listMasters() {
  const out: typeof masters = [];
  for await (const [, scoped] of clients.instances.aggregatedListAsync({ project: PROJECT })) {
    for (const i of scoped.instances ?? []) {
      const cluster = CLUSTERS.find((m) => i.name === m || new RegExp(`^${m}-[a-z0-9]{3}$`).test(i.name ?? ''));
      if (!cluster || i.status !== 'RUNNING') continue;
      const nic = i.networkInterfaces?.[0];
      out.push({
        project: PROJECT,
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

const etcdctlMembers = etcdctlMemberList;
const sshOptions = () => operator.sshOptions();
const sshForward = (host: string, remotePorts: readonly number[]) => operator.forward(host, remotePorts);

beforeAll(async () => {
  clients = sandboxComputeClients(sandboxPort());
  operator = new OperatorSsh(USER, clients);
  masters = await listMasters();
  await operator.publish(masters);
}, 120_000);

afterAll(async () => {
  await operator?.unpublish(masters);
  operator?.close();
  await clients?.instances.close();
  await clients?.zoneOperations.close();
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
        for (const port of [PORTS.main, PORTS.events])
          tried.push(`${m.name} ${ip}:${port} ${await tcpConnect(ip, port)}`);
      }
    }
    expect(tried.length).toBeGreaterThanOrEqual(masters.length * 2);
    // Refused, not merely timed out: the VM is up and answers, nothing listens there for the host.
    expect(tried.filter((t) => !t.endsWith(' ECONNREFUSED'))).toEqual([]);
  });

  it("drops the host's connects to every master's etcd peer ports (kube-up's `-etcd` rule admits masters only), while 22 and 443 accept", async () => {
    const tried: string[] = [];
    for (const m of masters) {
      const results = await Promise.all(
        [PEER_PORTS.main, PEER_PORTS.events, 22, 443].map((port) => tcpConnect(m.internalIp, port, 1_500)),
      );
      tried.push(`${m.name} ${results.join(' ')}`);
    }
    // Silence, not a refusal: Compute's firewall drops what no rule allows, and etcd does listen there.
    expect(tried).toEqual(masters.map((m) => `${m.name} ETIMEDOUT ETIMEDOUT connected connected`));
  });

  it('port 22 of every master answers the published key (the guest agent wrote it into authorized_keys)', async () => {
    for (const m of masters) {
      const got = await pollUntil(
        () =>
          run('ssh', [...sshOptions(), `${USER}@${m.internalIp}`, 'id -un; hostname'], { timeout: 20_000 }).then(
            (r) => r.stdout.trim(),
            (err: unknown) => String(err),
          ),
        (out) => out === `${USER}\n${m.name}`,
        60_000,
        500,
      );
      expect(got, `ssh ${m.name}`).toBe(`${USER}\n${m.name}`);
    }
  });

  it.each(CLUSTERS)(
    '%s: etcdctl through ssh -L lists, in main and in events, exactly the instances Compute lists',
    async (cluster) => {
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
          for (const [name, members, peer] of [
            ['main', main, PEER_PORTS.main],
            ['events', events, PEER_PORTS.events],
          ] as const) {
            expect(members.map((x) => x.name).sort(), `${m.name} ${name} members`).toEqual(expected);
            expect(
              members.filter((x) => x.isLearner),
              `${m.name} ${name} learners`,
            ).toEqual([]);
            // Peers advertised by instance name, as kube-up does.
            expect(members.flatMap((x) => x.peerURLs).sort(), `${m.name} ${name} peer URLs`).toEqual(
              replicas.map((r) => `https://${r.name}:${peer}`).sort(),
            );
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
    },
  );

  it("ssh through staging's external IP (natIP forwards :22) reaches the same master and its etcd", async () => {
    const staging = masters.find((m) => m.cluster === 'staging-master');
    if (!staging?.natIp) throw new Error('staging has no external IP');
    const { stdout } = await run('ssh', [...sshOptions(), `${USER}@${staging.natIp}`, 'hostname'], { timeout: 30_000 });
    expect(stdout.trim()).toBe(staging.name);
    const fwd = await sshForward(staging.natIp, [PORTS.main]);
    try {
      expect((await etcdctlMembers(`http://127.0.0.1:${fwd.local[0]}`, null)).map((x) => x.name)).toEqual([
        `etcd-${staging.name}`,
      ]);
    } finally {
      fwd.close();
    }
  });
});

// The tests' own sandbox-only doors into a VM (tests/support): etcdctl inside the VM's namespace for ground
// truth, and a relay into its loopback for the write-safety writer. Checked here against the same facts.
describe("the tests' ground-truth doors reach each VM's own loopback", () => {
  it("each VM's metadata DNS (169.254.169.254:53, its resolv.conf's nameserver) answers every instance's short and zonal name, and no other", async () => {
    // Node's resolver (c-ares) asks the DNS alone, never the hosts file, as etcd's Go resolver does once its
    // cached copy of the hosts file lacks a name.
    const script = `const r = new (require('node:dns').promises.Resolver)({ timeout: 1000, tries: 1 });
      Promise.all(JSON.parse(process.argv[1]).map((n) => r.resolve4(n).then((a) => a.join(','), (e) => e.code)))
        .then((out) => console.log(JSON.stringify([r.getServers(), out])));`;
    const names = [
      ...masters.flatMap((m) => [m.name, `${m.name}.${m.zone}.c.${m.project}.internal`]),
      'prod-master-zzz',
    ];
    const want = [...masters.flatMap((m) => [m.internalIp, m.internalIp]), 'ENOTFOUND'];
    for (const m of masters) {
      const ns = twinNamespaceName(inject('sandboxNet'), m.name);
      const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', script, JSON.stringify(names)]);
      expect(JSON.parse(stdout), m.name).toEqual([['169.254.169.254'], want]);
    }
  });

  it('etcdctl inside each VM lists the same members as through ssh -L', async () => {
    for (const m of masters) {
      const certs = writeEtcdctlCerts(m.metadata);
      const out = await etcdctlInVm({ net: inject('sandboxNet'), instance: m.name, cluster: 'main' }, certs.tls, [
        'member',
        'list',
        '-w',
        'json',
      ]).finally(certs.cleanup);
      expect(certs.tls !== null, `${m.name}: TLS files exactly on prod`).toBe(m.cluster === 'prod-master');
      const members = z
        .object({ members: z.array(z.object({ name: z.string().default('') })).default([]) })
        .parse(parseEtcdctlJson(out)).members;
      expect(members.map((x) => x.name).sort()).toEqual(
        masters
          .filter((r) => r.cluster === m.cluster)
          .map((r) => `etcd-${r.name}`)
          .sort(),
      );
    }
  });

  it('the write-safety writer, through a relay into each prod replica, loses no acknowledged write', async () => {
    const forwards = new TwinEtcdForwards(inject('sandboxNet'));
    const prod = masters.filter((m) => m.cluster === 'prod-master');
    const first = prod[0];
    if (!first) throw new Error('no prod replica');
    try {
      const writer = startWriter({
        endpoints: () => forwards.endpoints(prod.map((m) => m.name)),
        tls: etcdClientPems(first.metadata),
        prefix: `/quorum-it/twin-wire/${Date.now().toString(36)}`,
      });
      await pollUntil(
        async () => writer.acknowledged,
        (n) => n >= 30,
        20_000,
        50,
      );
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
