// The core of the future add/remove steps, done by hand against real etcd: a second replica joins the
// STAGING cluster as a learner in etcd main and events, with certificates and metadata made by lib/pki
// from the first master's metadata, is promoted once caught up, is checked with etcdctl, and is removed
// again, so staging ends as it began (one replica, one member per etcd cluster).
import { randomBytes, X509Certificate } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { readMasterMetadata } from '@/lib/adapters/gce/master-metadata';
import type { EtcdClusterName } from '@/lib/core/topology';
import type { InstanceInfo } from '@/lib/ports/compute';
import type { EtcdAccess } from '@/lib/ports/etcd-admin';
import type { ReplicaAddress } from '@/lib/server/container';
import { isProviderError } from '@/lib/ports/provider-error';
import { buildReplicaMetadata } from '@/lib/pki/replica-certs';
import {
  etcdctlEndpointStatus,
  etcdctlMemberList,
  pollUntil,
  sleep,
  STAGING,
  testContainer,
  writeEtcdctlCerts,
} from './support';

const c = testContainer();
const { project, region, masterName } = STAGING;
const ZONE = 'us-central1-c';
const CLUSTERS: EtcdClusterName[] = ['main', 'events'];
const PEER_PORTS: Record<EtcdClusterName, number> = { main: 2380, events: 2381 };
const newName = `${masterName}-${randomBytes(2).toString('hex').slice(0, 3)}`;
const log = (msg: string) => console.log(`[replica-certs] ${msg}`);

let creds: EtcdAccess | null = null;
// The replicas as Compute lists them (the reach port gets into a replica by project, zone and instance id):
// the first from the start, the new one once its instance exists.
let first: InstanceInfo | null = null;
let created: InstanceInfo | null = null;
const addressOf = (i: InstanceInfo | null, what: string): ReplicaAddress => {
  if (!i) throw new Error(`${what} is not known to Compute yet`);
  return { ...i, project };
};
const firstRef = () => addressOf(first, masterName);
const newRef = () => addressOf(created, newName);
let firstIp = '';
let newIp = '';

async function stagingReplicas(): Promise<InstanceInfo[]> {
  return c.compute.listInstances(project, `^${masterName}(-...)?$`);
}

/** Removes whatever of the new replica exists: members (both clusters), instance, disk. */
async function removeNewReplica(): Promise<void> {
  if (creds !== null && firstIp !== '' && newIp !== '') {
    for (const cluster of CLUSTERS) {
      const endpoint = c.endpoints.etcd(firstRef(), cluster);
      const peer = `https://${newIp}:${PEER_PORTS[cluster]}`;
      // etcd refuses a reconfiguration for a few seconds after a member (re)connects: retry those.
      for (let attempt = 0; attempt < 20; attempt++) {
        const members = await c.etcd.memberList([endpoint], creds[cluster], 5_000);
        const member = members.find((m) => m.peerUrls.includes(peer));
        if (!member) break;
        try {
          await c.etcd.memberRemove([endpoint], creds[cluster], member.id);
        } catch (e) {
          if (!(isProviderError(e) && (e.code === 'EtcdRefused' || e.code === 'Timeout'))) throw e;
          log(`member remove ${cluster} refused (${e.message}); retrying`);
          await sleep(1_000);
        }
      }
    }
  }
  if (await c.compute.getInstance(project, ZONE, newName)) await c.compute.deleteInstance(project, ZONE, newName);
  if (await c.compute.getDisk(project, ZONE, `${newName}-pd`))
    await c.compute.deleteDisk(project, ZONE, `${newName}-pd`);
}

afterAll(async () => {
  try {
    await removeNewReplica();
  } finally {
    await c.close();
  }
}, 120_000);

