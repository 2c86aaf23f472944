// Shared by the integration tests: a container wired to the test sandbox, the prod cluster's ref, and
// an etcdctl runner with certificates taken from a master's metadata (none for plain-http etcd) (decoded by tests/support, not by
// the adapters, so etcdctl checks what the dashboard claims without sharing its parsing). On the kube-up twin
// etcd listens on each VM's own loopback only, so etcdctl runs inside the VM's network namespace
// (tests/support/twin-etcdctl.ts), never against a VM's address.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, inject } from 'vitest';
import { z } from 'zod';
import { clusterId, type ClusterRef, type EtcdClusterName, type Topology } from '@/lib/core/topology';
import type { StepKind } from '@/lib/core/planner';
import type { GceClients } from '@/lib/adapters/gce/gce-compute';
import type { InstanceInfo } from '@/lib/ports/compute';
import type { Store } from '@/lib/ports/store';
import type { StepExecutor } from '@/lib/server/operations/runner';
import { createContainer, type Container } from '@/lib/server/container';
import { parseEnv } from '@/lib/server/env';
import type { EtcdEndpoint } from '@/lib/ports/etcd-admin';
import { ETCD_CLIENT_PORTS } from '@/lib/server/container';
import { etcdClientPemsIfAny } from '../support/etcd-client-pems';
import { etcdctlInVm, parseEtcdctlJson, type TwinEtcdTarget } from '../support/twin-etcdctl';
import { replicaVms } from '../support/replica-vms';

// These live in tests/support (the benches use them too) and stay importable from here.
export { etcdClientPems, etcdClientPemsIfAny, type EtcdClientPems } from '../support/etcd-client-pems';
export { replicaEtcdEndpoints, replicaVms } from '../support/replica-vms';

export const PROJECT = 'sandbox-project';
export const PROD: ClusterRef = { project: PROJECT, region: 'europe-west1', masterName: 'prod-master' };
export const STAGING: ClusterRef = { project: PROJECT, region: 'us-central1', masterName: 'staging-master' };

export function sandboxPort(): number {
  return inject('sandboxPort');
}

export function testContainer(overrides: Record<string, string> = {}): Container {
  return createContainer(
    parseEnv({
      QUORUM_PROVIDER: 'sandbox',
      SANDBOX_PORT: String(sandboxPort()),
      QUORUM_PROJECTS: PROJECT,
      ...overrides,
    }),
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until `done` holds for its value or the deadline passes; returns the last value. */
/**
 * Until Quorum can get into every running replica of prod and staging over SSH through this container: its key
 * published in their metadata (a change to the instances) and taken up by their guest agents, their host keys
 * pinned. Tests that compare the world before and after a read-only call take their baseline after this.
 */
export async function warmUpAccess(c: Container): Promise<void> {
  const { observeCluster } = await import('@/lib/server/services/observe-cluster');
  const { isNoAccessError } = await import('@/lib/core/probe-errors');
  const accessible = (t: Topology) =>
    t.replicas.every(
      (r) =>
        r.vmStatus !== 'RUNNING' ||
        ['main', 'events'].every((cl) => {
          const st = r.etcd[cl as EtcdClusterName];
          return st.ok || !isNoAccessError(st.error);
        }),
    );
  for (const ref of [PROD, STAGING]) {
    const t = await pollUntil(() => observeCluster(ref, c), accessible, 60_000, 500);
    if (!accessible(t))
      throw new Error(`Quorum could not get into every replica of ${ref.masterName} over SSH within 60 s`);
  }
}

export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(everyMs);
  }
}

// --- etcdctl -----------------------------------------------------------------------------------------------

export type EtcdctlCerts = {
  dir: string;
  /** Files for etcd main's mutual TLS; null when the master has no ETCD_APISERVER_* (main is plain http). */
  tls: { cacert: string; cert: string; key: string } | null;
  cleanup: () => void;
};

