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
  if (!p?.etcd?.main || !p.kube || !s?.etcd || s.etcd.main !== null) throw new Error('sandbox metadata without the expected etcd layouts');
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
    for (const s of statuses) expect(s).toMatchObject({ ok: true, memberId: expect.stringMatching(/^\d+$/), version: expect.stringMatching(/^3\./) });
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
    expect(await c.etcd.status(c.endpoints.etcd({ ...staged, project: STAGING.project }, 'main'), stagingCreds.etcd?.main ?? null, 2_000)).toMatchObject({ ok: true });
    expect(await c.etcd.status(c.endpoints.etcd({ ...(prod[0] as InstanceInfo), project: PROD.project }, 'events'), prodCreds.etcd?.events ?? null, 2_000)).toMatchObject({ ok: true });
  });
});

describe('ClientNodeKubeApi', () => {
  const server = (i: InstanceInfo, port?: number): ApiServerEndpoint => {
    const endpoint = c.endpoints.apiServer({ ...i, project: PROD.project });
    return port === undefined ? endpoint : { ...endpoint, port };
  };

  it('probes readyz and livez, and lists leases and nodes', async () => {
    const target = prod[0] as InstanceInfo;
    expect(await c.kube.probe(server(target), kubeCreds(), 2_000)).toEqual({ ready: true, live: true });
    const leases = await c.kube.leases(server(target), kubeCreds(), 2_000);
    expect(leases.map((l) => l.component).sort()).toEqual(['cluster-autoscaler', 'kube-controller-manager', 'kube-scheduler']);
    const nodes = await c.kube.nodes(server(target), kubeCreds(), 2_000);
    expect(nodes.length).toBeGreaterThan(0);
  });

  it('reports an API server that is not there without throwing', async () => {
    const probe = await c.kube.probe(server(prod[0] as InstanceInfo, 2998), kubeCreds(), 1_000);
    expect(probe).toMatchObject({ ready: null, live: null, error: expect.any(String) });
    await expect(c.kube.nodes(server(prod[0] as InstanceInfo, 2998), kubeCreds(), 1_000)).rejects.toThrow(/connection refused/);
  });
});
