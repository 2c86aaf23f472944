// The write-safety harness (tests/support/write-safety.ts) against prod's real etcd main: a writer keeps
// putting sequential keys while etcd main is killed on a follower and restored, and every acknowledged key
// reads back, from the cluster and from each member's own copy. Then the check is shown to fail when it
// should: a key deleted and a key overwritten behind the writer's back are reported lost, and only those.
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import type { EtcdEndpoint } from '@/lib/ports/etcd-admin';
import { observeCluster } from '@/lib/server/services/observe-cluster';
import { etcdClientPems } from '../support/etcd-client-pems';
import { instanceChaosPath, postSandboxChaos } from '../support/sandbox-chaos-http';
import { TwinEtcdForwards } from '../support/twin-forward';
import {
  formatWriteSafetyReport,
  keyOf,
  startWriter,
  verifyAcknowledged,
  type WriteSafetyReport,
} from '../support/write-safety';
import {
  allHealthy,
  etcdctlText,
  pollUntil,
  PROD,
  replicaVms,
  sandboxPort,
  sleep,
  testContainer,
  writeEtcdctlCerts,
} from './support';

const c = testContainer();
// The writer reaches each replica's etcd main on the replica's own 127.0.0.1, as its API server does.
const forwards = new TwinEtcdForwards(inject('sandboxNet'));
afterAll(async () => {
  await forwards.close();
  await c.close();
});
/** Writer endpoints of prod's replicas as Compute lists them now (a replaced replica is picked up). */
const prodWriterEndpoints = async () =>
  forwards.endpoints((await replicaVms(c, PROD)).filter((v) => v.status === 'RUNNING').map((v) => v.name));

const prefix = (label: string) => `/quorum-it/write-safety/${label}-${Date.now().toString(36)}`;

/** Prod healthy; one follower of etcd main, its endpoint, and the client credentials from its metadata. */
async function prodFollower() {
  const t = await pollUntil(() => observeCluster(PROD, c), allHealthy, 60_000);
  expect(allHealthy(t), 'prod healthy before the writer starts').toBe(true);
  const r = t.replicas.find((x) => x.etcd.main.ok && x.etcd.main.memberId !== x.etcd.main.leaderId);
  if (!r?.internalIp) throw new Error('no prod follower');
  const [vm] = (await replicaVms(c, PROD)).filter((x) => x.name === r.name);
  if (!vm) throw new Error(`no VM ${r.name}`);
  return {
    name: r.name,
    zone: r.zone,
    endpoint: c.endpoints.etcd({ ...vm, project: PROD.project }, 'main'),
    metadata: vm.metadata,
  };
}

/** etcdctl (not the harness's client) deletes everything the test wrote under `p`. */
async function deletePrefix(metadata: Record<string, string>, endpoint: EtcdEndpoint, p: string): Promise<void> {
  const certs = writeEtcdctlCerts(metadata);
  try {
    await etcdctlText(certs, endpoint, ['del', '--prefix', `${p}/`]);
  } finally {
    certs.cleanup();
  }
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  // A failed assertion must not leave prod's etcd killed for the files after this one.
  if (cleanup) await cleanup().catch(() => undefined);
  cleanup = null;
});

