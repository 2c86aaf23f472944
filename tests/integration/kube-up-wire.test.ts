// The seeded masters' metadata, read through the real Compute client, checked against what kube-up writes
// (reference/kube-up-wire.md): names, encodings, SANs, the shared serving cert, the two etcd layouts. Then a
// new prod replica's metadata as Quorum's add builds it: the shared certificates copied byte for byte, only
// the member's own etcd certificates new, gzip+base64 with kube-up's SANs. Decoded here with node:zlib and
// node:crypto, not with the adapters' parsing.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { assessTopology } from '@/lib/core/assessment';
import { planOperation, type ClusterIntent } from '@/lib/core/planner';
import { clusterId } from '@/lib/core/topology';
import { systemClock } from '@/lib/ports/clock';
import type { InstanceInfo } from '@/lib/ports/compute';
import { buildReplicaMetadata } from '@/lib/pki/replica-certs';
import { createRunner } from '@/lib/server/operations/runner';
import { createStepCompensations, createStepExecutors, rollbackKindsOf } from '@/lib/server/operations/steps';
import { observeCluster } from '@/lib/server/services/observe-cluster';
import { allHealthy, expectConsistent, pollUntil, PROD, replicaVms, STAGING, testContainer } from './support';

// The add runs through the runner with its journal and snapshots in a temporary data dir; plans are made
// with a longer probe deadline than the dashboard's, so a busy machine does not read as a replica down.
const dir = mkdtempSync(path.join(tmpdir(), 'quorum-wire-'));
const c = testContainer({ QUORUM_PROBE_TIMEOUT_MS: '3000', QUORUM_DATA_DIR: dir });
let store: SqliteStore;
beforeAll(async () => {
  store = await openSqliteStore(dir);
});
afterAll(async () => {
  await store.close();
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runIntent(intent: ClusterIntent) {
  const topology = await pollUntil(() => observeCluster(PROD, c), allHealthy, 60_000);
  const planned = planOperation({
    topology,
    assessment: assessTopology(topology, new Date(topology.observedAt)),
    intent,
    operationInProgress: false,
  });
  if (!planned.ok) throw new Error(`refused: ${planned.refusal.code} ${planned.refusal.message}`);
  const op = await store.createOperation({
    clusterId: clusterId(PROD),
    kind: intent.kind,
    intent,
    plan: { ...planned.plan, rollback: rollbackKindsOf(planned.plan.steps) },
    actor: 'integration-test',
  });
  const runner = createRunner({
    store,
    clock: systemClock,
    executors: createStepExecutors(c),
    compensations: createStepCompensations(c),
    log: () => {},
  });
  const ended = await runner.start(op.id);
  if (ended.status !== 'succeeded')
    throw new Error(`${intent.kind} ${ended.status}: ${(await store.logs(op.id)).map((l) => l.message).join(' | ')}`);
  return store.steps(op.id);
}

const doc = (m: Record<string, string>, key: 'kube-env' | 'kube-master-certs') =>
  z.record(z.string(), z.string()).parse(parseYaml(m[key] ?? '') ?? {});
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const GZIP_MAGIC = '1f8b';

/** `base64 --decode | gunzip`, failing the test when the value is not gzip. */
function gunzipPem(value: string | undefined, key: string): string {
  expect(value, key).toMatch(BASE64);
  const bytes = Buffer.from(value ?? '', 'base64');
  expect(bytes.subarray(0, 2).toString('hex'), `${key} is gzip`).toBe(GZIP_MAGIC);
  const pem = gunzipSync(bytes).toString('utf8');
  expect(pem, key).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
  return pem;
}

/** `base64 --decode`, of a value that is not gzip. */
function plainPem(value: string | undefined, key: string, label = 'CERTIFICATE'): string {
  expect(value, key).toMatch(BASE64);
  const pem = Buffer.from(value ?? '', 'base64').toString('utf8');
  expect(pem, key).toMatch(new RegExp(`^-----BEGIN ${label}-----\\n`));
  return pem;
}

const sans = (cert: X509Certificate) =>
  (cert.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s !== '')
    .sort();

async function seeded(ref: typeof PROD): Promise<{ vms: InstanceInfo[]; staticIp: string }> {
  const vms = await replicaVms(c, ref);
  const address = await c.compute.getAddress(ref.project, ref.region, `${ref.masterName}-ip`);
  if (!address) throw new Error(`${ref.masterName} has no static address`);
  return { vms, staticIp: address.address };
}

describe.each([
  { ref: PROD, layout: 'mtls' as const, replicas: 3 },
  { ref: STAGING, layout: 'legacy' as const, replicas: 1 },
])('$ref.masterName: metadata as kube-up writes it ($layout)', ({ ref, layout, replicas }) => {
  it('kube-env has no MASTER_NAME; KUBERNETES_MASTER_NAME is the static IP; the replicas share the cluster-wide values', async () => {
    const { vms, staticIp } = await seeded(ref);
    expect(vms).toHaveLength(replicas);
    for (const vm of vms) {
      const env = doc(vm.metadata, 'kube-env');
      expect(env).not.toHaveProperty('MASTER_NAME');
      expect(env.KUBERNETES_MASTER_NAME).toBe(staticIp);
      expect(env.KUBERNETES_MASTER).toBe('true');
      expect(env.KUBE_BEARER_TOKEN).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(vm.tags).toEqual([ref.masterName]);
    }
    // One MASTER_CERT/KEY, one KUBEAPISERVER_CERT, one admin credential for every replica (kube-env is copied).
    const shared = (key: string, from: 'kube-env' | 'kube-master-certs') =>
      new Set(vms.map((vm) => doc(vm.metadata, from)[key]));
    for (const key of ['MASTER_CERT', 'MASTER_KEY', 'CA_CERT', 'KUBECFG_CERT', 'KUBE_BEARER_TOKEN', 'ETCD_CA_CERT'])
      expect(shared(key, 'kube-env').size, key).toBe(1);
    for (const key of ['KUBEAPISERVER_CERT', 'KUBEAPISERVER_KEY'])
      expect(shared(key, 'kube-master-certs').size, key).toBe(1);
    // Each member has its own peer cert.
    expect(shared('ETCD_PEER_CERT', 'kube-env').size).toBe(replicas);
  });

  it('MASTER_CERT covers the static IP, the service IP and the kubernetes names only; KUBEAPISERVER_CERT is a client cert', async () => {
    const { vms, staticIp } = await seeded(ref);
    const vm = vms[0];
    if (!vm) throw new Error('no replica');
    const env = doc(vm.metadata, 'kube-env');
    const master = new X509Certificate(plainPem(env.MASTER_CERT, 'MASTER_CERT'));
    expect(sans(master)).toEqual(
      [
        `IP Address:${staticIp}`,
        'IP Address:10.0.0.1',
        'DNS:kubernetes',
        'DNS:kubernetes.default',
        'DNS:kubernetes.default.svc',
        'DNS:kubernetes.default.svc.cluster.local',
        `DNS:${ref.masterName}`,
      ].sort(),
    );
    for (const r of vms) expect(master.checkIP(r.internalIp ?? ''), `no replica address (${r.name})`).toBeUndefined();
    expect(master.checkIP('127.0.0.1')).toBeUndefined();
    plainPem(env.MASTER_KEY, 'MASTER_KEY', 'PRIVATE KEY');
    const ca = new X509Certificate(plainPem(env.CA_CERT, 'CA_CERT'));
    expect(master.checkIssued(ca)).toBe(true);

    const kubeapiserver = new X509Certificate(
      plainPem(doc(vm.metadata, 'kube-master-certs').KUBEAPISERVER_CERT, 'KUBEAPISERVER_CERT'),
    );
    expect(kubeapiserver.subject).toBe('CN=kube-apiserver');
    expect(kubeapiserver.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(kubeapiserver.checkIssued(ca)).toBe(true);
    const kubecfg = new X509Certificate(plainPem(env.KUBECFG_CERT, 'KUBECFG_CERT'));
    expect(kubecfg.subject).toContain('O=system:masters');
  });

  it('etcd certificates are gzip+base64 with kube-up SANs, keys plain base64', async () => {
    const { vms } = await seeded(ref);
    for (const vm of vms) {
      const env = doc(vm.metadata, 'kube-env');
      const etcdCa = new X509Certificate(gunzipPem(env.ETCD_CA_CERT, 'ETCD_CA_CERT'));
      const peer = new X509Certificate(gunzipPem(env.ETCD_PEER_CERT, 'ETCD_PEER_CERT'));
      expect(peer.checkIssued(etcdCa)).toBe(true);
      expect(peer.checkHost(vm.name)).toBe(vm.name);
      expect(peer.checkIP('127.0.0.1')).toBe('127.0.0.1');
      plainPem(env.ETCD_PEER_KEY, 'ETCD_PEER_KEY', 'PRIVATE KEY');
      plainPem(env.ETCD_CA_KEY, 'ETCD_CA_KEY', 'PRIVATE KEY');

      const certs = doc(vm.metadata, 'kube-master-certs');
      const apiKeys = Object.keys(certs).filter((k) => k.startsWith('ETCD_APISERVER_'));
      if (layout === 'legacy') {
        expect(apiKeys, 'pre-1.16: no ETCD_APISERVER_*').toEqual([]);
        expect(env.ETCD_QUORUM_READ).toBe('false');
        continue;
      }
      expect(env, 'current kube-up has no quorum-read setting').not.toHaveProperty('ETCD_QUORUM_READ');
      expect(apiKeys.sort()).toEqual(
        ['CA_CERT', 'CA_KEY', 'CLIENT_CERT', 'CLIENT_KEY', 'SERVER_CERT', 'SERVER_KEY'].map(
          (k) => `ETCD_APISERVER_${k}`,
        ),
      );
      const apiCa = new X509Certificate(gunzipPem(certs.ETCD_APISERVER_CA_CERT, 'ETCD_APISERVER_CA_CERT'));
      const server = new X509Certificate(gunzipPem(certs.ETCD_APISERVER_SERVER_CERT, 'ETCD_APISERVER_SERVER_CERT'));
      expect(server.subject).toBe(`CN=etcd-${vm.name}`);
      expect(sans(server)).toEqual([`DNS:etcd-${vm.name}`, 'IP Address:127.0.0.1']);
      expect(server.checkIssued(apiCa)).toBe(true);
      const client = new X509Certificate(gunzipPem(certs.ETCD_APISERVER_CLIENT_CERT, 'ETCD_APISERVER_CLIENT_CERT'));
      expect(client.checkIssued(apiCa)).toBe(true);
      for (const key of ['ETCD_APISERVER_SERVER_KEY', 'ETCD_APISERVER_CLIENT_KEY', 'ETCD_APISERVER_CA_KEY'])
        plainPem(certs[key], key, 'PRIVATE KEY');
    }
  });
});

describe("a new prod replica's metadata, as the add builds it", () => {
  it('copies MASTER_CERT, MASTER_KEY and KUBEAPISERVER_CERT byte for byte; only the etcd certs are new, gzip+base64, kube-up SANs', async () => {
    const { vms } = await seeded(PROD);
    const source = vms[0];
    if (!source) throw new Error('no prod replica');
    const name = `${PROD.masterName}-zzz`;
    const { metadata } = await buildReplicaMetadata(
      source.metadata,
      { name },
      vms.map((v) => v.name),
    );
    const built = Object.fromEntries(metadata.map((i) => [i.key, i.value]));
    const [srcEnv, srcCerts, env, certs] = [
      doc(source.metadata, 'kube-env'),
      doc(source.metadata, 'kube-master-certs'),
      doc(built, 'kube-env'),
      doc(built, 'kube-master-certs'),
    ];
    for (const key of [
      'MASTER_CERT',
      'MASTER_KEY',
      'KUBECFG_CERT',
      'KUBECFG_KEY',
      'KUBE_BEARER_TOKEN',
      'CA_CERT',
      'ETCD_CA_CERT',
      'KUBERNETES_MASTER_NAME',
    ])
      expect(env[key], key).toBe(srcEnv[key]);
    for (const key of [
      'KUBEAPISERVER_CERT',
      'KUBEAPISERVER_KEY',
      'ETCD_APISERVER_CLIENT_CERT',
      'ETCD_APISERVER_CLIENT_KEY',
      'ETCD_APISERVER_CA_CERT',
      'CA_KEY',
    ])
      expect(certs[key], key).toBe(srcCerts[key]);
    expect(env).not.toHaveProperty('MASTER_NAME');
    expect(env).not.toHaveProperty('APISERVER_SERVER_CERT');
    expect(env.INITIAL_ETCD_CLUSTER?.split(',').sort()).toEqual([...vms.map((v) => v.name), name].sort());
    expect(env.INITIAL_ETCD_CLUSTER_STATE).toBe('existing');

    const peer = new X509Certificate(gunzipPem(env.ETCD_PEER_CERT, 'ETCD_PEER_CERT'));
    expect(peer.checkHost(name)).toBe(name);
    expect(peer.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(peer.checkIssued(new X509Certificate(gunzipPem(srcEnv.ETCD_CA_CERT, 'ETCD_CA_CERT')))).toBe(true);
    const server = new X509Certificate(gunzipPem(certs.ETCD_APISERVER_SERVER_CERT, 'ETCD_APISERVER_SERVER_CERT'));
    expect(sans(server)).toEqual([`DNS:etcd-${name}`, 'IP Address:127.0.0.1']);
    expect(
      server.checkIssued(new X509Certificate(gunzipPem(srcCerts.ETCD_APISERVER_CA_CERT, 'ETCD_APISERVER_CA_CERT'))),
    ).toBe(true);
    plainPem(env.ETCD_PEER_KEY, 'ETCD_PEER_KEY', 'PRIVATE KEY');
    plainPem(certs.ETCD_APISERVER_SERVER_KEY, 'ETCD_APISERVER_SERVER_KEY', 'PRIVATE KEY');
  });
});

describe('a replica added to prod through the runner, as kube-up would make it', () => {
  it('copies MASTER_CERT, MASTER_KEY and KUBEAPISERVER_CERT byte for byte; its own etcd certs gunzip to PEM with kube-up SANs; it serves', async () => {
    const before = await replicaVms(c, PROD);
    expect(before).toHaveLength(3);
    const steps = await runIntent({ kind: 'add-replica', zone: 'europe-west1-b' });
    const name = z.object({ name: z.string() }).parse(steps.find((s) => s.kind === 'pick-name')?.detail).name;
    try {
      const after = await replicaVms(c, PROD);
      const added = after.find((v) => v.name === name);
      if (!added) throw new Error(`${name} was not created`);
      const [env, certs] = [doc(added.metadata, 'kube-env'), doc(added.metadata, 'kube-master-certs')];
      for (const source of before) {
        const [srcEnv, srcCerts] = [doc(source.metadata, 'kube-env'), doc(source.metadata, 'kube-master-certs')];
        for (const key of ['MASTER_CERT', 'MASTER_KEY'])
          expect(env[key], `${key} as on ${source.name}`).toBe(srcEnv[key]);
        for (const key of ['KUBEAPISERVER_CERT', 'KUBEAPISERVER_KEY'])
          expect(certs[key], `${key} as on ${source.name}`).toBe(srcCerts[key]);
        expect(env.ETCD_PEER_CERT).not.toBe(srcEnv.ETCD_PEER_CERT);
        expect(certs.ETCD_APISERVER_SERVER_CERT).not.toBe(srcCerts.ETCD_APISERVER_SERVER_CERT);
      }
      expect(env).not.toHaveProperty('MASTER_NAME');
      const peer = new X509Certificate(gunzipPem(env.ETCD_PEER_CERT, 'ETCD_PEER_CERT'));
      expect(peer.checkHost(name)).toBe(name);
      expect(peer.checkIP('127.0.0.1')).toBe('127.0.0.1');
      const server = new X509Certificate(gunzipPem(certs.ETCD_APISERVER_SERVER_CERT, 'ETCD_APISERVER_SERVER_CERT'));
      expect(sans(server)).toEqual([`DNS:etcd-${name}`, 'IP Address:127.0.0.1']);
      // It booted from that metadata: a voter in main (mutual TLS, verified as etcd-<name>) and events, API server ready.
      const t = await pollUntil(() => observeCluster(PROD, c), allHealthy, 60_000);
      expect(t.replicas.find((r) => r.name === name)).toMatchObject({
        etcd: { main: { ok: true, isLearner: false }, events: { ok: true, isLearner: false } },
        apiServer: { ready: true },
      });
      await expectConsistent(c, PROD, null);
    } finally {
      await runIntent({ kind: 'remove-replica', zone: 'europe-west1-b', name });
    }
    expect((await replicaVms(c, PROD)).map((v) => v.name)).toEqual(before.map((v) => v.name));
  }, 300_000);
});
