// A partition between two zones of prod, as the twin makes it (their VMs lose each other, both still reach the
// dashboard), observed through Quorum's SSH tunnels: each replica's etcd main reports its own peer links, and the
// assessment lowers the tolerance accordingly while calling nobody unhealthy. Checked against etcd itself, read
// inside each VM: `etcdctl endpoint status` for the leader, and the /metrics text fetched with curl for the links.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { hexIdToDecimal, parsePeerMetrics } from '@/lib/adapters/etcd/etcd-metrics';
import { assessTopology } from '@/lib/core/assessment';
import type { Topology } from '@/lib/core/topology';
import { observeCluster } from '@/lib/server/services/observe-cluster';
import { postSandboxChaos } from '../support/sandbox-chaos-http';
import { twinVmNamespace } from '../support/twin-etcdctl';
import {
  allHealthy,
  etcdctlEndpointStatus,
  pollUntil,
  PROD,
  replicaVms,
  sandboxPort,
  testContainer,
  writeEtcdctlCerts,
} from './support';

const run = promisify(execFile);
const c = testContainer();
let heal: (() => Promise<unknown>) | null = null;
afterEach(async () => {
  // Whatever failed, the files that follow need prod whole.
  await heal?.();
  heal = null;
});
afterAll(() => c.close());

/** The links of etcd main of `instance` as etcd itself serves them inside the VM (curl, not Quorum's adapter). */
async function metricsInVm(instance: string, tls: { cacert: string; cert: string; key: string }): Promise<string[]> {
  const { stdout } = await run('ip', [
    'netns',
    'exec',
    twinVmNamespace(inject('sandboxNet'), instance),
    'curl',
    '-sf',
    '--max-time',
    '5',
    '--cacert',
    tls.cacert,
    '--cert',
    tls.cert,
    '--key',
    tls.key,
    'https://127.0.0.1:2379/metrics',
  ]);
  const m = parsePeerMetrics(stdout);
  return m.activePeers;
}

// Counted against the members: etcd can keep the gauge of a member removed by an earlier file at 1.
const memberIdsOf = (t: Topology) => t.replicas.flatMap((r) => (r.etcd.main.ok ? [r.etcd.main.memberId] : []));
const fullyLinked = (t: Topology) =>
  allHealthy(t) &&
  t.replicas.every(
    (r) =>
      r.etcdPeers?.main?.ok &&
      r.etcdPeers.main.activePeers.filter((id) => memberIdsOf(t).includes(id)).length === t.replicas.length - 1,
  );

describe('partition between two zones of prod', () => {
  it('each side reports the other gone; nobody is unhealthy, no quorum loss, the tolerance drops to 0; healed, back to 1', async () => {
    const before = await pollUntil(() => observeCluster(PROD, c), fullyLinked, 60_000, 500);
    expect(fullyLinked(before)).toBe(true);
    const leaderId = before.replicas
      .map((r) => (r.etcd.main.ok ? r.etcd.main.leaderId : ''))
      .find((id) => id !== '' && id !== '0');
    const leader = before.replicas.find((r) => r.etcd.main.ok && r.etcd.main.memberId === leaderId);
    const followers = before.replicas.filter((r) => r !== leader);
    const [x, y] = followers;
    if (!leader || !x || !y) throw new Error('prod has no leader and two followers');

    heal = () => postSandboxChaos(sandboxPort(), `zones/${x.zone}/heal/${y.zone}`);
    await postSandboxChaos(sandboxPort(), `zones/${x.zone}/partition/${y.zone}`);
    // etcd notices a silent peer link after its read time-out (a few seconds), each side on its own clock: the
    // cut counts as soon as one side reports it; wait until both do.
    const cut = (t: Topology) =>
      (assessTopology(t, new Date(t.observedAt)).connectivity.main?.views ?? []).filter(
        (v) => (v.replica === x.name || v.replica === y.name) && v.sees.length === 1,
      ).length === 2;
    const during = await pollUntil(() => observeCluster(PROD, c), cut, 30_000, 500);
    const a = assessTopology(during, new Date(during.observedAt));
    expect(a.connectivity.main?.cutZones).toEqual([[x.zone, y.zone].sort()]);
    expect(a.replicaHealth).toEqual({ [leader.name]: 'healthy', [x.name]: 'healthy', [y.name]: 'healthy' });
    expect(a.etcd.main.hasQuorum).toBe(true);
    expect(a.findings.map((f) => f.code)).not.toContain('QuorumLost');
    // Only the leader's zone links the two sides: losing it would leave no member with a majority.
    expect([a.canLoseReplicas, a.canLoseZones]).toEqual([0, 0]);
    expect(a.connectivity.main?.holdingQuorum).toEqual([leader.name]);
    const views = new Map(a.connectivity.main?.views.map((v) => [v.replica, v]));
    expect(views.get(x.name)).toMatchObject({ leader: leader.name, sees: [leader.name] });
    expect(views.get(y.name)).toMatchObject({ leader: leader.name, sees: [leader.name] });
    expect(a.findings.find((f) => f.code === 'ZonePartition')?.message).toContain(
      `keeps quorum only through ${leader.zone}`,
    );

    // etcd itself, asked inside each VM: the same leader on every side, and the same links.
    const vms = await replicaVms(c, PROD);
    const certs = writeEtcdctlCerts(vms[0]?.metadata ?? {});
    try {
      const tls = certs.tls;
      if (!tls) throw new Error('prod main has no TLS files');
      const statuses = await etcdctlEndpointStatus(
        certs,
        during.replicas.map((r) => ({ instance: r.name, cluster: 'main' as const })),
      );
      expect(new Set(statuses.map((s) => s.Status.leader))).toEqual(new Set([leaderId]));
      const idOf = (name: string) => during.replicas.find((r) => r.name === name)?.etcd.main;
      const id = (name: string) => {
        const s = idOf(name);
        return s?.ok ? s.memberId : '';
      };
      // Only the current members count: a gauge etcd keeps at 1 for a member an earlier file removed is no link.
      const members = memberIdsOf(during);
      const linksOf = async (name: string) =>
        (await metricsInVm(name, tls)).filter((peer) => members.includes(peer)).sort();
      expect(await linksOf(x.name)).toEqual([id(leader.name)]);
      expect(await linksOf(y.name)).toEqual([id(leader.name)]);
      expect(await linksOf(leader.name)).toEqual([id(x.name), id(y.name)].sort());
      // The parser reads etcd's hex ids as the API's decimal ones.
      expect(hexIdToDecimal(BigInt(id(leader.name)).toString(16))).toBe(id(leader.name));
    } finally {
      certs.cleanup();
    }

    await postSandboxChaos(sandboxPort(), `zones/${y.zone}/heal/${x.zone}`);
    heal = null;
    const after = await pollUntil(() => observeCluster(PROD, c), fullyLinked, 30_000, 500);
    const healed = assessTopology(after, new Date(after.observedAt));
    expect(healed.connectivity.main?.cutPairs).toEqual([]);
    expect([healed.canLoseReplicas, healed.canLoseZones]).toEqual([1, 1]);
    expect(healed.findings.map((f) => f.code)).not.toContain('ZonePartition');
  }, 120_000);
});
