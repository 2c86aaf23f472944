import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BackupGateError,
  checkEmbeddedSha256,
  findStepSnapshot,
  keepSnapshot,
  listSnapshots,
  pruneSnapshots,
  snapshotFolder,
  verifySnapshotFile,
  writeSnapshotFile,
} from './snapshots';

const CLUSTER = 'sandbox-project~europe-west1~prod-master';
let dir = '';
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'quorum-snapshots-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** What etcd streams: a database of whole pages, then its sha256. */
function snapshotBytes(pages = 3): Buffer {
  const db = randomBytes(4096 * pages);
  return Buffer.concat([db, createHash('sha256').update(db).digest()]);
}

function fileWith(bytes: Buffer): string {
  const file = path.join(dir, `s-${randomBytes(3).toString('hex')}.db`);
  writeFileSync(file, bytes);
  return file;
}

async function* chunksOf(bytes: Buffer, size = 5_000): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe("etcd's appended sha256", () => {
  const good = snapshotBytes();
  const flip = (at: number) => {
    const b = Buffer.from(good);
    b[at] = (b[at] ?? 0) ^ 0x01;
    return b;
  };
  it('accepts the file etcd sent', async () => {
    expect(await checkEmbeddedSha256(fileWith(good))).toEqual({
      sha256: good.subarray(-32).toString('hex'),
      sizeBytes: good.length,
    });
  });
  it.each([
    { name: 'one byte short', bytes: good.subarray(0, good.length - 1), says: /not a whole etcd database/ },
    { name: 'without the sha256', bytes: good.subarray(0, good.length - 32), says: /not a whole etcd database/ },
    {
      name: 'a whole page short',
      bytes: Buffer.concat([good.subarray(0, 4096 * 2), good.subarray(-32)]),
      says: /corrupted/,
    },
    {
      name: 'cut at a page boundary, keeping 32 bytes of data as the "sha256"',
      bytes: good.subarray(0, 4096 * 2 + 32),
      says: /corrupted/,
    },
    { name: 'a byte changed in the database', bytes: flip(5_000), says: /corrupted/ },
    { name: 'a byte changed in the sha256', bytes: flip(good.length - 3), says: /corrupted/ },
    { name: 'a byte appended', bytes: Buffer.concat([good, Buffer.from([0])]), says: /not a whole etcd database/ },
    { name: 'empty', bytes: Buffer.alloc(0), says: /not a whole etcd database/ },
  ])('rejects a file $name', async ({ bytes, says }) => {
    const err = await checkEmbeddedSha256(fileWith(bytes)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupGateError);
    expect((err as BackupGateError).reason).toBe('verification-failed');
    expect((err as Error).message).toMatch(says);
  });

  it('makes the whole verification fail before etcdctl is even asked', async () => {
    const err = await verifySnapshotFile(fileWith(flip(100)), {
      etcdctl: '/nonexistent/etcdctl',
      minRevision: 0,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/corrupted/);
  });

  it('fails verification when etcdctl cannot be run, saying so', async () => {
    const err = await verifySnapshotFile(fileWith(good), { etcdctl: '/nonexistent/etcdctl', minRevision: 0 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BackupGateError);
    expect((err as Error).message).toMatch(/etcdctl was not found \(QUORUM_ETCDCTL=\/nonexistent\/etcdctl\)/);
  });
});

describe('snapshot files', () => {
  const keep = async (etcdCluster: 'main' | 'events', takenAt: string, stepId = 'add:z:snapshot-etcd') => {
    const bytes = snapshotBytes(1);
    const written = await writeSnapshotFile(dir, CLUSTER, etcdCluster, chunksOf(bytes));
    const { sha256, sizeBytes } = await checkEmbeddedSha256(written.file);
    return keepSnapshot(written, {
      clusterId: CLUSTER,
      etcdCluster,
      takenAt,
      verifiedAt: takenAt,
      sizeBytes,
      sha256,
      revision: 7,
      hash: 3,
      totalKeys: 2,
      revisionBefore: 7,
      member: 'prod-master-b01',
      operationId: 'op-1',
      stepId,
    });
  };

  it('are owner-only: folders 0700, snapshot and record 0600', async () => {
    const r = await keep('main', '2024-01-01T00:00:00.000Z');
    const folder = snapshotFolder(dir, CLUSTER, 'main');
    for (const d of [path.join(dir, 'snapshots'), path.dirname(folder), folder])
      expect(statSync(d).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(folder, r.file)).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(folder, r.file.replace(/\.db$/, '.json'))).mode & 0o777).toBe(0o600);
  });

  it('are listed with their record, and found again by the step that took them', async () => {
    const r = await keep('events', '2024-01-01T00:00:00.000Z');
    const [listed] = await listSnapshots(dir, CLUSTER);
    expect(listed).toEqual({ ...r, intact: true });
    expect(await findStepSnapshot(dir, CLUSTER, 'events', 'op-1', 'add:z:snapshot-etcd')).toEqual(r);
    expect(await findStepSnapshot(dir, CLUSTER, 'main', 'op-1', 'add:z:snapshot-etcd')).toBeNull();
    // A file cut short after it was verified is no longer intact, and no longer reused.
    const file = path.join(snapshotFolder(dir, CLUSTER, 'events'), r.file);
    writeFileSync(file, readFileSync(file).subarray(0, 100));
    expect((await listSnapshots(dir, CLUSTER))[0]?.intact).toBe(false);
    expect(await findStepSnapshot(dir, CLUSTER, 'events', 'op-1', 'add:z:snapshot-etcd')).toBeNull();
  });

  it('are pruned to the newest N of each etcd cluster, with partial files left by a crash', async () => {
    for (const s of ['01', '02', '03']) await keep('main', `2024-01-01T00:00:${s}.000Z`, `${s}:snapshot-etcd`);
    await keep('events', '2024-01-01T00:00:01.000Z');
    writeFileSync(path.join(snapshotFolder(dir, CLUSTER, 'main'), 'x.db.partial'), 'half');
    const deleted = await pruneSnapshots(dir, CLUSTER, 2);
    expect(deleted.map((r) => r.takenAt)).toEqual(['2024-01-01T00:00:01.000Z']);
    const left = await listSnapshots(dir, CLUSTER);
    expect(left.map((r) => `${r.etcdCluster} ${r.takenAt.slice(17, 19)}`)).toEqual(['main 03', 'main 02', 'events 01']);
    expect(left.every((r) => r.intact)).toBe(true);
    expect(readdirNames(snapshotFolder(dir, CLUSTER, 'main')).filter((n) => n.endsWith('.partial'))).toEqual([]);
  });

  it('fail as a storage problem when the data dir cannot hold them', async () => {
    writeFileSync(path.join(dir, 'snapshots'), 'not a folder');
    const err = await writeSnapshotFile(dir, CLUSTER, 'main', chunksOf(snapshotBytes(1))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupGateError);
    expect((err as BackupGateError).reason).toBe('storage-failed');
  });

  it('leave nothing behind when the stream fails', async () => {
    async function* broken(): AsyncIterable<Uint8Array> {
      yield Buffer.alloc(4096);
      throw new Error('stream reset');
    }
    await expect(writeSnapshotFile(dir, CLUSTER, 'main', broken())).rejects.toThrow('stream reset');
    expect(readdirNames(snapshotFolder(dir, CLUSTER, 'main'))).toEqual([]);
  });

  it('refuse a cluster id that is not one (no path tricks)', () => {
    expect(() => snapshotFolder(dir, '../../etc', 'main')).toThrow(/not a cluster id/);
  });
});

function readdirNames(folder: string): string[] {
  return readdirSync(folder);
}