/** kube-master-certs of an instance -> PEM files for etcdctl (ETCD_APISERVER_CA_CERT / CLIENT_CERT / CLIENT_KEY). */
export function writeEtcdctlCerts(metadata: Record<string, string>): EtcdctlCerts {
  const pems = etcdClientPemsIfAny(metadata);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quorum-etcdctl-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  if (!pems) return { dir, tls: null, cleanup };
  const files = {
    cacert: path.join(dir, 'ca.crt'),
    cert: path.join(dir, 'client.crt'),
    key: path.join(dir, 'client.key'),
  };
  writeFileSync(files.cacert, pems.ca);
  writeFileSync(files.cert, pems.cert);
  writeFileSync(files.key, pems.key, { mode: 0o600 });
  return { dir, tls: files, cleanup };
}

/**
 * Which etcd of which VM: an instance and cluster, or a Quorum EtcdEndpoint (its serverName is
 * `etcd-<instance>` and its port says the cluster). Only the instance name and the cluster are used: the
 * tests' etcdctl never dials a VM's address, it runs inside the VM (tests/support/twin-etcdctl.ts).
 */
export type EtcdTarget = { instance: string; cluster: EtcdClusterName } | EtcdEndpoint;

function twinTarget(t: EtcdTarget): TwinEtcdTarget {
  const net = inject('sandboxNet');
  if ('instance' in t) return { net, instance: t.instance, cluster: t.cluster };
  const instance = /^etcd-(.+)$/.exec(t.serverName)?.[1];
  if (!instance)
    throw new Error(
      `etcd endpoint ${t.target.instance}:${t.port}: server name '${t.serverName}' is not etcd-<instance>`,
    );
  return { net, instance, cluster: t.port === ETCD_CLIENT_PORTS.events ? 'events' : 'main' };
}

const describeTarget = (t: EtcdTarget) =>
  'instance' in t ? `${t.instance}/${t.cluster}` : `${t.target.instance}:${t.port}`;

