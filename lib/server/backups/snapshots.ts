import 'server-only';
// etcd snapshots on disk: <QUORUM_DATA_DIR>/snapshots/<cluster id>/<main|events>/<stamp>-<random>.db, each with
// a JSON sidecar (<same name>.json) written only once the file is verified. Sidecars rather than a store table:
// the record travels with the file it describes (copy the folder and the runbook still knows what it holds),
// and listing never disagrees with what is on disk. Snapshots hold all of the cluster's data, Secrets included:
// folders 0700, files 0600, and no route serves them.
//
// Verification, and why it is done this way. etcd's Maintenance.Snapshot streams the database and then its own
// sha256 of it (32 bytes; the database is whole 512-byte pages, so the file is 32 bytes past a multiple of 512),
// which `etcdctl snapshot restore` checks. Two checks follow, on the bytes read back from disk:
//  1. In process: the length is pages + 32 and the sha256 of the database equals the one etcd appended. This is
//     the check that catches any truncation and any changed byte: `etcdctl snapshot status` alone accepts a file
//     with a flipped byte in a value or a free page (tried: same hash, exit 0), because it only walks the b+tree.
//  2. `etcdctl snapshot status -w json` (QUORUM_ETCDCTL): etcd's own code opens the file as a bolt database,
//     checks its page structure and reports the revision, crc32 hash, key count and size. The revision must be
//     at least the one the member served right before the snapshot (or no key still in the store may be newer
//     than it, see verifySnapshotFile), and the size that of the database, so the file holds every write
//     acknowledged before the membership change. Parsing bolt here instead would be a
//     second, unreviewed reader of etcd's format; etcdctl is what a restore will use anyway.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { snapshotsToPrune, sortSnapshots, type SnapshotListing, type SnapshotRecord } from '@/lib/core/backups';
import { ETCD_CLUSTERS, type EtcdClusterName } from '@/lib/core/topology';

/** Length of the sha256 etcd appends to a snapshot. */
export const SNAPSHOT_HASH_BYTES = 32;
/** bolt pages are multiples of 512 bytes; etcd's restore tells a hashed snapshot by `size % 512 == 32`. */
const PAGE_ALIGN = 512;
const ETCDCTL_TIMEOUT_MS = 120_000;

export const BACKUP_GATE_REASONS = [
  'no-healthy-member',
  'snapshot-failed',
  'verification-failed',
  'storage-failed',
] as const;
export type BackupGateReason = (typeof BACKUP_GATE_REASONS)[number];

/** A snapshot could not be taken, stored or verified; `reason` says which, the message says it in words. */
export class BackupGateError extends Error {
  override readonly name = 'BackupGateError';
  readonly code = 'BackupUnavailable' as const;
  readonly reason: BackupGateReason;

  constructor(reason: BackupGateReason, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.reason = reason;
  }
}

export function isBackupGateError(e: unknown): e is BackupGateError {
  return e instanceof BackupGateError;
}

const recordSchema = z.object({
  version: z.literal(1),
  clusterId: z.string().min(1),
  etcdCluster: z.enum(ETCD_CLUSTERS),
  file: z.string().regex(/^[-\w.]+\.db$/),
  takenAt: z.string().min(1),
  verifiedAt: z.string().min(1),
  sizeBytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  revision: z.number().int().nonnegative(),
  hash: z.number().int().nonnegative(),
  totalKeys: z.number().int().nonnegative(),
  revisionBefore: z.number().int().nonnegative(),
  member: z.string().min(1),
  operationId: z.string().min(1),
  stepId: z.string().min(1),
}) satisfies z.ZodType<SnapshotRecord>;

// --- paths -------------------------------------------------------------------------------------------------

const CLUSTER_ID = /^[a-z][-a-z0-9]*~[a-z][-a-z0-9]*~[a-z][-a-z0-9]*$/;

export function snapshotsRoot(dataDir: string): string {
  return path.join(dataDir, 'snapshots');
}

