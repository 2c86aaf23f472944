// Backups before membership changes (issue 4): what a stored etcd snapshot records, which ones retention
// deletes, and when the backup gate may be overridden. Pure; the files themselves are lib/server/backups'.
import type { StepKind } from './planner';
import { ETCD_CLUSTERS, type EtcdClusterName } from './topology';

/** The step kind of the backup gate (planner.ts puts one before each add's and removal's membership change). */
export const SNAPSHOT_STEP_KIND = 'snapshot-etcd' satisfies StepKind;

/**
 * The record kept next to each verified snapshot file (a JSON sidecar of the same name). Only a snapshot that
 * passed verification gets one, so a sidecar means "verified"; `file` is the snapshot's name in the same folder.
 */
export type SnapshotRecord = {
  version: 1;
  clusterId: string;
  etcdCluster: EtcdClusterName;
  file: string;
  /** ISO 8601: when the stream from etcd began, and when verification passed. */
  takenAt: string;
  verifiedAt: string;
  /** The file's size: etcd's database plus the 32-byte sha256 etcd appends. */
  sizeBytes: number;
  /** etcd's own sha256 of the database, found at the end of the stream and matched against the bytes on disk. */
  sha256: string;
  /** From `etcdctl snapshot status`: the keyspace revision the snapshot holds, its crc32 hash and key count. */
  revision: number;
  hash: number;
  totalKeys: number;
  /** The revision the member served right before the snapshot (a linearizable read); `revision` is at least this. */
  revisionBefore: number;
  /** The replica whose member streamed it. */
  member: string;
  operationId: string;
  stepId: string;
};

/** A record and whether its file is still there with the size it was verified at. */
export type SnapshotListing = SnapshotRecord & { intact: boolean };

function newestFirst(a: SnapshotRecord, b: SnapshotRecord): number {
  return b.takenAt.localeCompare(a.takenAt) || b.file.localeCompare(a.file);
}

/** Newest first, per etcd cluster in ETCD_CLUSTERS order. */
export function sortSnapshots<T extends SnapshotRecord>(records: readonly T[]): T[] {
  const rank = (c: EtcdClusterName) => ETCD_CLUSTERS.indexOf(c);
  return [...records].sort((a, b) => rank(a.etcdCluster) - rank(b.etcdCluster) || newestFirst(a, b));
}

/** What retention deletes: everything past the newest `keep` of each etcd cluster. */
export function snapshotsToPrune<T extends SnapshotRecord>(records: readonly T[], keep: number): T[] {
  const out: T[] = [];
  for (const cluster of ETCD_CLUSTERS) {
    const mine = records.filter((r) => r.etcdCluster === cluster).sort(newestFirst);
    out.push(...mine.slice(Math.max(0, keep)));
  }
  return out;
}

/** The journal of an operation as far as the gate is concerned. */
export type GateJournal = {
  id: string;
  clusterId: string;
  status: string;
  intent: unknown;
  steps: readonly { kind: string; status: string; error: string | null }[];
};

/** The failed backup gate of an operation: its reason, or null when the operation did not stop there. */
export function backupGateFailureOf(op: Pick<GateJournal, 'status' | 'steps'>): { error: string } | null {
  if (op.status !== 'failed') return null;
  const failed = op.steps.find((s) => s.status === 'failed');
  if (!failed || failed.kind !== SNAPSHOT_STEP_KIND) return null;
  return { error: failed.error ?? 'no verified snapshot could be taken' };
}

function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, x]) => x !== undefined)
              .sort(([x], [y]) => x.localeCompare(y))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/**
 * Why an override of the backup gate is not accepted, or null when it is: it is offered only right after the
 * gate stopped the same change, so it must name the cluster's latest operation, which failed at its snapshot
 * step, and ask for the same intent; and it needs a reason for the audit trail.
 */
export function backupOverrideRefusal(input: {
  clusterId: string;
  intent: unknown;
  reason: string;
  failed: GateJournal | null;
  latestOperationId: string | null;
}): string | null {
  if (input.reason.trim().length < 10)
    return 'Say why the change must go on without a verified snapshot (at least 10 characters); it goes into the audit log.';
  const offer = backupOverrideOffer(input);
  if (!offer.ok) return offer.refusal;
  if (!sameJson(offer.intent, input.intent))
    return 'The override applies to the change the backup gate stopped; this is a different change.';
  return null;
}

/** Whether the change wizard may offer the override for `failed`: the same rules as backupOverrideRefusal but the reason and intent. */
export function backupOverrideOffer(input: {
  clusterId: string;
  failed: GateJournal | null;
  latestOperationId: string | null;
}): { ok: true; operationId: string; intent: unknown; error: string } | { ok: false; refusal: string } {
  const { failed } = input;
  if (!failed || failed.clusterId !== input.clusterId)
    return {
      ok: false,
      refusal:
        'The backup gate can only be overridden after it stopped a change on this cluster; that operation was not found.',
    };
  if (failed.id !== input.latestOperationId)
    return {
      ok: false,
      refusal:
        'Another operation ran on this cluster since the backup gate stopped this change; preview and run the change again first.',
    };
  const failure = backupGateFailureOf(failed);
  if (!failure)
    return {
      ok: false,
      refusal:
        'That operation did not stop at the backup gate, so there is nothing to override; run the change normally.',
    };
  return { ok: true, operationId: failed.id, intent: failed.intent, error: failure.error };
}