describe('write-safety harness on prod', () => {
  it('loses no acknowledged write while etcd main is killed on the follower the writer uses, and restored', async () => {
    const victim = await prodFollower();
    const restore = () =>
      postSandboxChaos(sandboxPort(), instanceChaosPath(PROD.project, victim.zone, victim.name, 'restore')).then(
        () => undefined,
      );
    cleanup = restore;
    const p = prefix('kill');
    // The victim's endpoint first: the writer starts on it, so the kill hits writes in flight.
    const victimEndpoint = await forwards.endpoint(victim.name);
    const endpoints = async () => {
      const all = await prodWriterEndpoints();
      return [victimEndpoint, ...all.filter((e) => e.address !== victimEndpoint.address)];
    };
    const writer = startWriter({ endpoints, tls: etcdClientPems(victim.metadata), prefix: p, attemptTimeoutMs: 1_000 });
    let report: WriteSafetyReport;
    try {
      await pollUntil(
        async () => writer.acknowledged,
        (n) => n >= 20,
        10_000,
        50,
      );
      const beforeKill = writer.acknowledged;
      expect(beforeKill, 'writes acknowledged through the victim before the kill').toBeGreaterThanOrEqual(20);
      await postSandboxChaos(sandboxPort(), instanceChaosPath(PROD.project, victim.zone, victim.name, 'kill-etcd'), {
        cluster: 'main',
      });
      await sleep(3_000);
      expect(writer.acknowledged, 'writes go on through the other members while the victim is down').toBeGreaterThan(
        beforeKill + 20,
      );
      await restore();
      cleanup = null;
      await sleep(1_500);
    } finally {
      report = await writer.stop();
    }
    try {
      const lines = formatWriteSafetyReport(report).join('\n');
      console.log(`write-safety, etcd main killed on ${victim.name}:\n  ${lines.replaceAll('\n', '\n  ')}`);
      expect(report.acknowledged, lines).toBeGreaterThan(40);
      expect(report.lost, lines).toEqual([]);
      // The kill reached the writer: at least one attempt on the victim failed, and the writer went elsewhere.
      expect(report.attemptsFailed, lines).toBeGreaterThan(0);
      expect(
        Object.keys(report.failures).some((k) => k === 'connection' || k === 'timeout'),
        JSON.stringify(report.failures),
      ).toBe(true);
      expect(report.longestStall.ms).toBeGreaterThan(0);
      // The restored member caught up: its own copy holds every acknowledged key, as the others' do.
      expect(report.members.map((m) => [m.endpoint, m.missing])).toEqual(report.members.map((m) => [m.endpoint, []]));
      expect(report.members.map((m) => m.endpoint)).toContain(`https://${victimEndpoint.address}`);
    } finally {
      await deletePrefix(victim.metadata, victim.endpoint, p);
    }
  }, 120_000);

  it('reports exactly the acknowledged keys deleted or overwritten behind the writer back', async () => {
    const member = await prodFollower();
    const tls = etcdClientPems(member.metadata);
    const endpoints = prodWriterEndpoints;
    const p = prefix('tamper');
    const writer = startWriter({ endpoints, tls, prefix: p });
    await pollUntil(
      async () => writer.acknowledged,
      (n) => n >= 30,
      15_000,
      50,
    );
    const stats = await writer.halt();
    try {
      const acked = stats.acknowledgedSeqs;
      expect(acked.length).toBeGreaterThanOrEqual(30);
      const verify = (convergeMs: number) =>
        verifyAcknowledged({ endpoints, tls, prefix: p, runId: stats.runId, acknowledgedSeqs: acked, convergeMs });
      expect((await verify(5_000)).lost, 'nothing lost before the tampering').toEqual([]);

      const deleted = acked[7] ?? -1;
      const overwritten = acked[19] ?? -1;
      const certs = writeEtcdctlCerts(member.metadata);
      try {
        expect(await etcdctlText(certs, member.endpoint, ['del', keyOf(p, deleted)])).toBe('1');
        expect(
          await etcdctlText(certs, member.endpoint, ['put', keyOf(p, overwritten), 'not-what-the-writer-wrote']),
        ).toBe('OK');
      } finally {
        certs.cleanup();
      }
      // The members will not converge on "nothing missing" now; 2 s is plenty for the delete to replicate.
      const after = await verify(2_000);
      expect(after.lost).toEqual([deleted, overwritten]);
      // Each member's own copy tells the same (the deletes are replicated like any write).
      for (const m of after.members) expect(m.missing, m.endpoint).toEqual([deleted, overwritten]);
    } finally {
      await deletePrefix(member.metadata, member.endpoint, p);
    }
  }, 60_000);
});
