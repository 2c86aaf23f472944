// The backup gate end to end (issue 4, part 4), over the real sandbox and real etcd, through the runner with a
// SQLite journal: an add on prod leaves verified snapshots of main and events in the data dir, journaled before
// add-learner, and etcdctl (not Quorum's code) reads the stored files as the journal says; a snapshot that
// arrives corrupted, or a data dir that cannot hold it, stops the change before anything changes in Compute or
// in etcd membership; the operator's override lets the change through with an audit entry; removals take their
// snapshot before remove-member, and retention keeps the newest N.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assessTopology } from '@/lib/core/assessment';
import { planOperation, type ClusterIntent } from '@/lib/core/planner';
import { clusterId, type EtcdClusterName } from '@/lib/core/topology';
import { systemClock } from '@/lib/ports/clock';
import type { EtcdAdminPort } from '@/lib/ports/etcd-admin';
import type { StepRecord } from '@/lib/ports/store';
import { listSnapshots, snapshotFolder, verifySnapshotFile } from '@/lib/server/backups/snapshots';
import type { Container } from '@/lib/server/container';
import { createRunner } from '@/lib/server/operations/runner';
import { createStepCompensations, createStepExecutors, rollbackKindsOf } from '@/lib/server/operations/steps';
import { observeCluster } from '@/lib/server/services/observe-cluster';
import {
  allHealthy,
  etcdctlMemberList,
  etcdctlText,
  expectConsistent,
  pollUntil,
  PROD,
  replicaVms,
  testContainer,
  writeEtcdctlCerts,
} from './support';

const run = promisify(execFile);
const RETENTION = 2;
const dataDir = mkdtempSync(path.join(tmpdir(), 'quorum-backups-'));
// Plans are made on an observation; a longer probe deadline keeps a slow, healthy replica from reading as down.
const c = testContainer({
  QUORUM_PROBE_TIMEOUT_MS: '3000',
  QUORUM_DATA_DIR: dataDir,
  QUORUM_SNAPSHOT_RETENTION: String(RETENTION),
});
const ID = clusterId(PROD);
const log = (msg: string) => console.log(`[backups] ${msg}`);

/** The same container, but every snapshot stream from etcd arrives with one byte changed (a bad disk or link). */
function withCorruptedSnapshots(base: Container): Container {
  const etcd: EtcdAdminPort = Object.create(base.etcd, {
    snapshot: {
      value: async function* (...args: Parameters<EtcdAdminPort['snapshot']>) {
        let first = true;
        for await (const chunk of base.etcd.snapshot(...args)) {
          if (first && chunk.byteLength > 5_000) {
            const copy = Buffer.from(chunk);
            copy[5_000] = (copy[5_000] ?? 0) ^ 0xff;
            first = false;
            yield copy;
          } else yield chunk;
        }
      },
    },
  }) as EtcdAdminPort;
  return Object.create(base, { etcd: { value: etcd, enumerable: true } }) as Container;
}

async function runIntent(intent: ClusterIntent, world: Container = c, opts: { override?: string } = {}) {
  const topology = await observeCluster(PROD, c);
  const assessment = assessTopology(topology, new Date(topology.observedAt));
  const planned = planOperation({
    topology,
    assessment,
    intent,
    operationInProgress: false,
    ...(opts.override ? { backupGateOverride: { reason: opts.override } } : {}),
  });
  if (!planned.ok) throw new Error(`refused: ${planned.refusal.code} ${planned.refusal.message}`);
  const op = await c.store.createOperation({
    clusterId: ID,
    kind: intent.kind,
    intent,
    plan: { ...planned.plan, rollback: rollbackKindsOf(planned.plan.steps) },
    actor: 'integration-test',
  });
  const runner = createRunner({
    store: c.store,
    clock: systemClock,
    executors: createStepExecutors(world),
    compensations: createStepCompensations(world),
    log: () => {},
  });
  const t0 = Date.now();
  const ended = await runner.start(op.id);
  const steps = await c.store.steps(op.id);
  const logs = await c.store.logs(op.id);
  log(`${planned.plan.summary}: ${ended.status} in ${Date.now() - t0} ms`);
  if (ended.status !== 'succeeded') for (const l of logs) log(`  ${l.level} ${l.message}`);
  return { ended, steps, logs };
}