/** The folder of one cluster's snapshots of one etcd cluster; the cluster id is checked, never trusted as a path. */
export function snapshotFolder(dataDir: string, clusterId: string, etcdCluster: EtcdClusterName): string {
  if (!CLUSTER_ID.test(clusterId)) throw new Error(`not a cluster id: ${clusterId}`);
  return path.join(snapshotsRoot(dataDir), clusterId, etcdCluster);
}

const sidecarOf = (dbFile: string) => dbFile.replace(/\.db$/, '.json');

/** Creates the folder (and snapshots/, the cluster's folder) owner-only. */
async function ensurePrivateFolder(dataDir: string, folder: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  // recursive mkdir leaves existing folders as they were, and the umask applies: set each one explicitly.
  for (let dir = folder; dir.startsWith(snapshotsRoot(dataDir)); dir = path.dirname(dir)) await chmod(dir, 0o700);
}

// --- writing -----------------------------------------------------------------------------------------------

export type WrittenSnapshot = { file: string; bytes: number };

/**
 * Writes a snapshot stream to a new file `<stamp>-<random>.db.partial` (0600) in the folder and syncs it. The
 * caller verifies it and then calls `keepSnapshot`, or `discardSnapshot`. Storage failures are BackupGateErrors
 * ('storage-failed'); a failing stream rejects with its own error after the partial file is removed.
 */
export async function writeSnapshotFile(
  dataDir: string,
  clusterId: string,
  etcdCluster: EtcdClusterName,
  chunks: AsyncIterable<Uint8Array>,
  onBytes?: (bytes: number) => void,
): Promise<WrittenSnapshot> {
  const folder = snapshotFolder(dataDir, clusterId, etcdCluster);
  const name = `${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}.db`;
  const partial = path.join(folder, `${name}.partial`);
  let handle;
  try {
    await ensurePrivateFolder(dataDir, folder);
    handle = await open(partial, 'wx', 0o600);
  } catch (e) {
    throw new BackupGateError(
      'storage-failed',
      `cannot write snapshots under ${snapshotsRoot(dataDir)}: ${messageOf(e)}`,
      { cause: e },
    );
  }
  let bytes = 0;
  let writing = false;
  try {
    for await (const chunk of chunks) {
      writing = true;
      await handle.write(chunk);
      writing = false;
      bytes += chunk.byteLength;
      onBytes?.(bytes);
    }
    writing = true;
    await handle.sync();
    await handle.close();
  } catch (e) {
    await handle.close().catch(() => {});
    await rm(partial, { force: true });
    if (writing)
      throw new BackupGateError('storage-failed', `writing the snapshot to ${folder} failed: ${messageOf(e)}`, {
        cause: e,
      });
    throw e;
  }
  return { file: partial, bytes };
}

/** Gives a verified snapshot its final name and writes its sidecar (atomically: temp file, then rename). */
export async function keepSnapshot(
  written: WrittenSnapshot,
  record: Omit<SnapshotRecord, 'file' | 'version'>,
): Promise<SnapshotRecord> {
  const file = written.file.replace(/\.partial$/, '');
  const full: SnapshotRecord = { version: 1, ...record, file: path.basename(file) };
  try {
    await rename(written.file, file);
    const sidecar = sidecarOf(file);
    await writeFile(`${sidecar}.partial`, `${JSON.stringify(full, null, 2)}\n`, { mode: 0o600, flag: 'w' });
    await rename(`${sidecar}.partial`, sidecar);
  } catch (e) {
    throw new BackupGateError('storage-failed', `storing the verified snapshot ${file} failed: ${messageOf(e)}`, {
      cause: e,
    });
  }
  return full;
}

export async function discardSnapshot(written: WrittenSnapshot): Promise<void> {
  await rm(written.file, { force: true });
}

// --- verification ------------------------------------------------------------------------------------------

export type VerifiedSnapshot = { sizeBytes: number; sha256: string; revision: number; hash: number; totalKeys: number };

/**
 * Checks a snapshot file as described at the top of this file; resolves with what it holds, or rejects with a
 * BackupGateError('verification-failed') saying what is wrong.
 */
