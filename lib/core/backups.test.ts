import { describe, expect, it } from 'vitest';
import {
  backupGateFailureOf,
  backupOverrideRefusal,
  snapshotsToPrune,
  sortSnapshots,
  type GateJournal,
  type SnapshotRecord,
} from './backups';

const record = (etcdCluster: 'main' | 'events', takenAt: string, file = `${takenAt}.db`): SnapshotRecord => ({
  version: 1,
  clusterId: 'p~r~prod-master',
  etcdCluster,
  file,
  takenAt,
  verifiedAt: takenAt,
  sizeBytes: 20_512,
  sha256: 'a'.repeat(64),
  revision: 10,
  hash: 1,
  totalKeys: 5,
  revisionBefore: 9,
  member: 'prod-master-b01',
  operationId: 'op',
  stepId: 'add:z:snapshot-etcd',
});

describe('retention', () => {
  const records = [
    record('main', '2024-01-01T00:00:01Z'),
    record('events', '2024-01-01T00:00:01Z'),
    record('main', '2024-01-01T00:00:03Z'),
    record('main', '2024-01-01T00:00:02Z'),
    record('events', '2024-01-01T00:00:02Z'),
  ];

  it.each([
    { keep: 1, pruned: ['main 2024-01-01T00:00:02Z', 'main 2024-01-01T00:00:01Z', 'events 2024-01-01T00:00:01Z'] },
    { keep: 2, pruned: ['main 2024-01-01T00:00:01Z'] },
    { keep: 3, pruned: [] },
  ])('keeps the newest $keep of each etcd cluster', ({ keep, pruned }) => {
    expect(snapshotsToPrune(records, keep).map((r) => `${r.etcdCluster} ${r.takenAt}`)).toEqual(pruned);
  });

  it('sorts main before events, newest first', () => {
    expect(sortSnapshots(records).map((r) => `${r.etcdCluster} ${r.takenAt.slice(-3)}`)).toEqual([
      'main 03Z',
      'main 02Z',
      'main 01Z',
      'events 02Z',
      'events 01Z',
    ]);
  });
});

const intent = { kind: 'add-replica', zone: 'europe-west1-b' };
const gateFailed: GateJournal = {
  id: 'op-1',
  clusterId: 'p~r~prod-master',
  status: 'failed',
  intent,
  steps: [
    { kind: 'pick-name', status: 'done', error: null },
    { kind: 'snapshot-etcd', status: 'failed', error: 'Backup gate: no verified etcd snapshot' },
    { kind: 'add-learner', status: 'skipped', error: null },
  ],
};

describe('backup gate failure', () => {
  it.each([
    { name: 'failed at the gate', op: gateFailed, failure: 'Backup gate: no verified etcd snapshot' },
    {
      name: 'failed later',
      op: {
        ...gateFailed,
        steps: [
          { kind: 'snapshot-etcd', status: 'done', error: null },
          { kind: 'add-learner', status: 'failed', error: 'x' },
        ],
      },
      failure: null,
    },
    { name: 'cancelled at the gate', op: { ...gateFailed, status: 'cancelled' }, failure: null },
    { name: 'succeeded', op: { ...gateFailed, status: 'succeeded', steps: [] }, failure: null },
  ])('$name', ({ op, failure }) => {
    expect(backupGateFailureOf(op)?.error ?? null).toBe(failure);
  });
});

describe('override of the backup gate', () => {
  const base = {
    clusterId: 'p~r~prod-master',
    intent: { zone: 'europe-west1-b', kind: 'add-replica' },
    reason: 'snapshot disk replaced tonight',
    failed: gateFailed,
    latestOperationId: 'op-1',
  };
  it.each([
    { name: 'right after the gate stopped the same change', input: base, refused: null },
    { name: 'no reason', input: { ...base, reason: '  short ' }, refused: /Say why/ },
    { name: 'unknown operation', input: { ...base, failed: null }, refused: /not found/ },
    { name: 'operation of another cluster', input: { ...base, clusterId: 'p~r~staging-master' }, refused: /not found/ },
    {
      name: 'another operation ran since',
      input: { ...base, latestOperationId: 'op-2' },
      refused: /Another operation ran/,
    },
    {
      name: 'it did not stop at the gate',
      input: { ...base, failed: { ...gateFailed, steps: [{ kind: 'add-learner', status: 'failed', error: 'x' }] } },
      refused: /did not stop at the backup gate/,
    },
    {
      name: 'a different change',
      input: { ...base, intent: { kind: 'add-replica', zone: 'europe-west1-c' } },
      refused: /different change/,
    },
  ])('$name', ({ input, refused }) => {
    const r = backupOverrideRefusal(input);
    if (refused === null) expect(r).toBeNull();
    else expect(r).toMatch(refused);
  });
});
