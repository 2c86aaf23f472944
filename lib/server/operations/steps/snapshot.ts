import 'server-only';
import { logLine, progressSaid } from '@/lib/core/operation-log';
// The backup gate (issue 4): before an add or a removal changes etcd membership, snapshots of etcd main and
// events are taken from a healthy voter, verified (lib/server/backups/snapshots.ts says how) and stored with
// retention. When no verified snapshot can be had the step fails, so the operation stops before any membership
// change and the runner's rollback applies; unless the plan carries the operator's override, when the step logs
// and audits that the gate was overridden and lets the change go on.
//
// Idempotent: a step run again after a crash finds the snapshot it already verified (by operation and step id)
// and reuses it. Nothing secret goes into the detail or the log: revision, hashes, size, member, file name.
import type { EtcdClusterName } from '@/lib/core/topology';
import type { Container } from '@/lib/server/container';
import type { EtcdEndpoint } from '@/lib/ports/etcd-admin';
import type { JsonValue } from '@/lib/ports/store';
import type { StepContext, StepExecutor, StepOutcome } from '@/lib/server/operations/runner';
import {
  BackupGateError,
  discardSnapshot,
  findStepSnapshot,
  isBackupGateError,
  keepSnapshot,
  pruneSnapshots,
  verifySnapshotFile,
  writeSnapshotFile,
} from '@/lib/server/backups/snapshots';
import type { SnapshotRecord } from '@/lib/core/backups';
import { formatBytes } from '@/lib/core/format';
import {
  addressOf,
  CLUSTERS,
  clusterRefOf,
  ETCD_CALL_MS,
  loadCluster,
  StepCancelled,
  throwIfAborted,
  type ClusterView,
} from './cluster-context';

/** The whole stream of one snapshot; ~1 GB over loopback takes seconds, a remote member longer. */
const SNAPSHOT_TIMEOUT_MS = 10 * 60_000;
const PROGRESS_EVERY_MS = 1_000;

type Candidate = { replica: string; endpoint: EtcdEndpoint; dbSize: number; leader: boolean };

/**
 * Voters that answer status, other than `exclude` (the replica a removal takes out, which may be the broken
 * one), followers first: a snapshot reads the whole database, better not on the leader's disk.
 */