const indexOf = (steps: StepRecord[], kind: string) => steps.findIndex((s) => s.kind === kind);
const snapshotDetailSchema = z.object({
  verified: z.literal(true),
  snapshots: z.array(
    z.object({
      etcdCluster: z.enum(['main', 'events']),
      file: z.string(),
      member: z.string(),
      revision: z.number().int().nonnegative(),
      hash: z.number().int(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      sizeBytes: z.number().int().positive(),
    }),
  ),
});
const etcdctlStatusSchema = z.object({
  hash: z.number(),
  revision: z.number(),
  totalKey: z.number(),
  totalSize: z.number(),
});

/** What etcdctl (not Quorum) reads in a stored snapshot file. */
async function etcdctlSnapshotStatus(file: string) {
  const { stdout } = await run('etcdctl', ['snapshot', 'status', file, '-w', 'json'], {
    env: { ...process.env, ETCDCTL_API: '3' },
    timeout: 60_000,
  });
  return etcdctlStatusSchema.parse(JSON.parse(stdout));
}

/** Member names of main and events, by etcdctl, and the replica VMs: what must not change when the gate refuses. */
async function membershipAndVms() {
  const vms = await replicaVms(c, PROD);
  const certs = writeEtcdctlCerts(vms[0]?.metadata ?? {});
  try {
    const lists: Record<string, string[]> = {};
    for (const cluster of ['main', 'events'] satisfies EtcdClusterName[]) {
      const endpoints = vms.map((r) => ({ instance: r.name, cluster }));
      lists[cluster] = (await etcdctlMemberList(certs, endpoints))
        .map((m) => `${m.name}:${m.ID}:${m.isLearner}`)
        .sort();
    }
    return { vms: vms.map((v) => `${v.name}:${v.zone}:${v.status}`), ...lists };
  } finally {
    certs.cleanup();
  }
}

/** The name 'pick-name' chose in an operation. */
const pickedName = (steps: StepRecord[]) =>
  z.object({ name: z.string() }).parse(steps.find((s) => s.kind === 'pick-name')?.detail).name;

const added: string[] = [];
const firstAddFiles: string[] = [];

beforeAll(async () => {
  const t = await pollUntil(() => observeCluster(PROD, c), allHealthy, 90_000, 1_000);
  expect(allHealthy(t), 'prod healthy before the test').toBe(true);
});

afterAll(async () => {
  await c.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('backups before membership changes', () => {
  it('an add on prod leaves verified main and events snapshots, journaled before add-learner, that etcdctl reads the same', async () => {
    const vms = await replicaVms(c, PROD);
    const certs = writeEtcdctlCerts(vms[0]?.metadata ?? {});
    let writtenAt: number;
    try {
      const endpoint = { instance: vms[0]?.name ?? '', cluster: 'main' as const };
      await etcdctlText(certs, endpoint, ['put', '/quorum-test/backup-marker', String(Date.now())]);
      const got = z
        .object({ header: z.object({ revision: z.union([z.number(), z.string()]).transform(Number) }) })
        .parse(JSON.parse(await etcdctlText(certs, endpoint, ['get', '/quorum-test/backup-marker', '-w', 'json'])));
      writtenAt = got.header.revision;
    } finally {
      certs.cleanup();
    }

    const { ended, steps, logs } = await runIntent({ kind: 'add-replica', zone: 'europe-west1-b' });
    expect(ended.status).toBe('succeeded');
    added.push(pickedName(steps));
    const gate = indexOf(steps, 'snapshot-etcd');
    const addLearner = indexOf(steps, 'add-learner');
    expect(gate).toBeGreaterThanOrEqual(0);
    expect(gate).toBe(addLearner - 1);
    const gateStep = steps[gate];
    expect(gateStep?.status).toBe('done');
    expect(Date.parse(gateStep?.endedAt ?? '')).toBeLessThanOrEqual(Date.parse(steps[addLearner]?.startedAt ?? ''));
    const detail = snapshotDetailSchema.parse(gateStep?.detail);
    expect(detail.snapshots.map((s) => s.etcdCluster)).toEqual(['main', 'events']);
    expect(logs.filter((l) => /etcd (main|events) snapshot .* verified: revision \d+/.test(l.message))).toHaveLength(2);

    for (const s of detail.snapshots) {
      const folder = snapshotFolder(dataDir, ID, s.etcdCluster);
      const file = path.join(folder, s.file);
      firstAddFiles.push(file);
      expect(statSync(file).mode & 0o777, 'snapshot file mode').toBe(0o600);
      expect(statSync(folder).mode & 0o777, 'snapshot folder mode').toBe(0o700);
      expect(statSync(file).size).toBe(s.sizeBytes);
      // etcdctl, reading the stored file on its own, agrees with the journal.
      const status = await etcdctlSnapshotStatus(file);
      expect({ revision: status.revision, hash: status.hash, totalSize: status.totalSize }).toEqual({
        revision: s.revision,
        hash: s.hash,
        totalSize: s.sizeBytes - 32,
      });
      // The sha256 journaled is the one etcd appended to the file.
      expect(readFileSync(file).subarray(-32).toString('hex')).toBe(s.sha256);
    }
    // The key written before the change is in the main snapshot.
    expect(detail.snapshots[0]?.revision).toBeGreaterThanOrEqual(writtenAt);
    await expectConsistent(c, PROD, null);
  });

  it('verification rejects a real snapshot once it is truncated or has one byte changed', async () => {
    const [newest] = await listSnapshots(dataDir, ID);
    if (!newest) throw new Error('no snapshot listed');
    const file = path.join(snapshotFolder(dataDir, ID, newest.etcdCluster), newest.file);
    const opts = { etcdctl: 'etcdctl', minRevision: newest.revision };
    expect((await verifySnapshotFile(file, opts)).revision).toBe(newest.revision);

    const scratch = mkdtempSync(path.join(tmpdir(), 'quorum-bad-snapshots-'));
    try {
      const bytes = readFileSync(file);
      const truncated = path.join(scratch, 'truncated.db');
      // Cut at a page boundary plus 32 bytes, so even the length looks like a database and its sha256.
      writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2 / 4096) * 4096 + 32));
      const flipped = path.join(scratch, 'flipped.db');
      copyFileSync(file, flipped);
      const b = readFileSync(flipped);
      b[b.length - 100] = (b[b.length - 100] ?? 0) ^ 0x01;
      writeFileSync(flipped, b);
      await expect(verifySnapshotFile(truncated, opts)).rejects.toThrow(/failed verification/);
      await expect(verifySnapshotFile(flipped, opts)).rejects.toThrow(/corrupted/);
      // A snapshot older than the revision the member served before it began is refused too.
      await expect(verifySnapshotFile(file, { ...opts, minRevision: newest.revision + 1 })).rejects.toThrow(
        /older than revision/,
      );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('a snapshot that arrives corrupted blocks the add: nothing changes in Compute or etcd membership', async () => {
    const before = await membershipAndVms();
    const listed = (await listSnapshots(dataDir, ID)).length;
    const { ended, steps, logs } = await runIntent(
      { kind: 'add-replica', zone: 'europe-west1-c' },
      withCorruptedSnapshots(c),
    );
    expect(ended.status).toBe('failed');
    const failed = steps.find((s) => s.status === 'failed');
    expect(failed?.kind).toBe('snapshot-etcd');
    expect(failed?.error).toMatch(
      /^Backup gate: no verified etcd snapshot of prod-master could be taken \(verification-failed\).*corrupted.*Nothing in etcd membership was changed/,
    );
    expect(ended.error).toBe(failed?.error);
    for (const kind of ['add-learner', 'create-disk', 'create-instance', 'promote-learner'])
      expect(steps.find((s) => s.kind === kind)?.status).toBe('skipped');
    // Every healthy voter was tried before the gate gave up.
    expect(logs.filter((l) => l.level === 'warn' && /no verified etcd main snapshot from/.test(l.message)).length).toBe(
      before.vms.length,
    );
    expect(await membershipAndVms()).toEqual(before);
    expect(await c.compute.getDisk(PROD.project, 'europe-west1-c', `${pickedName(steps)}-pd`)).toBeNull();
    // Nothing unverified was kept, not even a partial file.
    expect((await listSnapshots(dataDir, ID)).length).toBe(listed);
    for (const cluster of ['main', 'events'] as const)
      expect(readdirSync(snapshotFolder(dataDir, ID, cluster)).filter((n) => !/\.(db|json)$/.test(n))).toEqual([]);
  });

  it('a data dir that cannot hold snapshots blocks the add as well', async () => {
    const blocked = mkdtempSync(path.join(tmpdir(), 'quorum-backups-blocked-'));
    writeFileSync(path.join(blocked, 'snapshots'), 'a file where the snapshots folder should be');
    const world = Object.create(c, {
      env: { value: { ...c.env, QUORUM_DATA_DIR: blocked }, enumerable: true },
    }) as Container;
    try {
      const before = await membershipAndVms();
      const { ended, steps } = await runIntent({ kind: 'add-replica', zone: 'europe-west1-c' }, world);
      expect(ended.status).toBe('failed');
      expect(steps.find((s) => s.status === 'failed')?.error).toMatch(
        /^Backup gate: .*\(storage-failed\): cannot write snapshots under/,
      );
      expect(await membershipAndVms()).toEqual(before);
    } finally {
      rmSync(blocked, { recursive: true, force: true });
    }
  });

  it("the operator's override lets the add through without a verified snapshot, in the journal and the audit", async () => {
    const reason = 'snapshot storage is being replaced; change approved in ticket OPS-42';
    const { ended, steps, logs } = await runIntent(
      { kind: 'add-replica', zone: 'europe-west1-c' },
      withCorruptedSnapshots(c),
      { override: reason },
    );
    expect(ended.status).toBe('succeeded');
    added.push(pickedName(steps));
    const gate = steps.find((s) => s.kind === 'snapshot-etcd');
    expect(gate?.title).toContain(`backup gate overridden: ${reason}`);
    expect(gate?.detail).toMatchObject({
      verified: false,
      overridden: true,
      overrideReason: reason,
      failure: 'verification-failed',
    });
    expect(
      logs.some(
        (l) => l.level === 'warn' && l.message.includes(`BACKUP GATE OVERRIDDEN by integration-test ("${reason}")`),
      ),
    ).toBe(true);
    const audit = await c.store.listAudit({ operationId: ended.id, action: 'backup.gate-overridden' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'integration-test',
      clusterId: ID,
      detail: { reason, failure: 'verification-failed' },
    });
    await expectConsistent(c, PROD, null);
  });

  it('removals take their snapshot before remove-member, and retention keeps the newest per etcd cluster', async () => {
    const vms = await replicaVms(c, PROD);
    let last: StepRecord[] = [];
    for (const name of [...added].reverse()) {
      const zone = vms.find((v) => v.name === name)?.zone ?? '';
      const { ended, steps } = await runIntent({ kind: 'remove-replica', zone, name });
      expect(ended.status).toBe('succeeded');
      expect(indexOf(steps, 'snapshot-etcd')).toBe(indexOf(steps, 'remove-member') - 1);
      const detail = snapshotDetailSchema.parse(steps[indexOf(steps, 'snapshot-etcd')]?.detail);
      // Taken from a replica that stays.
      expect(detail.snapshots.map((s) => s.member)).not.toContain(name);
      last = steps;
    }
    const kept = await listSnapshots(dataDir, ID);
    for (const cluster of ['main', 'events'] as const) {
      const mine = kept.filter((s) => s.etcdCluster === cluster);
      expect(mine).toHaveLength(RETENTION);
      expect(mine.every((s) => s.intact)).toBe(true);
      // What is on disk is exactly what is listed: the pruned files went with their records.
      expect(readdirSync(snapshotFolder(dataDir, ID, cluster)).sort()).toEqual(
        mine.flatMap((s) => [s.file, s.file.replace(/\.db$/, '.json')]).sort(),
      );
    }
    const lastDetail = snapshotDetailSchema.parse(last[indexOf(last, 'snapshot-etcd')]?.detail);
    for (const s of lastDetail.snapshots) expect(kept.map((k) => k.file)).toContain(s.file);
    // Three sets were taken (the first add, two removals; the overridden add kept none): the first add's went.
    expect(firstAddFiles).toHaveLength(2);
    for (const f of firstAddFiles) expect(() => statSync(f), f).toThrow();
    await expectConsistent(c, PROD, null);
    expect((await replicaVms(c, PROD)).length).toBe(3);
  });
});
