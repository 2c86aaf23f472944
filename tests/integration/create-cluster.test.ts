// Creating a cluster end to end: the create plan run by the runner (every executor called twice in a row,
// as a crash between a step's effect and its journal entry would), over the real sandbox, whose VM agent
// boots the first master from the metadata the dashboard wrote. etcdctl and a plain HTTPS client (not the
// dashboard's clients) check the result; every step is then run again and must change nothing. What the
// test created is deleted at the end, so the other integration tests see only the seeded clusters.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { StepKind } from '@/lib/core/planner';
import { clusterId, type ClusterRef } from '@/lib/core/topology';
import { systemClock } from '@/lib/ports/clock';
import { isProviderError } from '@/lib/ports/provider-error';
import type { JsonValue } from '@/lib/ports/store';
import { createRunner, type StepContext, type StepExecutor } from '@/lib/server/operations/runner';
import { createStepCompensations, createStepExecutors, rollbackKindsOf } from '@/lib/server/operations/steps';
import { CLUSTER_SECRETS_KEY } from '@/lib/server/operations/steps/create-cluster';
import { planNewCluster, startNewCluster, type NewClusterInput } from '@/lib/server/services/create-cluster';
import { discoverClusters } from '@/lib/server/services/discover-clusters';
import { etcdctlMemberList, PROJECT, STAGING, testContainer, twice, writeEtcdctlCerts } from './support';

// The container's own store (operation journal, secrets, audit) in a temporary data dir, not the developer's.
const dir = mkdtempSync(path.join(tmpdir(), 'quorum-create-'));
const c = testContainer({ QUORUM_DATA_DIR: dir });
const suffix = Date.now().toString(36).slice(-4);
const masterName = `it${suffix}-master`;
const zone = 'us-central1-c';
const region = 'us-central1';
const ref: ClusterRef = { project: PROJECT, region, masterName };
const input: NewClusterInput = { project: PROJECT, masterName, zone, multizone: true };
const KEY_MARKERS = ['PRIVATE KEY', 'LS0tLS1CRUdJTi'];
const log = (msg: string) => console.log(`[create-cluster] ${msg}`);

const store = c.store;

async function quietly(work: Promise<void>): Promise<void> {
  try {
    await work;
  } catch (e) {
    if (!(isProviderError(e) && e.code === 'NotFound')) throw e;
  }
}

const failingName = `it${suffix}-fail-master`;