export async function verifySnapshotFile(
  file: string,
  opts: {
    etcdctl: string;
    minRevision: number;
    /** Whether a key still in the store was written after `revision` (up to minRevision); absent: assume so. */
    liveKeyWrittenAfter?: (revision: number) => Promise<boolean>;
  },
): Promise<VerifiedSnapshot> {
  const fail = (why: string, cause?: unknown) =>
    new BackupGateError('verification-failed', `snapshot ${path.basename(file)} failed verification: ${why}`, {
      cause,
    });
  const { sha256, sizeBytes } = await checkEmbeddedSha256(file).catch((e: unknown) => {
    throw isBackupGateError(e) ? e : fail(messageOf(e), e);
  });
  const status = await etcdctlStatus(opts.etcdctl, file).catch((e: unknown) => {
    throw fail(messageOf(e), e);
  });
  const dbBytes = sizeBytes - SNAPSHOT_HASH_BYTES;
  if (status.totalSize !== dbBytes)
    throw fail(
      `etcdctl reads a ${status.totalSize}-byte database, but the file holds ${dbBytes} bytes before etcd's sha256`,
    );
  // etcdctl's revision is the newest among the snapshot's keys. It is below the store's revision when nothing
  // was ever written (etcd starts at revision 1 with no keys) or when the newest writes were deletes whose
  // tombstones compaction dropped; the snapshot is too old only if a key still in the store was written later.
  const missesWrites =
    status.revision < opts.minRevision &&
    (opts.liveKeyWrittenAfter ? await opts.liveKeyWrittenAfter(status.revision) : true);
  if (missesWrites) {
    throw fail(
      `it holds revision ${status.revision}, older than revision ${opts.minRevision} that the member served before the snapshot began`,
    );
  }
  return { sizeBytes, sha256, revision: status.revision, hash: status.hash, totalKeys: status.totalKey };
}

/** Length and etcd's appended sha256 of a snapshot file; rejects when they do not hold. */
export async function checkEmbeddedSha256(file: string): Promise<{ sha256: string; sizeBytes: number }> {
  const fail = (why: string) =>
    new BackupGateError('verification-failed', `snapshot ${path.basename(file)} failed verification: ${why}`);
  const { size } = await stat(file);
  if (size < PAGE_ALIGN + SNAPSHOT_HASH_BYTES || size % PAGE_ALIGN !== SNAPSHOT_HASH_BYTES) {
    throw fail(
      `${size} bytes is not a whole etcd database followed by etcd's 32-byte sha256 (truncated or not a snapshot)`,
    );
  }
  const dbBytes = size - SNAPSHOT_HASH_BYTES;
  const hash = createHash('sha256');
  const trailer = Buffer.alloc(SNAPSHOT_HASH_BYTES);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    let offset = 0;
    while (offset < dbBytes) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, dbBytes - offset), offset);
      if (bytesRead === 0) throw fail(`the file ended at ${offset} bytes while it was read`);
      hash.update(buffer.subarray(0, bytesRead));
      offset += bytesRead;
    }
    const { bytesRead } = await handle.read(trailer, 0, SNAPSHOT_HASH_BYTES, dbBytes);
    if (bytesRead !== SNAPSHOT_HASH_BYTES) throw fail('the sha256 at its end could not be read');
  } finally {
    await handle.close();
  }
  const digest = hash.digest();
  if (!digest.equals(trailer)) {
    throw fail(
      `the sha256 of its database (${digest.toString('hex').slice(0, 12)}…) differs from the one etcd sent with it (${trailer.toString('hex').slice(0, 12)}…): the file is corrupted`,
    );
  }
  return { sha256: digest.toString('hex'), sizeBytes: size };
}

const etcdctlStatusSchema = z.object({
  hash: z.number().int().nonnegative(),
  revision: z.number().int().nonnegative(),
  totalKey: z.number().int().nonnegative(),
  totalSize: z.number().int().nonnegative(),
});

