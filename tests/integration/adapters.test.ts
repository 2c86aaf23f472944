// The etcd and Kubernetes adapters against the sandbox's real members and API servers: answers, and the
// reasons they give when something is wrong. Both reach a replica's loopback through the container's SSH
// reach port, as in production: endpoints are built from the replicas Compute lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMasterMetadata, type MasterMetadata } from '@/lib/adapters/gce/master-metadata';
import type { InstanceInfo } from '@/lib/ports/compute';
import type { EtcdEndpoint } from '@/lib/ports/etcd-admin';
import type { ApiServerEndpoint } from '@/lib/ports/kube-api';
import { replicaNameRegex } from '@/lib/server/services/observe-cluster';
import { PROD, STAGING, testContainer } from './support';

const c = testContainer();
let prod: InstanceInfo[];
let prodCreds: MasterMetadata;
let stagingCreds: MasterMetadata;

async function replicas(ref: typeof PROD): Promise<InstanceInfo[]> {
  return c.compute.listInstances(ref.project, replicaNameRegex(ref.masterName));
}

beforeAll(async () => {
  prod = await replicas(PROD);
  const staging = await replicas(STAGING);
  const p = readMasterMetadata(prod[0]?.metadata ?? {});
  const s = readMasterMetadata(staging[0]?.metadata ?? {});
  // prod: mutual TLS on etcd main; staging: the pre-1.16 layout, plain http (no credentials, and none needed).
  if (!p?.etcd?.main || !p.kube || !s?.etcd || s.etcd.main !== null)
    throw new Error('sandbox metadata without the expected etcd layouts');
  prodCreds = p;
  stagingCreds = s;
});
afterAll(() => c.close());

const etcdCreds = () => prodCreds.etcd?.main ?? { caCert: '', clientCert: '', clientKey: '' };
/** The replica's etcd main endpoint; with `port`, another port on its loopback (where nothing listens). */
const main = (i: InstanceInfo, port?: number): EtcdEndpoint => {
  const endpoint = c.endpoints.etcd({ ...i, project: PROD.project }, 'main');
  return port === undefined ? endpoint : { ...endpoint, port };
};
const kubeCreds = () => prodCreds.kube ?? { caCert: '', clientCert: '', clientKey: '' };