afterAll(async () => {
  // Everything this test made, the instance first (it holds the disk and the address).
  for (const name of [masterName, failingName]) {
    await quietly(c.compute.deleteInstance(PROJECT, zone, name));
    await quietly(c.compute.deleteDisk(PROJECT, zone, `${name}-pd`));
    await quietly(c.compute.deleteAddress(PROJECT, region, `${name}-ip`));
    await quietly(c.compute.deleteFirewall(PROJECT, `${name}-etcd`));
    await quietly(c.compute.deleteFirewall(PROJECT, `${name}-https`));
  }
  await c.close();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** The world as the steps made it, to compare before and after running them again. */
async function snapshot() {
  const instance = await c.compute.getInstance(PROJECT, zone, masterName);
  return {
    instance: instance && {
      created: instance.creationTimestamp,
      internalIp: instance.internalIp,
      externalIp: instance.externalIp,
      fingerprint: instance.metadataFingerprint,
    },
    disk: await c.compute.getDisk(PROJECT, zone, `${masterName}-pd`),
    address: await c.compute.getAddress(PROJECT, region, `${masterName}-ip`),
    firewalls: await Promise.all(
      [`${masterName}-etcd`, `${masterName}-https`].map((n) => c.compute.getFirewall(PROJECT, n)),
    ),
  };
}

/** GET over HTTPS with the admin credential from kube-env, decoded here, not by the dashboard's adapters. */
function readyz(ip: string, kubeEnvYaml: string): Promise<{ status: number; body: string }> {
  const env = z.record(z.string(), z.string()).parse(parseYaml(kubeEnvYaml));
  const pem = (key: string) => Buffer.from(env[key] ?? '', 'base64').toString('utf8');
  return new Promise((resolve, reject) => {
    const req = request(
      // MASTER_CERT names the static IP and `kubernetes`, not the replica's own address (kube-up's).
      {
        host: ip,
        servername: 'kubernetes',
        port: c.env.SANDBOX_APISERVER_PORT,
        path: '/readyz',
        ca: pem('CA_CERT'),
        cert: pem('KUBECFG_CERT'),
        key: pem('KUBECFG_KEY'),
        timeout: 5_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('create a cluster with the step executors', () => {
  it('refuses a taken name, an invalid name and an unknown zone, in words, changing nothing', async () => {
    const taken = await planNewCluster({ ...input, masterName: STAGING.masterName }, c);
    expect(taken).toMatchObject({
      ok: false,
      code: 'AlreadyExists',
      message: expect.stringContaining('staging-master is taken'),
    });
    const invalid = await planNewCluster({ ...input, masterName: 'Blue_Master' }, c);
    expect(invalid).toMatchObject({
      ok: false,
      code: 'InvalidInput',
      message: expect.stringContaining('not a usable master name'),
    });
    const unknownZone = await planNewCluster({ ...input, zone: 'us-central1-z' }, c);
    expect(unknownZone).toMatchObject({
      ok: false,
      code: 'ZoneOutsideRegion',
      message: expect.stringContaining('not a zone of us-central1'),
    });
    const unknownRegion = await planNewCluster({ ...input, zone: 'mars-north1-a' }, c);
    expect(unknownRegion).toMatchObject({
      ok: false,
      code: 'InvalidInput',
      message: expect.stringContaining('in no region of'),
    });
    // Through the service: audited as refused, no operation journaled, nothing of the name in Compute.
    const started = await startNewCluster({ ...input, masterName: STAGING.masterName }, 'integration-test', c, () => {
      throw new Error('a refused create must not run');
    });
    expect(started).toMatchObject({ ok: false, code: 'AlreadyExists' });
    // On Compute Engine a valid create stops at the kube-up command (its master would need kube-up's boot scripts).
    const onGce = { ...c, env: { ...c.env, QUORUM_PROVIDER: 'gce' as const } };
    const refusedOnGce = await startNewCluster(input, 'integration-test', onGce, () => {
      throw new Error('a create on Compute Engine must not run');
    });
    expect(refusedOnGce).toMatchObject({
      ok: false,
      code: 'Unsupported',
      message: expect.stringContaining(`KUBE_GCE_ZONE=${zone} ./cluster/kube-up.sh`),
    });
    expect(
      (await store.listAudit({ action: 'operation.create-cluster', outcome: 'refused' }))
        .map((a) => (a.detail as { code?: string }).code)
        .sort(),
    ).toEqual(['AlreadyExists', 'Unsupported']);
    expect(
      await store.listOperations(clusterId(STAGING), 100).then((ops) => ops.filter((o) => o.kind === 'create-cluster')),
    ).toEqual([]);
    expect(await snapshot()).toEqual({ instance: null, disk: null, address: null, firewalls: [null, null] });
  });

  it(
    'creates one master in etcd main and events, its API server answering, holding the static IP; every step run again changes nothing',
    { timeout: 240_000 },
    async () => {
      const planned = await planNewCluster(input, c);
      if (!planned.ok) throw new Error(`refused: ${planned.code} ${planned.message}`);
      const { plan } = planned.data;
      expect(planned.data.ref).toEqual(ref);
      const op = await store.createOperation({
        clusterId: clusterId(ref),
        kind: 'create-cluster',
        intent: plan.intent,
        plan: { ...plan, rollback: rollbackKindsOf(plan.steps) },
        actor: 'integration-test',
      });
      const runner = createRunner({
        store,
        clock: systemClock,
        executors: twice(createStepExecutors(c)),
        compensations: createStepCompensations(c),
        log: () => {},
      });
      const t0 = Date.now();
      const ended = await runner.start(op.id);
      const steps = await store.steps(op.id);
      const logs = await store.logs(op.id);
      log(
        `${ended.status} in ${Date.now() - t0} ms: ${steps.map((s) => `${s.kind} ${s.startedAt && s.endedAt ? Date.parse(s.endedAt) - Date.parse(s.startedAt) : '?'}ms`).join(', ')}`,
      );
      if (ended.status !== 'succeeded') for (const l of logs) log(`  ${l.level} ${l.message}`);
      expect(ended.status).toBe('succeeded');

      // No private key in the journal the operation page reads, and none left in the store.
      const journal = JSON.stringify({ ended, steps, logs });
      for (const marker of KEY_MARKERS) expect(journal).not.toContain(marker);
      expect(await store.operationSecret(op.id, CLUSTER_SECRETS_KEY)).toBeNull();
      const certs = steps.find((s) => s.kind === 'issue-cluster-certificates')?.detail;
      expect(certs).toMatchObject({
        name: masterName,
        authorities: [{ key: 'CA_CERT' }, { key: 'ETCD_CA_CERT' }, { key: 'ETCD_APISERVER_CA_CERT' }],
      });

      // The static IP is the instance's external address.
      const instance = await c.compute.getInstance(PROJECT, zone, masterName);
      const address = await c.compute.getAddress(PROJECT, region, `${masterName}-ip`);
      if (!instance?.internalIp || !address) throw new Error('no instance or address');
      expect(instance.externalIp).toBe(address.address);
      expect(address).toMatchObject({ status: 'IN_USE', users: [masterName] });
      expect(instance.tags).toEqual([masterName]);
      expect(instance.diskNames).toContain(`${masterName}-pd`);
      expect(await c.compute.getFirewall(PROJECT, `${masterName}-etcd`)).toMatchObject({
        sourceTags: [masterName],
        targetTags: [masterName],
        allowed: [{ protocol: 'tcp', ports: ['2380', '2381'] }],
      });
      expect(await c.compute.getFirewall(PROJECT, `${masterName}-https`)).toMatchObject({
        targetTags: [masterName],
        allowed: [{ protocol: 'tcp', ports: ['443'] }],
      });

      // etcdctl: one started voting member named etcd-<master> in each cluster.
      const etcdctlCerts = writeEtcdctlCerts(instance.metadata);
      try {
        for (const cluster of ['main', 'events'] as const) {
          const members = await etcdctlMemberList(etcdctlCerts, [{ instance: instance.name, cluster }]);
          expect(
            members.map((m) => ({ name: m.name, isLearner: m.isLearner, started: m.clientURLs.length > 0 })),
          ).toEqual([{ name: `etcd-${masterName}`, isLearner: false, started: true }]);
        }
      } finally {
        etcdctlCerts.cleanup();
      }
      const ready = await readyz(instance.internalIp, instance.metadata['kube-env'] ?? '');
      expect(ready.status).toBe(200);

      // The fleet finds it as a cluster of its region.
      expect((await discoverClusters(c)).find((k) => k.masterName === masterName)).toMatchObject({
        region,
        replicaNames: [masterName],
      });

      // Every step again, as a crash right after each would: each finds its effect and changes nothing.
      const before = await snapshot();
      const results: Record<string, JsonValue | null> = Object.fromEntries(steps.map((s) => [s.stepId, s.detail]));
      const executors = createStepExecutors(c);
      const operation = await store.getOperation(op.id);
      if (!operation) throw new Error('operation gone');
      for (const [index, step] of operation.plan.steps.entries()) {
        const ctx: StepContext = {
          operation,
          step,
          index,
          progress: async () => {},
          log: async () => {},
          signal: new AbortController().signal,
          results,
        };
        await executors[step.kind as StepKind](ctx);
      }
      expect(await snapshot()).toEqual(before);
      expect(await store.operationSecret(op.id, CLUSTER_SECRETS_KEY)).toBeNull();

      // Now the name is taken.
      expect(await planNewCluster(input, c)).toMatchObject({ ok: false, code: 'AlreadyExists' });
    },
  );

  it(
    'a create that fails after issuing the certificates keeps no private key in the store',
    { timeout: 120_000 },
    async () => {
      const failing = { ...input, masterName: failingName };
      const planned = await planNewCluster(failing, c);
      if (!planned.ok) throw new Error(`refused: ${planned.code} ${planned.message}`);
      const { plan, ref: failingRef } = planned.data;
      const op = await store.createOperation({
        clusterId: clusterId(failingRef),
        kind: 'create-cluster',
        intent: plan.intent,
        plan: { ...plan, rollback: rollbackKindsOf(plan.steps) },
        actor: 'integration-test',
      });
      let storedBeforeFailing: string | null = null;
      const executors: Record<StepKind, StepExecutor> = {
        ...createStepExecutors(c),
        'create-instance': async () => {
          storedBeforeFailing = await store.operationSecret(op.id, CLUSTER_SECRETS_KEY);
          throw new Error('quota exceeded (injected)');
        },
      };
      const runner = createRunner({
        store,
        clock: systemClock,
        executors,
        compensations: createStepCompensations(c),
        log: () => {},
      });
      const ended = await runner.start(op.id);
      expect(ended.status).toBe('failed');
      expect(ended.summary).toContain(
        'Rolled back "Issue the cluster\'s CA, etcd CA and the first master\'s certificates"',
      );
      expect(storedBeforeFailing).toContain('CA_KEY');
      expect(await store.operationSecret(op.id, CLUSTER_SECRETS_KEY)).toBeNull();
      expect(await c.compute.getInstance(PROJECT, zone, failingName)).toBeNull();
    },
  );
});
