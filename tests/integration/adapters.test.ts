// The etcd and Kubernetes adapters against the sandbox's real members and API servers: answers, and the
// reasons they give when something is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMasterMetadata, type MasterMetadata } from '@/lib/adapters/gce/master-metadata';
import type { InstanceInfo } from '@/lib/ports/compute';
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

const ip = (i: InstanceInfo) => i.internalIp ?? 'missing';
const etcdCreds = () => prodCreds.etcd?.main ?? { caCert: '', clientCert: '', clientKey: '' };
const main = (i: InstanceInfo, port = 2379) => ({ address: `${ip(i)}:${port}`, serverName: `etcd-${i.name}` });
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
    await expect(c.etcd.memberList([main(prod[0] as InstanceInfo, 2999)], etcdCreds(), 1_000)).rejects.toThrow(
      /no member answered: .*connection refused/,
    );
    expect(await c.etcd.status(main(prod[0] as InstanceInfo, 2999), etcdCreds(), 1_000)).toEqual({ ok: false, error: 'connection refused' });
  });

  it('refuses a member whose certificate does not name etcd-<instance> (the one dialled)', async () => {
    const [a, b] = prod as [InstanceInfo, InstanceInfo];
    const status = await c.etcd.status({ address: `${ip(a)}:2379`, serverName: `etcd-${b.name}` }, etcdCreds(), 2_000);
    expect(status).toEqual({ ok: false, error: expect.stringMatching(/^TLS: /) });
  });

  it('speaks plain http to staging (pre-1.16 layout) and to every events cluster', async () => {
    const [staged] = await replicas(STAGING);
    if (!staged) throw new Error('no staging replica');
    expect(await c.etcd.status(main(staged), stagingCreds.etcd?.main ?? null, 2_000)).toMatchObject({ ok: true });
    expect(await c.etcd.status(main(prod[0] as InstanceInfo, 4002), prodCreds.etcd?.events ?? null, 2_000)).toMatchObject({ ok: true });
  });
});

describe('ClientNodeKubeApi', () => {
  const server = (i: InstanceInfo) => `https://${ip(i)}:443`;

  it('probes readyz and livez, and lists leases and nodes', async () => {
    const target = prod[0] as InstanceInfo;
    expect(await c.kube.probe(server(target), kubeCreds(), 2_000)).toEqual({ ready: true, live: true });
    const leases = await c.kube.leases(server(target), kubeCreds(), 2_000);
    expect(leases.map((l) => l.component).sort()).toEqual(['cluster-autoscaler', 'kube-controller-manager', 'kube-scheduler']);
    const nodes = await c.kube.nodes(server(target), kubeCreds(), 2_000);
    expect(nodes.length).toBeGreaterThan(0);
  });

  it('reports an API server that is not there without throwing', async () => {
    const probe = await c.kube.probe(`https://${ip(prod[0] as InstanceInfo)}:2998`, kubeCreds(), 1_000);
    expect(probe).toMatchObject({ ready: null, live: null, error: expect.any(String) });
    await expect(c.kube.nodes(`https://${ip(prod[0] as InstanceInfo)}:2998`, kubeCreds(), 1_000)).rejects.toThrow(/connection refused/);
  });
});
