// A partition as the assessment reads it from each member's own report of its peer links (Replica.etcdPeers):
// prod, three replicas b01 (the leader in the builder), c02, d03, one per zone.
import { describe, expect, it } from 'vitest';
import { assessTopology } from './assessment';
import { NOW, buildTopology, prodSpec, withPeerLinks, withReplica } from './testing/topology-builder';

const B = 'prod-master-b01';
const C = 'prod-master-c02';
const D = 'prod-master-d03';
const prod = () => buildTopology(prodSpec());

describe('assessment of peer links', () => {
  it('all links up: the tolerance is the counted one, no partition finding, every view complete', () => {
    const a = assessTopology(withPeerLinks(prod(), []), NOW);
    expect([a.canLoseReplicas, a.canLoseZones]).toEqual([1, 1]);
    expect(a.findings.filter((f) => f.code === 'ZonePartition' || f.code === 'PeersCut')).toEqual([]);
    expect(a.connectivity.main?.views.map((v) => [v.replica, v.leader, v.sees.length, v.peers.length])).toEqual([
      [B, B, 2, 2],
      [C, B, 2, 2],
      [D, B, 2, 2],
    ]);
    expect(a.connectivity.events).toBeNull();
  });

  it('a removed member still listed as active (etcd can keep its gauge at 1) is not a peer: nothing changes', () => {
    const stale = '9999999999';
    const t = withPeerLinks(prod(), [[C, D]]);
    const withStale = {
      ...t,
      replicas: t.replicas.map((r) => {
        const view = r.etcdPeers?.main;
        return view?.ok
          ? { ...r, etcdPeers: { ...r.etcdPeers, main: { ...view, activePeers: [...view.activePeers, stale] } } }
          : r;
      }),
    };
    const a = assessTopology(withStale, NOW);
    expect([a.canLoseReplicas, a.canLoseZones]).toEqual([0, 0]);
    expect(a.connectivity.main?.cutPairs).toEqual([[C, D]]);
    expect(a.connectivity.main?.views.map((v) => [v.replica, v.sees.length, v.peers.length])).toEqual([
      [B, 2, 2],
      [C, 1, 2],
      [D, 1, 2],
    ]);
  });

  it('no report at all: as today (counted), connectivity null', () => {
    const a = assessTopology(prod(), NOW);
    expect([a.canLoseReplicas, a.canLoseZones]).toEqual([1, 1]);
    expect(a.connectivity.main).toBeNull();
    expect(a.zones.every((z) => z.lossKeepsQuorum)).toBe(true);
  });

  it("two followers cut (c|d): every replica healthy, no quorum loss, can lose 0, the leader's zone holds quorum", () => {
    const a = assessTopology(withPeerLinks(prod(), [[C, D]]), NOW);
    expect(Object.values(a.replicaHealth)).toEqual(['healthy', 'healthy', 'healthy']);
    expect(a.etcd.main.hasQuorum).toBe(true);
    expect(a.findings.map((f) => f.code)).not.toContain('QuorumLost');
    expect(a.findings.map((f) => f.code)).not.toContain('ReplicaUnhealthy');
    expect([a.canLoseReplicas, a.canLoseZones]).toEqual([0, 0]);
    expect(a.zones.map((z) => [z.zone, z.lossKeepsQuorum])).toEqual([
      ['europe-west1-b', false],
      ['europe-west1-c', true],
      ['europe-west1-d', true],
    ]);
    expect(a.connectivity.main).toMatchObject({
      cutPairs: [[C, D]],
      cutZones: [['europe-west1-c', 'europe-west1-d']],
      holdingQuorum: [B],
    });
    const finding = a.findings.find((f) => f.code === 'ZonePartition');
    expect(finding).toMatchObject({ severity: 'critical', subject: 'europe-west1-c | europe-west1-d' });
    expect(finding?.message).toContain(`${C} reports leader ${B} (term 3) and sees 1 of 2 peers: ${B}`);
    expect(finding?.message).toContain(`${D} reports leader ${B} (term 3) and sees 1 of 2 peers: ${B}`);
    expect(finding?.message).toContain(
      `etcd main keeps quorum only through europe-west1-b (${B}, the leader); losing it stops writes.`,
    );
    // Nothing to recover: the replicas are fine, the network between the zones is not.
    expect(finding?.action).toBeUndefined();
    expect(finding?.fix).toMatch(/firewall/);
    expect(finding?.fix).toMatch(/would not help/);
  });

  it('a cut reported by one side while the other did not report still counts', () => {
    const a = assessTopology(withPeerLinks(prod(), [[C, D]], { unreported: [D] }), NOW);
    expect(a.canLoseReplicas).toBe(0);
    expect(a.connectivity.main?.cutZones).toEqual([['europe-west1-c', 'europe-west1-d']]);
    expect(a.connectivity.main?.views.map((v) => v.replica)).toEqual([B, C]);
  });

  it("one side's gauge at 0 while the other lists it (etcd-io/etcd#14523, after a restart): linked, no partition, the counted tolerance", () => {
    // D reports both peers inactive, as the member that kept running did in CI after B and C were stopped and started;
    // B and C list D as active. Raft works (every member follows B), so nothing is cut.
    const t = withPeerLinks(prod(), []);
    const stuck = {
      ...t,
      replicas: t.replicas.map((r) => {
        const v = r.etcdPeers?.main;
        return r.name === D && v?.ok ? { ...r, etcdPeers: { ...r.etcdPeers, main: { ...v, activePeers: [] } } } : r;
      }),
    };
    const a = assessTopology(stuck, NOW);
    expect([a.canLoseReplicas, a.canLoseZones]).toEqual([1, 1]);
    expect(a.connectivity.main?.cutPairs).toEqual([]);
    expect(a.findings.filter((f) => f.code === 'ZonePartition' || f.code === 'PeersCut')).toEqual([]);
    // The view still says what D's etcd reports.
    expect(a.connectivity.main?.views.find((v) => v.replica === D)?.sees).toEqual([]);
  });

  it('every link cut: no member reaches a majority, and the finding says writes stop', () => {
    const a = assessTopology(
      withPeerLinks(prod(), [
        [B, C],
        [B, D],
        [C, D],
      ]),
      NOW,
    );
    expect(a.canLoseReplicas).toBe(0);
    expect(a.connectivity.main?.possibleLeaders).toEqual([]);
    expect(a.findings.filter((f) => f.code === 'ZonePartition')).toHaveLength(3);
    expect(a.findings.find((f) => f.code === 'ZonePartition')?.message).toContain(
      'No member reaches a majority of the 3 voters directly',
    );
  });

  it('a stopped replica plus a cut: the down one is no side of any cut, the tolerance is 0 as counted', () => {
    const t = withPeerLinks(withReplica(prod(), D, { vmStatus: 'STOPPED' }), []);
    const a = assessTopology(t, NOW);
    expect(a.canLoseReplicas).toBe(0);
    expect(a.findings.filter((f) => f.code === 'ZonePartition')).toEqual([]);
  });

  it('five replicas, one pair cut inside no zone cut: a PeersCut finding, the tolerance still 2', () => {
    const five = buildTopology(
      prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'c' }, { zone: 'd' }] }),
    );
    const [r1, , r3] = five.replicas.map((r) => r.name);
    const a = assessTopology(withPeerLinks(five, [[r1 ?? '', r3 ?? '']]), NOW);
    expect(a.canLoseReplicas).toBe(2);
    expect(a.findings.filter((f) => f.code === 'ZonePartition')).toEqual([]);
    const cut = a.findings.find((f) => f.code === 'PeersCut');
    expect(cut?.severity).toBe('warning');
    expect(cut?.message).toContain(`${r1} and ${r3} cannot reach each other`);
  });

  it('the leader cut from a follower (b|c): the follower knows no leader and its API server is not ready; unhealthy, but no recovery offered', () => {
    const t = withReplica(withPeerLinks(prod(), [[B, C]]), C, (r) => ({
      ...r,
      etcd: { ...r.etcd, main: r.etcd.main.ok ? { ...r.etcd.main, leaderId: '0' } : r.etcd.main },
      apiServer: { ready: false, live: true },
    }));
    const a = assessTopology(t, NOW);
    expect(a.replicaHealth[C]).toBe('unhealthy');
    expect(a.canLoseReplicas).toBe(0);
    const unhealthy = a.findings.find((f) => f.code === 'ReplicaUnhealthy');
    expect(unhealthy?.message).toContain(`knows no leader, because it has no link to ${B}`);
    expect(unhealthy?.action).toBeUndefined();
    expect(unhealthy?.fix).toMatch(/^Do not replace/);
    expect(a.connectivity.main?.views.find((v) => v.replica === C)).toMatchObject({ leader: null, sees: [D] });
    expect(a.findings.find((f) => f.code === 'ZonePartition')?.message).toContain(
      `${C} knows no leader and sees 1 of 2 peers: ${D}`,
    );
    // A follower that fails for its own reasons, with no cut, is still offered a recovery.
    const down = assessTopology(
      withReplica(withPeerLinks(prod(), []), C, (r) => ({ ...r, apiServer: { ready: false, live: true } })),
      NOW,
    );
    expect(down.findings.find((f) => f.code === 'ReplicaUnhealthy')?.action).toEqual({ kind: 'recover', replica: C });
  });
});
