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
  const endpoints = () => topology.replicas.map((r) => ({ address: `${r.internalIp}:${PORTS[cluster]}`, serverName: `etcd-${r.name}` }));

  it('etcdctl member list agrees with the adapters: same ids, names and peer URLs', async () => {
    const fromEtcdctl = await etcdctlMemberList(certs, endpoints());
    const fromAdapters = topology.etcd[cluster].members ?? [];
    const key = (m: { id: string; name: string; peerUrls: string[]; isLearner: boolean }) => `${m.id} ${m.name} ${[...m.peerUrls].sort().join(',')} ${m.isLearner}`;
    expect(fromEtcdctl.map((m) => key({ id: m.ID, name: m.name, peerUrls: m.peerURLs, isLearner: m.isLearner })).sort()).toEqual(
      fromAdapters.map(key).sort(),
    );
  });

  it('etcdctl lists three started members, one per replica, on the replicas\' internal IPs', async () => {
    const members = await etcdctlMemberList(certs, endpoints());
    expect(members).toHaveLength(3);
    const ips = topology.replicas.map((r) => r.internalIp).sort();
    const clientHosts = members.map((m) => {
      expect(m.name).not.toBe('');
      expect(m.clientURLs).toHaveLength(1);
      return new URL(m.clientURLs[0] ?? '').hostname;
    });
    expect(clientHosts.sort()).toEqual(ips);
    expect(members.map((m) => m.name).sort()).toEqual(topology.replicas.map((r) => `etcd-${r.name}`).sort());
  });

  it('etcdctl endpoint status agrees on every member id and on the leader', async () => {
    const statuses = await etcdctlEndpointStatus(certs, endpoints());
    expect(statuses).toHaveLength(3);
    for (const replica of topology.replicas) {
      // etcdctl reaches TLS members through a local forward, so its Endpoint is no replica address: match by id.
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