/** `etcdctl snapshot status -w json` of a file. */
export function etcdctlStatus(etcdctl: string, file: string): Promise<z.infer<typeof etcdctlStatusSchema>> {
  return new Promise((resolve, reject) => {
    execFile(
      etcdctl,
      ['snapshot', 'status', file, '-w', 'json'],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: ETCDCTL_TIMEOUT_MS, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT')
            return reject(new Error(`etcdctl was not found (QUORUM_ETCDCTL=${etcdctl}); install etcd-client`));
          // A truncated database makes etcd's bolt reader fault (SIGBUS); say so rather than print Go's stack.
          const said =
            stderr.split('\n').find((l) => /^(Error|panic|fatal error|unexpected fault)/.test(l.trim())) ??
            stderr.split('\n')[0] ??
            '';
          return reject(
            new Error(
              `etcdctl snapshot status could not read it as an etcd database (${error.signal ?? `exit ${String(error.code)}`}${said ? `: ${said.trim()}` : ''})`,
            ),
          );
        }
        try {
          resolve(etcdctlStatusSchema.parse(JSON.parse(stdout)));
        } catch (e) {
          reject(new Error(`etcdctl snapshot status printed something unexpected: ${messageOf(e)}`));
        }
      },
    );
  });
}

// --- reading, retention ------------------------------------------------------------------------------------

async function recordsIn(folder: string): Promise<{ record: SnapshotRecord; dbFile: string }[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: { record: SnapshotRecord; dbFile: string }[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      const record = recordSchema.parse(JSON.parse(await readFile(path.join(folder, name), 'utf8')));
      out.push({ record, dbFile: path.join(folder, record.file) });
    } catch {
      // A sidecar that does not parse describes nothing verified; it is left for an operator to look at.
    }
  }
  return out;
}

/** The cluster's verified snapshots, main then events, newest first, each with whether its file is intact (present, same size). */
export async function listSnapshots(dataDir: string, clusterId: string): Promise<SnapshotListing[]> {
  const all: SnapshotListing[] = [];
  for (const cluster of ETCD_CLUSTERS) {
    for (const { record, dbFile } of await recordsIn(snapshotFolder(dataDir, clusterId, cluster))) {
      const size = await stat(dbFile).then(
        (s) => s.size,
        () => null,
      );
      all.push({ ...record, intact: size === record.sizeBytes });
    }
  }
  return sortSnapshots(all);
}

/** The snapshot a given step already took of an etcd cluster (a step run again after a crash reuses it). */
export async function findStepSnapshot(
  dataDir: string,
  clusterId: string,
  etcdCluster: EtcdClusterName,
  operationId: string,
  stepId: string,
): Promise<SnapshotRecord | null> {
  const found = (await recordsIn(snapshotFolder(dataDir, clusterId, etcdCluster))).find(
    ({ record }) => record.operationId === operationId && record.stepId === stepId,
  );
  if (!found) return null;
  const size = await stat(found.dbFile).then(
    (s) => s.size,
    () => null,
  );
  return size === found.record.sizeBytes ? found.record : null;
}

/** Deletes all but the newest `keep` verified snapshots of each etcd cluster, and partial files left by a crash; returns the deleted records. */
export async function pruneSnapshots(dataDir: string, clusterId: string, keep: number): Promise<SnapshotRecord[]> {
  const deleted: SnapshotRecord[] = [];
  for (const cluster of ETCD_CLUSTERS) {
    const folder = snapshotFolder(dataDir, clusterId, cluster);
    const entries = await recordsIn(folder);
    for (const record of snapshotsToPrune(
      entries.map((e) => e.record),
      keep,
    )) {
      const dbFile = path.join(folder, record.file);
      // The sidecar goes first: a crash in between leaves an unlisted file, never a record without its file.
      await rm(sidecarOf(dbFile), { force: true });
      await rm(dbFile, { force: true });
      deleted.push(record);
    }
    // One operation per cluster at a time (the store's lock), so a partial file here is a crashed step's.
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.partial'))) await rm(path.join(folder, name), { force: true });
  }
  return deleted;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