describe('Etcd3Admin', () => {
  it('reports each member about itself, ids as decimal strings', async () => {
    const statuses = await Promise.all(prod.map((i) => c.etcd.status(main(i), etcdCreds(), 2_000)));
    for (const s of statuses)
      expect(s).toMatchObject({
        ok: true,
        memberId: expect.stringMatching(/^\d+$/),
        version: expect.stringMatching(/^3\./),
      });
    expect(new Set(statuses.map((s) => (s.ok ? s.memberId : ''))).size).toBe(3);
  });

  it('lists members through any endpoint that answers, ignoring dead ones', async () => {
    const dead = main(prod[0] as InstanceInfo, 2999);
    const members = await c.etcd.memberList([dead, main(prod[1] as InstanceInfo)], etcdCreds(), 2_000);
    expect(members.map((m) => m.name).sort()).toEqual(prod.map((i) => `etcd-${i.name}`).sort());
  });

  it('gives a short reason when nobody answers', async () => {
    // Through SSH the replica's sshd reports the refused port (a ServiceDown reach error): the reason says
    // "connection refused" and then the reach port's words, never "no access" (Quorum did get in).
    expect(await c.etcd.status(main(prod[0] as InstanceInfo, 2999), etcdCreds(), 1_000)).toEqual({
      ok: false,
      error: expect.stringMatching(/^connection refused \(.*127\.0\.0\.1:2999/),
    });
    await expect(c.etcd.memberList([main(prod[0] as InstanceInfo, 2999)], etcdCreds(), 1_000)).rejects.toThrow(
      /no member answered: .*connection refused/,
    );
  });

  it('refuses a member whose certificate does not name etcd-<instance> (the one dialled)', async () => {
    const [a, b] = prod as [InstanceInfo, InstanceInfo];
    const status = await c.etcd.status({ ...main(a), serverName: `etcd-${b.name}` }, etcdCreds(), 2_000);
    expect(status).toEqual({ ok: false, error: expect.stringMatching(/^TLS: /) });
  });

  it('speaks plain http to staging (pre-1.16 layout) and to every events cluster', async () => {
    const [staged] = await replicas(STAGING);
    if (!staged) throw new Error('no staging replica');
    expect(
      await c.etcd.status(
        c.endpoints.etcd({ ...staged, project: STAGING.project }, 'main'),
        stagingCreds.etcd?.main ?? null,
        2_000,
      ),
    ).toMatchObject({ ok: true });
    expect(
      await c.etcd.status(
        c.endpoints.etcd({ ...(prod[0] as InstanceInfo), project: PROD.project }, 'events'),
        prodCreds.etcd?.events ?? null,
        2_000,
      ),
    ).toMatchObject({ ok: true });
  });
});

describe('Etcd3Admin.peers: what a member reports about its peer links (/metrics through the same forward)', () => {
  const byId = (a: string, b: string) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

  it('prod main over mutual TLS: each member has an active link to the two others and knows a leader', async () => {
    const members = await c.etcd.memberList(
      prod.map((i) => main(i)),
      etcdCreds(),
      2_000,
    );
    const ids = members.map((m) => m.id);
    expect(ids).toHaveLength(3);
    for (const i of prod) {
      const status = await c.etcd.status(main(i), etcdCreds(), 2_000);
      if (!status.ok) throw new Error(`${i.name}: ${status.error}`);
      const peers = await c.etcd.peers(main(i), etcdCreds(), 2_000);
      // Read against the member list: etcd can keep the gauge of a member removed by an earlier file at 1.
      const current = peers.ok ? { ...peers, activePeers: peers.activePeers.filter((id) => ids.includes(id)) } : peers;
      expect(current).toEqual({
        ok: true,
        activePeers: ids.filter((id) => id !== status.memberId).sort(byId),
        hasLeader: true,
      });
    }
  });

  it('plain http on staging main (one member: no peer) and on prod events', async () => {
    const [staged] = await replicas(STAGING);
    if (!staged) throw new Error('no staging replica');
    const stagingMain = c.endpoints.etcd({ ...staged, project: STAGING.project }, 'main');
    const view = await c.etcd.peers(stagingMain, stagingCreds.etcd?.main ?? null, 2_000);
    expect(view).toMatchObject({ ok: true, hasLeader: true });
    // etcd can keep a removed peer's gauge at 1 (seen with Debian's etcd 3.4 in CI), so a member that once had
    // a peer (an earlier file adds a replica to staging and removes it) may still list it: only current members count.
    const memberIds = (await c.etcd.memberList([stagingMain], stagingCreds.etcd?.main ?? null, 2_000)).map((m) => m.id);
    expect(memberIds).toHaveLength(1);
    expect(view.ok && view.activePeers.filter((id) => memberIds.includes(id))).toEqual([]);
    const prodEvents = c.endpoints.etcd({ ...(prod[0] as InstanceInfo), project: PROD.project }, 'events');
    const events = await c.etcd.peers(prodEvents, prodCreds.etcd?.events ?? null, 2_000);
    expect(events).toMatchObject({ ok: true, hasLeader: true });
    // The same for prod: earlier files add replicas to it and remove them again.
    const eventsIds = (await c.etcd.memberList([prodEvents], prodCreds.etcd?.events ?? null, 2_000)).map((m) => m.id);
    expect(eventsIds).toHaveLength(3);
    expect(events.ok && events.activePeers.filter((id) => eventsIds.includes(id))).toHaveLength(2);
  });

  it('says why when it cannot read them: nothing on the port, or a certificate that does not name the member', async () => {
    const [a, b] = prod as [InstanceInfo, InstanceInfo];
    expect(await c.etcd.peers(main(a, 2999), etcdCreds(), 1_000)).toEqual({
      ok: false,
      error: expect.stringMatching(/^connection refused \(.*127\.0\.0\.1:2999/),
    });
    expect(await c.etcd.peers({ ...main(a), serverName: `etcd-${b.name}` }, etcdCreds(), 2_000)).toEqual({
      ok: false,
      error: expect.stringMatching(/^metrics: TLS: /),
    });
  });
});

describe('HttpsKubeApi', () => {
  const server = (i: InstanceInfo, port?: number): ApiServerEndpoint => {
    const endpoint = c.endpoints.apiServer({ ...i, project: PROD.project });
    return port === undefined ? endpoint : { ...endpoint, port };
  };

  it('probes readyz and livez, and lists leases and nodes', async () => {
    const target = prod[0] as InstanceInfo;
    expect(await c.kube.probe(server(target), kubeCreds(), 2_000)).toEqual({ ready: true, live: true });
    const leases = await c.kube.leases(server(target), kubeCreds(), 2_000);
    expect(leases.map((l) => l.component).sort()).toEqual([
      'cluster-autoscaler',
      'kube-controller-manager',
      'kube-scheduler',
    ]);
    const nodes = await c.kube.nodes(server(target), kubeCreds(), 2_000);
    expect(nodes.length).toBeGreaterThan(0);
  });

  it('reports an API server that is not there without throwing', async () => {
    const probe = await c.kube.probe(server(prod[0] as InstanceInfo, 2998), kubeCreds(), 1_000);
    expect(probe).toMatchObject({ ready: null, live: null, error: expect.any(String) });
    await expect(c.kube.nodes(server(prod[0] as InstanceInfo, 2998), kubeCreds(), 1_000)).rejects.toThrow(
      /connection refused/,
    );
  });

  it('signs in with KUBE_BEARER_TOKEN where the master has no admin client certificate, and a wrong token is refused', async () => {
    const target = prod[0] as InstanceInfo;
    // The same master's metadata without KUBECFG_CERT/KEY: kube-up's kubeconfig falls back to the basic token.
    const withoutCert = Object.fromEntries(
      Object.entries(target.metadata).map(([key, text]) => [
        key,
        text
          .split('\n')
          .filter((l) => !/^KUBECFG_(CERT|KEY):/.test(l))
          .join('\n'),
      ]),
    );
    const read = readMasterMetadata(withoutCert);
    expect(read?.problems).toEqual([]);
    const creds = read?.kube;
    if (!creds || !('bearerToken' in creds))
      throw new Error(`no bearer-token credentials read: ${JSON.stringify(read?.problems)}`);
    expect(creds.bearerToken).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(await c.kube.probe(server(target), creds, 2_000)).toEqual({ ready: true, live: true });
    expect((await c.kube.leases(server(target), creds, 2_000)).length).toBe(3);

    const wrong = { caCert: creds.caCert, bearerToken: 'x'.repeat(32) };
    await expect(c.kube.leases(server(target), wrong, 2_000)).rejects.toThrow(/401|Unauthorized/);
  });
});
