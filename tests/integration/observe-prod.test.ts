import { afterAll, describe, expect, inject, it } from 'vitest';
import { assessTopology } from '@/lib/core/assessment';
import { holderReplica, type Topology } from '@/lib/core/topology';
import { observeCluster } from '@/lib/server/services/observe-cluster';
import { twinRegionSubnet } from '@/sandbox/compute/ip-plan';
import { allHealthy, pollUntil, PROD, STAGING, testContainer } from './support';

const c = testContainer();
afterAll(() => c.close());

// The seed may still be settling (leases elected, LB propagated) right after `seeded: true`.
const settledProd = () =>
  pollUntil(
    () => observeCluster(PROD, c),
    (t) => allHealthy(t) && (t.leases ?? []).some((l) => l.holderIdentity),
    30_000,
  );

describe('observeCluster(prod) through the adapters', () => {
  it('sees three RUNNING replicas, one per zone of europe-west1', async () => {
    const t = await settledProd();
    expect(t.regionZones).toEqual(['europe-west1-b', 'europe-west1-c', 'europe-west1-d']);
    expect(t.replicas).toHaveLength(3);
    expect(t.replicas.map((r) => r.zone).sort()).toEqual(['europe-west1-b', 'europe-west1-c', 'europe-west1-d']);
    for (const r of t.replicas) {
      expect(r.vmStatus).toBe('RUNNING');
      // Internal addresses of the twin's network: europe-west1's /25 of the net's block in 198.18.0.0/15.
      expect(twinRegionSubnet(inject('sandboxNet'), 1).hosts).toContain(r.internalIp);
      expect(r.etcd.main).toMatchObject({ ok: true, isLearner: false });
      expect(r.etcd.events).toMatchObject({ ok: true, isLearner: false });
      expect(r.apiServer).toEqual({ ready: true, live: true });
    }
    // Current kube-up's kube-env has no quorum-read setting (etcd3 reads are linearizable).
    expect(t.settings).toEqual({ multizone: true, quorumReads: null });
  });

  it('sees the load balancer: forwarding rule on the static IP, target pool with every replica', async () => {
    const t = await settledProd();
    expect(t.staticAddress).toMatchObject({ name: 'prod-master-ip', status: 'IN_USE' });
    expect(t.forwardingRule).toMatchObject({
      name: 'prod-master',
      ipAddress: t.staticAddress?.address,
      target: 'prod-master',
    });
    expect(t.staticAddress?.users).toContain('prod-master');
    expect(t.targetPool?.instances.sort()).toEqual(t.replicas.map((r) => r.name).sort());
  });

  it('sees one etcd leader per cluster among three voters, on both etcd clusters', async () => {
    const t = await settledProd();
    for (const cluster of ['main', 'events'] as const) {
      expect(t.etcd[cluster].members).toHaveLength(3);
      const leaders = new Set(t.replicas.map((r) => (r.etcd[cluster].ok ? r.etcd[cluster].leaderId : null)));
      expect(leaders.size).toBe(1);
      const memberIds = new Set(t.replicas.map((r) => (r.etcd[cluster].ok ? r.etcd[cluster].memberId : null)));
      expect(memberIds.size).toBe(3);
      expect([...memberIds]).toContain([...leaders][0]);
    }
  });

  it('reads leases held by replicas, and nodes with zones', async () => {
    const t = await settledProd();
    const names = t.replicas.map((r) => r.name);
    const held = (t.leases ?? []).filter((l) => l.holderIdentity);
    expect(held.length).toBeGreaterThan(0);
    for (const lease of held) expect(names).toContain(holderReplica(lease.holderIdentity ?? ''));
    expect(t.nodes?.length).toBeGreaterThan(0);
    for (const node of t.nodes ?? []) expect(node.zone).toMatch(/^europe-west1-[bcd]$/);
  });

  it('carries what each etcd main reports about its peers: every member linked to the two others', async () => {
    const t = await pollUntil(
      () => settledProd(),
      (x) => x.replicas.every((r) => r.etcdPeers?.main?.ok && r.etcdPeers.main.activePeers.length === 2),
      30_000,
    );
    const ids = (t.etcd.main.members ?? []).map((m) => m.id);
    for (const r of t.replicas) {
      const self = r.etcd.main.ok ? r.etcd.main.memberId : '';
      expect(r.etcdPeers?.main).toEqual({
        ok: true,
        activePeers: expect.arrayContaining(ids.filter((id) => id !== self)),
        hasLeader: true,
      });
    }
    const a = assessTopology(t, new Date(t.observedAt));
    expect(a.connectivity.main).toMatchObject({ cutPairs: [], cutZones: [] });
    expect(a.connectivity.main?.views.map((v) => v.sees.length)).toEqual([2, 2, 2]);
  });

  it('is assessed healthy: can lose one replica and one zone', async () => {
    const t = await settledProd();
    const a = assessTopology(t, new Date(t.observedAt));
    expect(a.healthyReplicas).toBe(3);
    expect(a.canLoseReplicas).toBe(1);
    expect(a.canLoseZones).toBe(1);
  });

  it('never carries metadata or key material', async () => {
    const t: Topology = await settledProd();
    const json = JSON.stringify(t);
    expect(json).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|kube-env|kube-master-certs|KUBECFG|ETCD_APISERVER/);
    // Base64 of "-----BEGIN" as kube-up stores PEMs in metadata.
    expect(json).not.toContain('LS0tLS1CRUdJTi');
  });
});

describe('observeCluster(staging)', () => {
  it('sees the single replica holding the static address, no load balancer, quorum reads off', async () => {
    const t = await pollUntil(() => observeCluster(STAGING, c), allHealthy, 30_000);
    expect(t.replicas).toHaveLength(1);
    expect(t.replicas[0]?.zone).toBe('us-central1-b');
    expect(t.forwardingRule).toBeNull();
    expect(t.targetPool).toBeNull();
    expect(t.staticAddress?.users).toEqual([t.replicas[0]?.name]);
    expect(t.replicas[0]?.externalIp).toBe(t.staticAddress?.address);
    expect(t.settings).toEqual({ multizone: true, quorumReads: false });
    expect(t.etcd.main.members).toHaveLength(1);
  });
});