describe('a replica added to staging by hand with lib/pki certificates', () => {
  it('joins as a learner in main and events, is promoted, and leaves again', async () => {
    const before = await stagingReplicas();
    expect(before.map((r) => r.name)).toEqual([masterName]);
    first = before[0] ?? null;
    if (!first?.internalIp) throw new Error('staging master has no internal IP');
    firstIp = first.internalIp;
    const read = readMasterMetadata(first.metadata);
    if (!read?.etcd)
      throw new Error(`staging master's etcd layout unreadable: ${read?.problems.join('; ') ?? 'no kube-env'}`);
    const access = read.etcd;
    creds = access;
    const staticAddress = await c.compute.getAddress(project, region, `${masterName}-ip`);
    if (!staticAddress) throw new Error('staging has no static address');

    // 1. Name, IP, certificates and metadata, before anything changes.
    newIp = await c.compute.freeInternalIp(project, region);
    const { metadata } = await buildReplicaMetadata(first.metadata, { name: newName }, [masterName]);
    log(`new replica ${newName} in ${ZONE} at ${newIp}`);
    // As kube-up's replicate-master-instance: the shared certificates are copied byte for byte, the member's
    // own etcd peer cert is new, gzip+base64, with kube-up's SANs.
    const docOf = (items: ReadonlyArray<{ key: string; value: string }> | Record<string, string>, key: string) => {
      const text = Array.isArray(items)
        ? items.find((i) => i.key === key)?.value
        : (items as Record<string, string>)[key];
      return parseYaml(text ?? '') as Record<string, string>;
    };
    const [srcEnv, srcCerts, newEnv, newCerts] = [
      docOf(first.metadata, 'kube-env'),
      docOf(first.metadata, 'kube-master-certs'),
      docOf(metadata, 'kube-env'),
      docOf(metadata, 'kube-master-certs'),
    ];
    for (const key of [
      'MASTER_CERT',
      'MASTER_KEY',
      'CA_CERT',
      'KUBECFG_CERT',
      'KUBE_BEARER_TOKEN',
      'KUBERNETES_MASTER_NAME',
    ])
      expect(newEnv[key], key).toBe(srcEnv[key]);
    for (const key of ['KUBEAPISERVER_CERT', 'KUBEAPISERVER_KEY', 'CA_KEY'])
      expect(newCerts[key], key).toBe(srcCerts[key]);
    expect(newEnv.ETCD_PEER_CERT).not.toBe(srcEnv.ETCD_PEER_CERT);
    const peer = new X509Certificate(gunzipSync(Buffer.from(newEnv.ETCD_PEER_CERT ?? '', 'base64')));
    expect(peer.checkHost(newName)).toBe(newName);
    expect(peer.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(
      Object.keys(newCerts).filter((k) => k.startsWith('ETCD_APISERVER_')),
      'pre-1.16 layout stays without ETCD_APISERVER_*',
    ).toEqual([]);

    // 2. Learners first, in both clusters, before the VM exists.
    const t0 = Date.now();
    const learners: Record<EtcdClusterName, string> = { main: '', events: '' };
    for (const cluster of CLUSTERS) {
      const member = await c.etcd.memberAddLearner([c.endpoints.etcd(firstRef(), cluster)], access[cluster], [
        `https://${newIp}:${PEER_PORTS[cluster]}`,
      ]);
      expect(member.isLearner).toBe(true);
      expect(member.name).toBe('');
      learners[cluster] = member.id;
    }
    // Only one learner at a time: a second add is refused by etcd, with its words.
    const second = await c.etcd
      .memberAddLearner([c.endpoints.etcd(firstRef(), 'main')], access.main, [`https://127.0.0.99:2380`])
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isProviderError(second) ? second.code : second).toBe('EtcdRefused');
    // A learner is not ready to promote before it even runs.
    const early = await c.etcd.memberPromote([c.endpoints.etcd(firstRef(), 'main')], access.main, learners.main).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isProviderError(early) ? early.code : early).toBe('LearnerNotReady');

    // 3. Disk and instance with the rewritten metadata.
    await c.compute.insertDisk(project, ZONE, { name: `${newName}-pd`, sizeGb: 20, type: 'pd-ssd' });
    await c.compute.insertInstance({
      project,
      zone: ZONE,
      name: newName,
      machineType: 'n1-standard-1',
      networkIP: newIp,
      tags: first.tags,
      metadata,
      dataDisk: `${newName}-pd`,
      externalIp: 'ephemeral',
    });
    const tInstance = Date.now();
    created = await c.compute.getInstance(project, ZONE, newName);
    expect(created?.internalIp).toBe(newIp);
    log(`learners added and instance running after ${tInstance - t0} ms`);

    // 4. Promote as soon as etcd lets us (LearnerNotReady until the learner is in sync).
    const promotedAfter: Record<EtcdClusterName, number> = { main: 0, events: 0 };
    let notReady = 0;
    for (const cluster of CLUSTERS) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await c.etcd.memberPromote([c.endpoints.etcd(firstRef(), cluster)], access[cluster], learners[cluster]);
          promotedAfter[cluster] = Date.now() - tInstance;
          break;
        } catch (e) {
          if (!(isProviderError(e) && e.code === 'LearnerNotReady') || Date.now() > deadline) throw e;
          notReady++;
          await sleep(100);
        }
      }
    }
    log(
      `promote accepted ${promotedAfter.main} ms (main), ${promotedAfter.events} ms (events) after the instance was RUNNING; ${notReady} LearnerNotReady answers`,
    );

    // 5. etcdctl, with the NEW replica's client certificate from its metadata: two started voters each.
    const certs = writeEtcdctlCerts(Object.fromEntries(metadata.map((i) => [i.key, i.value])));
    try {
      for (const cluster of CLUSTERS) {
        const endpoints = [c.endpoints.etcd(firstRef(), cluster), c.endpoints.etcd(newRef(), cluster)];
        const members = await pollUntil(
          () => etcdctlMemberList(certs, endpoints),
          (ms) => ms.length === 2 && ms.every((m) => m.name !== '' && m.clientURLs.length > 0 && !m.isLearner),
          30_000,
        );
        expect(members.map((m) => m.name).sort()).toEqual([`etcd-${masterName}`, `etcd-${newName}`].sort());
        expect(members.every((m) => !m.isLearner)).toBe(true);
        // The new member serves clients (on its own loopback) with the etcd-apiserver server cert lib/pki issued.
        const status = await pollUntil(
          () => etcdctlEndpointStatus(certs, [c.endpoints.etcd(newRef(), cluster)]).catch(() => []),
          (s) => s.length === 1,
          30_000,
        );
        expect(status[0]?.Status.isLearner).toBe(false);
        expect(status[0]?.Status.leader).not.toBe('0');
      }
    } finally {
      certs.cleanup();
    }
    log(`both clusters have two started voters ${Date.now() - tInstance} ms after the instance was RUNNING`);

    // The new API server serves MASTER_CERT, copied from the first master: verified against CA_CERT as `kubernetes`.
    if (!read.kube) throw new Error('staging master has no kube credentials');
    const kubeCreds = read.kube;
    const probe = await pollUntil(
      () => c.kube.probe(c.endpoints.apiServer(newRef()), kubeCreds, 5_000),
      (p) => p.ready === true,
      60_000,
    );
    expect(probe).toEqual({ ready: true, live: true });
    log(`its API server is ready ${Date.now() - tInstance} ms after the instance was RUNNING`);

    // 6. Leadership moves to the new member (sent to the current leader) and back, as remove needs.
    const leaderOf = async () => {
      const s = await c.etcd.status(c.endpoints.etcd(firstRef(), 'main'), access.main, 5_000);
      if (!s.ok) throw new Error(`status of the first member: ${s.error}`);
      return { leaderId: s.leaderId, selfId: s.memberId };
    };
    const { selfId } = await leaderOf();
    const members = await c.etcd.memberList([c.endpoints.etcd(firstRef(), 'main')], access.main, 5_000);
    const newId = members.find((m) => m.name === `etcd-${newName}`)?.id ?? '';
    const notLeader = await c.etcd
      .moveLeader(
        c.endpoints.etcd((await leaderOf()).leaderId === selfId ? newRef() : firstRef(), 'main'),
        access.main,
        selfId,
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isProviderError(notLeader) ? notLeader.code : notLeader).toBe('EtcdRefused');
    const toNew = (await leaderOf()).leaderId === selfId ? firstRef() : newRef();
    await c.etcd.moveLeader(c.endpoints.etcd(toNew, 'main'), access.main, newId);
    expect((await pollUntil(leaderOf, (l) => l.leaderId === newId, 10_000)).leaderId).toBe(newId);
    await c.etcd.moveLeader(c.endpoints.etcd(newRef(), 'main'), access.main, selfId);
    expect((await pollUntil(leaderOf, (l) => l.leaderId === selfId, 10_000)).leaderId).toBe(selfId);

    // 7. Remove it again: members, instance, disk. Staging is back to one replica and one member each.
    await removeNewReplica();
    const finalCerts = writeEtcdctlCerts(first.metadata);
    try {
      for (const cluster of CLUSTERS) {
        const left = await etcdctlMemberList(finalCerts, [c.endpoints.etcd(firstRef(), cluster)]);
        expect(left.map((m) => [m.name, m.isLearner])).toEqual([[`etcd-${masterName}`, false]]);
      }
    } finally {
      finalCerts.cleanup();
    }
    expect((await stagingReplicas()).map((r) => r.name)).toEqual([masterName]);
    expect(await c.compute.getDisk(project, ZONE, `${newName}-pd`)).toBeNull();
  }, 240_000);
});