/** Through the first target that answers, as etcdctl's own endpoint failover does; rejects when none does. */
async function etcdctlAny(certs: EtcdctlCerts, targets: readonly EtcdTarget[], args: string[]): Promise<string> {
  const errors: string[] = [];
  for (const t of targets) {
    try {
      return await etcdctlInVm(twinTarget(t), certs.tls, args);
    } catch (err) {
      errors.push(`${describeTarget(t)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(`etcdctl ${args.join(' ')} failed on every endpoint:\n${errors.join('\n')}`);
}

const id = z.union([z.string(), z.number()]).transform(String);

const memberListSchema = z.object({
  members: z.array(
    z.object({
      ID: id,
      name: z.string().default(''),
      peerURLs: z.array(z.string()).default([]),
      clientURLs: z.array(z.string()).default([]),
      isLearner: z.boolean().default(false),
    }),
  ),
});

const endpointStatusSchema = z.array(
  z.object({
    Endpoint: z.string(),
    Status: z.object({ header: z.object({ member_id: id }), leader: id, isLearner: z.boolean().default(false) }),
  }),
);

export async function etcdctlMemberList(certs: EtcdctlCerts, targets: readonly EtcdTarget[]) {
  return memberListSchema.parse(parseEtcdctlJson(await etcdctlAny(certs, targets, ['member', 'list', '-w', 'json'])))
    .members;
}

/** etcdctl against one etcd, plain text out (e.g. `put`, `get --print-value-only`). */
export async function etcdctlText(certs: EtcdctlCerts, target: EtcdTarget, args: string[]): Promise<string> {
  return (await etcdctlAny(certs, [target], args)).trim();
}

/**
 * `endpoint status` of every target (each asked in its own VM); rejects if any does not answer, as etcdctl
 * does with several endpoints. Endpoint is the target's address (or instance/cluster), not the loopback URL.
 */
export async function etcdctlEndpointStatus(certs: EtcdctlCerts, targets: readonly EtcdTarget[]) {
  const out: z.infer<typeof endpointStatusSchema> = [];
  for (const t of targets) {
    const [status] = endpointStatusSchema.parse(
      parseEtcdctlJson(await etcdctlAny(certs, [t], ['endpoint', 'status', '-w', 'json'])),
    );
    if (!status) throw new Error(`etcdctl endpoint status of ${describeTarget(t)} answered nothing`);
    out.push({ ...status, Endpoint: describeTarget(t) });
  }
  return out;
}

// --- Topology helpers --------------------------------------------------------------------------------------

export function allHealthy(t: Topology): boolean {
  return (
    t.replicas.length > 0 &&
    t.replicas.every(
      (r) => r.vmStatus === 'RUNNING' && r.etcd.main.ok && r.etcd.events.ok && r.apiServer.ready === true,
    )
  );
}

// --- The consistency check after an operation ------------------------------------------------------------

/**
 * etcdctl's view (not the dashboard's client): in main and in events the members are exactly
 * `etcd-<replica>` for the replica VMs, none is a learner, and `written` (a key put before the first
 * operation) reads back with its value on every replica. Returns the replica VMs.
 */
export async function expectConsistent(
  c: Container,
  ref: ClusterRef,
  written: { key: string; value: string } | null,
): Promise<InstanceInfo[]> {
  const vms = await replicaVms(c, ref);
  const first = vms[0];
  if (!first?.internalIp) throw new Error('no replica with an internal IP');
  const certs = writeEtcdctlCerts(first.metadata);
  try {
    for (const cluster of ['main', 'events'] satisfies EtcdClusterName[]) {
      const members = await etcdctlMemberList(
        certs,
        vms.map((r) => ({ instance: r.name, cluster })),
      );
      expect(members.map((m) => m.name).sort(), `etcd ${cluster} members`).toEqual(
        vms.map((r) => `etcd-${r.name}`).sort(),
      );
      expect(
        members.filter((m) => m.isLearner),
        `etcd ${cluster} learners`,
      ).toEqual([]);
    }
    for (const r of written === null ? [] : vms) {
      expect(
        await etcdctlText(certs, { instance: r.name, cluster: 'main' }, [
          'get',
          written?.key ?? '',
          '--print-value-only',
        ]),
        `key on ${r.name}`,
      ).toBe(written?.value);
    }
  } finally {
    certs.cleanup();
  }
  return vms;
}

/** Puts `key` = `value` into the cluster's etcd main with etcdctl, through its first replica. */
export async function putWithEtcdctl(c: Container, ref: ClusterRef, key: string, value: string): Promise<void> {
  const [first] = await replicaVms(c, ref);
  if (!first?.internalIp) throw new Error(`${ref.masterName} has no replica with an internal IP`);
  const certs = writeEtcdctlCerts(first.metadata);
  try {
    expect(await etcdctlText(certs, { instance: first.name, cluster: 'main' }, ['put', key, value])).toBe('OK');
  } finally {
    certs.cleanup();
  }
}

// --- Idempotence ---------------------------------------------------------------------------------------------

/**
 * Calls every executor twice in a row, as a crash after a step acted but before the runner journaled it
 * done would: the second call must find the first's effect and succeed without doing it again.
 */
export function twice(executors: Record<StepKind, StepExecutor>): Record<StepKind, StepExecutor> {
  const out = { ...executors };
  for (const kind of Object.keys(executors) as StepKind[]) {
    const once = executors[kind];
    out[kind] = async (ctx) => {
      await once(ctx);
      return once(ctx);
    };
  }
  return out;
}

// --- "Changes nothing": what a refused or invalid request must leave as it was --------------------------------

const lastSegment = (url: string | null | undefined) => (url ?? '').split('/').pop() ?? '';

async function collect<T>(pages: AsyncIterable<[string, T]>): Promise<Array<[string, T]>> {
  const out: Array<[string, T]> = [];
  for await (const page of pages) out.push(page);
  return out;
}

/**
 * Every Compute resource Quorum creates or changes in the project, the sandbox's injected faults (a frozen
 * etcd leaves Compute as it was), and etcdctl's member lists (main and events) of each of `clusters`.
 */
export async function worldSnapshot(c: Container, gce: GceClients, clusters: readonly ClusterRef[] = [PROD, STAGING]) {
  const instances = (await c.compute.listAllInstances(PROJECT)).map((i) => ({
    name: i.name,
    zone: i.zone,
    status: i.status,
    internalIp: i.internalIp,
    externalIp: i.externalIp,
    metadataFingerprint: i.metadataFingerprint,
    disks: i.diskNames ?? [],
    tags: i.tags,
  }));
  // The port reads these by name only; the aggregated lists also catch a resource created under a new name.
  const disks = (await collect(gce.disks.aggregatedListAsync({ project: PROJECT }))).flatMap(([scope, list]) =>
    (list.disks ?? []).map((d) => ({
      scope,
      name: d.name,
      sizeGb: String(d.sizeGb),
      status: d.status,
      users: (d.users ?? []).map(lastSegment),
    })),
  );
  const forwardingRules = (await collect(gce.forwardingRules.aggregatedListAsync({ project: PROJECT }))).flatMap(
    ([scope, list]) =>
      (list.forwardingRules ?? []).map((f) => ({
        scope,
        name: f.name,
        ip: f.IPAddress,
        ports: f.portRange,
        target: lastSegment(f.target),
      })),
  );
  const targetPools = (await collect(gce.targetPools.aggregatedListAsync({ project: PROJECT }))).flatMap(
    ([scope, list]) =>
      (list.targetPools ?? []).map((p) => ({
        scope,
        name: p.name,
        instances: (p.instances ?? []).map(lastSegment).sort(),
      })),
  );
  const addresses = (await collect(gce.addresses.aggregatedListAsync({ project: PROJECT }))).flatMap(([scope, list]) =>
    (list.addresses ?? []).map((a) => ({
      scope,
      name: a.name,
      address: a.address,
      status: a.status,
      users: (a.users ?? []).map(lastSegment),
    })),
  );
  const firewalls = (await gce.firewalls.list({ project: PROJECT }))[0].map((f) => f.name).sort();
  expect(instances.filter((i) => i.name.startsWith('prod-master')).length, 'prod replicas seen').toBeGreaterThan(0);
  const chaos = c.chaos ? await c.chaos.state() : null;
  return {
    instances,
    disks,
    forwardingRules,
    targetPools,
    addresses,
    firewalls,
    chaos,
    etcd: await etcdMembers(c, clusters),
  };
}

/** etcdctl's member lists (main and events) of each cluster, asked through its running replicas. */
async function etcdMembers(c: Container, clusters: readonly ClusterRef[]) {
  const out: Record<string, unknown> = {};
  for (const ref of clusters) {
    const running = (await replicaVms(c, ref)).filter((v) => v.status === 'RUNNING' && v.internalIp);
    const first = running[0];
    if (!first) throw new Error(`${ref.masterName} has no running replica to ask etcd through`);
    const certs = writeEtcdctlCerts(first.metadata);
    try {
      for (const cluster of ['main', 'events'] satisfies EtcdClusterName[]) {
        const members = await etcdctlMemberList(
          certs,
          running.map((v) => ({ instance: v.name, cluster })),
        );
        out[`${ref.masterName}/${cluster}`] = members
          .map((m) => ({
            id: m.ID,
            name: m.name,
            peerURLs: m.peerURLs,
            clientURLs: m.clientURLs,
            isLearner: m.isLearner,
          }))
          .sort((a, b) => a.name.localeCompare(b.name));
      }
    } finally {
      certs.cleanup();
    }
  }
  return out;
}

/** The journal of `clusters` (operations and locks), every unfinished operation of any cluster, and the audit log. */
export async function journalSnapshot(store: Store, clusters: readonly ClusterRef[] = [PROD, STAGING]) {
  const operations = await Promise.all(clusters.map((ref) => store.listOperations(clusterId(ref), 1000)));
  const locks = await Promise.all(clusters.map((ref) => store.lockHolder(clusterId(ref))));
  const unfinished = (await store.listUnfinishedOperations()).map((o) => o.id);
  return {
    operations: operations.map((ops) => ops.map((o) => ({ id: o.id, status: o.status, updatedAt: o.updatedAt }))),
    locks,
    unfinished,
    audit: await store.listAudit({}, 10_000),
  };
}
