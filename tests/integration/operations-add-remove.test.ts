// The add and remove step executors end to end: staging scaled 1 -> 3 (load balancer created, the static
// IP moved to the forwarding rule) and 3 -> 1 (load balancer gone, the static IP back on the last
// replica) by the runner, journaled in a temporary SQLite store, over the real sandbox and real etcd.
// After each operation etcdctl (not the dashboard's client) says the member lists of main and events
// equal the replica VMs and hold no learner, and a key written before the first operation still reads.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { assessTopology } from '@/lib/core/assessment';
import { planOperation, type ScaleIntent } from '@/lib/core/planner';
import { clusterId, type EtcdClusterName } from '@/lib/core/topology';
import { systemClock } from '@/lib/ports/clock';
import type { InstanceInfo } from '@/lib/ports/compute';
import { createRunner } from '@/lib/server/operations/runner';
import { createStepCompensations, createStepExecutors, rollbackKindsOf } from '@/lib/server/operations/steps';
import { observeCluster, replicaNameRegex } from '@/lib/server/services/observe-cluster';
import { etcdctlMemberList, STAGING, testContainer, writeEtcdctlCerts, type EtcdctlCerts } from './support';

const run = promisify(execFile);
const c = testContainer();
const { project, region, masterName } = STAGING;
const CLUSTERS: EtcdClusterName[] = ['main', 'events'];
const KEY = `/quorum-test/operations-${Date.now()}`;
const log = (msg: string) => console.log(`[operations] ${msg}`);

let dir = '';
let store: SqliteStore;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'quorum-operations-'));
  store = await openSqliteStore(dir);
});

afterAll(async () => {
  await store.close();
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

async function replicas(): Promise<InstanceInfo[]> {
  return (await c.compute.listInstances(project, replicaNameRegex(masterName))).sort((a, b) => a.name.localeCompare(b.name));
}

async function etcdctlRaw(certs: EtcdctlCerts, endpoint: string, args: string[]): Promise<string> {
  const { stdout } = await run(
    'etcdctl',
    ['--endpoints', endpoint, '--cacert', certs.cacert, '--cert', certs.cert, '--key', certs.key, '--dial-timeout', '3s', '--command-timeout', '5s', ...args],
    { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 },
  );
  return stdout.trim();
}

/** etcdctl's view: each cluster's members are exactly `etcd-<replica>`, all started, no learner; the key reads back. */
async function expectConsistent(expectedValue: string): Promise<InstanceInfo[]> {
  const vms = await replicas();
  const first = vms[0];
  if (!first?.internalIp) throw new Error('no replica with an internal IP');
  const certs = writeEtcdctlCerts(first.metadata);
  try {
    for (const cluster of CLUSTERS) {
      const endpoints = vms.flatMap((r) => (r.internalIp ? [c.endpoints.etcd(r.internalIp, cluster)] : []));
      const members = await etcdctlMemberList(certs, endpoints);
      expect(members.map((m) => m.name).sort()).toEqual(vms.map((r) => `etcd-${r.name}`).sort());
      expect(members.filter((m) => m.isLearner)).toEqual([]);
    }
    for (const r of vms) {
      expect(await etcdctlRaw(certs, c.endpoints.etcd(r.internalIp ?? '', 'main'), ['get', KEY, '--print-value-only'])).toBe(expectedValue);
    }
  } finally {
    certs.cleanup();
  }
  return vms;
}

async function runScale(intent: ScaleIntent) {
  const topology = await observeCluster(STAGING, c);
  const assessment = assessTopology(topology, new Date(topology.observedAt));
  const planned = planOperation({ topology, assessment, intent, operationInProgress: false });
  if (!planned.ok) throw new Error(`refused: ${planned.refusal.code} ${planned.refusal.message}`);
  const { plan } = planned;
  log(`${plan.summary}: ${plan.steps.length} steps`);
  const op = await store.createOperation({
    clusterId: clusterId(STAGING),
    kind: intent.kind,
    intent,
    plan: { ...plan, rollback: rollbackKindsOf(plan.steps) },
    actor: 'integration-test',
  });
  const runner = createRunner({
    store,
    clock: systemClock,
    executors: createStepExecutors(c),
    compensations: createStepCompensations(c),
    log: () => {},
  });
  const t0 = Date.now();
  const ended = await runner.start(op.id);
  const steps = await store.steps(op.id);
  const timings = steps.map((s) => `${s.kind} ${s.startedAt && s.endedAt ? Date.parse(s.endedAt) - Date.parse(s.startedAt) : '?'}ms`);
  log(`${ended.status} in ${Date.now() - t0} ms: ${timings.join(', ')}`);
  if (ended.status !== 'succeeded') {
    for (const l of await store.logs(op.id)) log(`  ${l.level} ${l.message}`);
  }
  expect(ended.summary).toMatch(/^Succeeded/);
  expect(ended.status).toBe('succeeded');
  return { steps, plan };
}

describe('scale staging with the step executors', () => {
  it('goes 1 -> 3 behind a new load balancer and back to 1 with the static IP on the last replica', async () => {
    const before = await replicas();
    expect(before.map((r) => r.name)).toEqual([masterName]);
    const staticAddress = await c.compute.getAddress(project, region, `${masterName}-ip`);
    if (!staticAddress) throw new Error('staging has no static address');
    expect(before[0]?.externalIp).toBe(staticAddress.address);

    const value = `written-before-${Date.now()}`;
    const certs = writeEtcdctlCerts(before[0]?.metadata ?? {});
    try {
      expect(await etcdctlRaw(certs, c.endpoints.etcd(before[0]?.internalIp ?? '', 'main'), ['put', KEY, value])).toBe('OK');
    } finally {
      certs.cleanup();
    }

    // 1 -> 3: the load balancer first, then two adds, each as learner, promoted once caught up.
    const up = await runScale({ kind: 'scale', replicas: 3 });
    expect(up.steps.filter((s) => s.kind === 'add-learner')).toHaveLength(2);
    const three = await expectConsistent(value);
    expect(three).toHaveLength(3);
    expect(new Set(three.map((r) => r.zone)).size).toBe(3);
    const rule = await c.compute.getForwardingRule(project, region, masterName);
    expect(rule?.ipAddress).toBe(staticAddress.address);
    expect((await c.compute.getTargetPool(project, region, masterName))?.instances.sort()).toEqual(three.map((r) => r.name).sort());
    expect(three.map((r) => r.externalIp)).not.toContain(staticAddress.address);
    const waitedMs = up.steps.find((s) => s.kind === 'await-cluster-address');
    expect(waitedMs?.detail).toMatchObject({ address: expect.stringContaining(staticAddress.address) });

    // 3 -> 1: two removals; the load balancer goes with the second and the static IP returns.
    const down = await runScale({ kind: 'scale', replicas: 1 });
    expect(down.steps.filter((s) => s.kind === 'remove-member')).toHaveLength(2);
    const one = await expectConsistent(value);
    expect(one).toHaveLength(1);
    expect(one[0]?.externalIp).toBe(staticAddress.address);
    expect(await c.compute.getForwardingRule(project, region, masterName)).toBeNull();
    expect(await c.compute.getTargetPool(project, region, masterName)).toBeNull();
    for (const removed of three.filter((r) => r.name !== one[0]?.name)) {
      expect(await c.compute.getDisk(project, removed.zone, `${removed.name}-pd`)).toBeNull();
    }
  }, 300_000);
});
