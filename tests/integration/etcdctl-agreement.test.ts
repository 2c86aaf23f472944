// etcdctl (the real binary, which nobody here wrote) checks what the adapters report about prod's etcd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '@/lib/core/topology';
import { replicaNameRegex, observeCluster } from '@/lib/server/services/observe-cluster';
import {
  allHealthy,
  etcdctlEndpointStatus,
  etcdctlMemberList,
  pollUntil,
  PROD,
  testContainer,
  writeEtcdctlCerts,
  type EtcdctlCerts,
} from './support';

const c = testContainer();
let certs: EtcdctlCerts;
let topology: Topology;

beforeAll(async () => {
  topology = await pollUntil(() => observeCluster(PROD, c), allHealthy, 30_000);
  const [master] = await c.compute.listInstances(PROD.project, replicaNameRegex(PROD.masterName));
  if (!master) throw new Error('no prod master');
  certs = writeEtcdctlCerts(master.metadata);
});

afterAll(async () => {
  certs?.cleanup();
  await c.close();
});

const PORTS = { main: 2379, events: 4002 } as const;

describe.each(['main', 'events'] as const)('etcd %s of prod', (cluster) => {
  const endpoints = () => topology.replicas.map((r) => ({ instance: r.name, cluster }));

  it('etcdctl member list agrees with the adapters: same ids, names and peer URLs', async () => {
    const fromEtcdctl = await etcdctlMemberList(certs, endpoints());
    const fromAdapters = topology.etcd[cluster].members ?? [];
    const key = (m: { id: string; name: string; peerUrls: string[]; isLearner: boolean }) =>
      `${m.id} ${m.name} ${[...m.peerUrls].sort().join(',')} ${m.isLearner}`;
    expect(
      fromEtcdctl.map((m) => key({ id: m.ID, name: m.name, peerUrls: m.peerURLs, isLearner: m.isLearner })).sort(),
    ).toEqual(fromAdapters.map(key).sort());
  });

  it('etcdctl lists three started members, one per replica, serving clients on their own loopback and peers by instance name', async () => {
    const members = await etcdctlMemberList(certs, endpoints());
    expect(members).toHaveLength(3);
    // As kube-up's etcd.manifest: client URLs on 127.0.0.1 only (https on main with mTLS, http on events).
    const scheme = cluster === 'main' ? 'https' : 'http';
    for (const m of members) {
      expect(m.name).not.toBe('');
      expect(m.clientURLs).toEqual([`${scheme}://127.0.0.1:${PORTS[cluster]}`]);
    }
    const peerPort = cluster === 'main' ? 2380 : 2381;
    expect(members.flatMap((m) => m.peerURLs).sort()).toEqual(
      topology.replicas.map((r) => `https://${r.name}:${peerPort}`).sort(),
    );
    expect(members.map((m) => m.name).sort()).toEqual(topology.replicas.map((r) => `etcd-${r.name}`).sort());
  });

  it('etcdctl endpoint status agrees on every member id and on the leader', async () => {
    const statuses = await etcdctlEndpointStatus(certs, endpoints());
    expect(statuses).toHaveLength(3);
    for (const replica of topology.replicas) {
      // etcdctl runs inside each VM against 127.0.0.1, so its Endpoint names no replica: match by id.
      const mine = replica.etcd[cluster];
      expect(mine.ok).toBe(true);
      const s = mine.ok ? statuses.find((x) => x.Status.header.member_id === mine.memberId) : undefined;
      if (!s || !mine.ok) throw new Error(`no status for ${replica.name}`);
      expect(s.Status.leader).toBe(mine.leaderId);
      expect(s.Status.isLearner).toBe(mine.isLearner);
    }
    expect(new Set(statuses.map((s) => s.Status.leader)).size).toBe(1);
  });
});