async function healthyVoters(
  c: Container,
  view: ClusterView,
  cluster: EtcdClusterName,
  exclude: string | null,
): Promise<Candidate[]> {
  const replicas = view.replicas.filter((r) => r.status === 'RUNNING' && r.name !== exclude);
  const found = await Promise.all(
    replicas.map(async (r) => {
      const endpoint = c.endpoints.etcd(addressOf(view, r), cluster);
      const s = await c.etcd.status(endpoint, view.etcd[cluster], ETCD_CALL_MS);
      return s.ok && !s.isLearner
        ? [{ replica: r.name, endpoint, dbSize: s.dbSize, leader: s.leaderId === s.memberId }]
        : [];
    }),
  );
  return found.flat().sort((a, b) => Number(a.leader) - Number(b.leader) || a.replica.localeCompare(b.replica));
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Takes, verifies and keeps one snapshot from `from`; rejects with a BackupGateError. */
async function snapshotFrom(
  c: Container,
  ctx: StepContext,
  view: ClusterView,
  cluster: EtcdClusterName,
  from: Candidate,
): Promise<SnapshotRecord> {
  const dataDir = c.env.QUORUM_DATA_DIR;
  const clusterId = ctx.operation.clusterId;
  let revisionBefore: number;
  try {
    revisionBefore = await c.etcd.revision(from.endpoint, view.etcd[cluster], ETCD_CALL_MS);
  } catch (e) {
    throw new BackupGateError(
      'snapshot-failed',
      `${from.replica} did not answer a read of etcd ${cluster}: ${messageOf(e)}`,
      { cause: e },
    );
  }
  const takenAt = new Date().toISOString();
  let lastReport = 0;
  const onBytes = (bytes: number) => {
    const now = Date.now();
    if (now - lastReport < PROGRESS_EVERY_MS) return;
    lastReport = now;
    const fraction = from.dbSize > 0 ? bytes / from.dbSize : undefined;
    void ctx
      .progress({
        ...(fraction !== undefined ? { fraction } : {}),
        ...progressSaid(
          logLine('snapshotProgress', {
            cluster,
            replica: from.replica,
            bytes: formatBytes(bytes),
            total: formatBytes(from.dbSize),
          }),
        ),
      })
      .catch(() => {});
  };
  let written;
  try {
    written = await writeSnapshotFile(
      dataDir,
      clusterId,
      cluster,
      c.etcd.snapshot(from.endpoint, view.etcd[cluster], { timeoutMs: SNAPSHOT_TIMEOUT_MS, signal: ctx.signal }),
      onBytes,
    );
  } catch (e) {
    throwIfAborted(ctx.signal);
    if (isBackupGateError(e)) throw e;
    throw new BackupGateError(
      'snapshot-failed',
      `the etcd ${cluster} snapshot stream from ${from.replica} failed: ${messageOf(e)}`,
      { cause: e },
    );
  }
  try {
    const verified = await verifySnapshotFile(written.file, {
      etcdctl: c.env.QUORUM_ETCDCTL,
      minRevision: revisionBefore,
      liveKeyWrittenAfter: (revision) =>
        c.etcd.hasKeyModifiedIn(
          from.endpoint,
          view.etcd[cluster],
          { from: revision + 1, to: revisionBefore },
          ETCD_CALL_MS,
        ),
    });
    return await keepSnapshot(written, {
      clusterId,
      etcdCluster: cluster,
      takenAt,
      verifiedAt: new Date().toISOString(),
      ...verified,
      revisionBefore,
      member: from.replica,
      operationId: ctx.operation.id,
      stepId: ctx.step.id,
    });
  } catch (e) {
    await discardSnapshot(written);
    throw e;
  }
}

/** A verified snapshot of one etcd cluster: from the first healthy voter that gives one. */
async function verifiedSnapshot(
  c: Container,
  ctx: StepContext,
  view: ClusterView,
  cluster: EtcdClusterName,
  exclude: string | null,
): Promise<SnapshotRecord> {
  const candidates = await healthyVoters(c, view, cluster, exclude);
  if (candidates.length === 0) {
    throw new BackupGateError(
      'no-healthy-member',
      `no healthy etcd ${cluster} voter${exclude ? ` other than ${exclude}` : ''} answers, so there is nothing to take a snapshot from`,
    );
  }
  const failures: string[] = [];
  for (const from of candidates) {
    throwIfAborted(ctx.signal);
    try {
      return await snapshotFrom(c, ctx, view, cluster, from);
    } catch (e) {
      if (e instanceof StepCancelled || ctx.signal.aborted) throw e;
      // Another member will not make the data dir writable.
      if (isBackupGateError(e) && e.reason === 'storage-failed') throw e;
      failures.push(messageOf(e));
      await ctx.log(logLine('snapshotMissing', { cluster, replica: from.replica, error: messageOf(e) }), 'warn');
    }
  }
  const reason = failures.some((f) => f.includes('failed verification')) ? 'verification-failed' : 'snapshot-failed';
  throw new BackupGateError(reason, failures.join('; '));
}

const describe = (r: SnapshotRecord) =>
  logLine('snapshotVerified', {
    cluster: r.etcdCluster,
    file: r.file,
    member: r.member,
    revision: String(r.revision),
    keys: String(r.totalKeys),
    size: formatBytes(r.sizeBytes),
    sha256: r.sha256.slice(0, 12),
    crc32: String(r.hash),
  });

const summaryOf = (r: SnapshotRecord): JsonValue => ({
  etcdCluster: r.etcdCluster,
  file: r.file,
  member: r.member,
  revision: r.revision,
  revisionBefore: r.revisionBefore,
  hash: r.hash,
  sha256: r.sha256,
  sizeBytes: r.sizeBytes,
  totalKeys: r.totalKeys,
  takenAt: r.takenAt,
});

const snapshotEtcd =
  (c: Container): StepExecutor =>
  async (ctx): Promise<StepOutcome> => {
    const { params } = ctx.step;
    const exclude = typeof params.exclude === 'string' && params.exclude !== '' ? params.exclude : null;
    const overrideReason =
      params.gateOverridden === true && typeof params.overrideReason === 'string' ? params.overrideReason : null;
    const ref = clusterRefOf(ctx);
    const clusterId = ctx.operation.clusterId;
    const dataDir = c.env.QUORUM_DATA_DIR;
    try {
      const taken: SnapshotRecord[] = [];
      let view: ClusterView | null = null;
      // One after the other: each reads a whole database from disk.
      for (const cluster of CLUSTERS) {
        const earlier = await findStepSnapshot(dataDir, clusterId, cluster, ctx.operation.id, ctx.step.id).catch(
          () => null,
        );
        if (earlier) {
          await ctx.log(logLine('snapshotTakenEarlier', { cluster, file: earlier.file }));
          taken.push(earlier);
          continue;
        }
        view ??= await loadCluster(c, ctx);
        const record = await verifiedSnapshot(c, ctx, view, cluster, exclude);
        await ctx.log(describe(record));
        taken.push(record);
      }
      const pruned = await pruneSnapshots(dataDir, clusterId, c.env.QUORUM_SNAPSHOT_RETENTION).catch(
        async (e: unknown) => {
          // Retention failing is no reason to refuse a change that has its verified backup.
          await ctx.log(logLine('pruneFailed', { error: messageOf(e) }), 'warn');
          return [];
        },
      );
      if (pruned.length > 0)
        await ctx.log(
          logLine('pruned', {
            retention: String(c.env.QUORUM_SNAPSHOT_RETENTION),
            files: pruned.map((r) => `${r.etcdCluster}/${r.file}`).join(', '),
          }),
        );
      const detail: JsonValue = { verified: true, snapshots: taken.map(summaryOf), pruned: pruned.length };
      return { detail };
    } catch (e) {
      if (e instanceof StepCancelled || ctx.signal.aborted) throw e;
      const gate = isBackupGateError(e) ? e : new BackupGateError('snapshot-failed', messageOf(e), { cause: e });
      const why = `no verified etcd snapshot of ${ref.masterName} could be taken (${gate.reason}): ${gate.message}`;
      if (overrideReason === null) {
        throw new BackupGateError(
          gate.reason,
          `Backup gate: ${why}. Nothing in etcd membership was changed; fix the cause and run the change again, or override the backup gate with a reason`,
          { cause: e },
        );
      }
      await ctx.log(
        logLine('backupGateOverridden', {
          actor: ctx.operation.actor,
          reason: overrideReason,
          master: ref.masterName,
          failure: gate.reason,
          error: gate.message,
        }),
        'warn',
      );
      await c.store.addAudit({
        actor: ctx.operation.actor,
        action: 'backup.gate-overridden',
        clusterId,
        operationId: ctx.operation.id,
        outcome: 'succeeded',
        detail: { stepId: ctx.step.id, reason: overrideReason, failure: gate.reason, error: gate.message },
      });
      const detail: JsonValue = {
        verified: false,
        overridden: true,
        overrideReason,
        failure: gate.reason,
        error: gate.message,
      };
      return { detail };
    }
  };

export function snapshotExecutors(c: Container) {
  return { 'snapshot-etcd': snapshotEtcd(c) } satisfies Record<string, StepExecutor>;
}
