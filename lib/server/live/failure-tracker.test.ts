import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { diagnoseCluster } from '@/lib/core/failure';
import { buildTopology, prodSpec } from '@/lib/core/testing/topology-builder';
import { FailureTracker } from './failure-tracker';

const C = 'prod-master-c02';
const killed = diagnoseCluster(
  buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', main: 'refused' }, { zone: 'd' }] })),
);
const healthy = diagnoseCluster(buildTopology(prodSpec()));
const at = (s: number) => new Date(Date.UTC(2026, 0, 10, 12, 0, 0) + s * 1000).toISOString();

describe('FailureTracker', () => {
  it('keeps the first time across observations of one cluster, and per cluster', async () => {
    const tracker = new FailureTracker();
    await tracker.observe('prod', killed, at(0));
    expect((await tracker.observe('prod', killed, at(5)))[C]?.['etcd-unreachable']).toBe(at(0));
    expect((await tracker.observe('other', killed, at(5)))[C]?.['etcd-unreachable']).toBe(at(5));
  });

  it('starts again after a gap with no observation (nobody saw whether it cleared in between)', async () => {
    const tracker = new FailureTracker({ maxGapMs: 60_000 });
    await tracker.observe('prod', killed, at(0));
    expect((await tracker.observe('prod', killed, at(30)))[C]?.['etcd-unreachable']).toBe(at(0));
    expect((await tracker.observe('prod', killed, at(120)))[C]?.['etcd-unreachable']).toBe(at(120));
  });

  it('an observation that finishes late does not move the state back', async () => {
    const tracker = new FailureTracker();
    await tracker.observe('prod', killed, at(10));
    // Older than the last one: answered from the current state, not stored.
    expect(await tracker.observe('prod', healthy, at(9))).toEqual({});
    expect((await tracker.observe('prod', killed, at(11)))[C]?.['etcd-unreachable']).toBe(at(10));
  });
});

describe('FailureTracker with a store (a dashboard restart)', () => {
  let dir: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'quorum-failure-since-'));
    store = await openSqliteStore(dir);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The same store file opened again, and a new tracker on it: what a restarted server has. */
  async function restart(): Promise<FailureTracker> {
    await store.close();
    store = await openSqliteStore(dir);
    const reopened = store;
    return new FailureTracker({ store: () => reopened, maxGapMs: 60_000 });
  }

  it('keeps the first time of a failure still there after a restart', async () => {
    const before = new FailureTracker({ store: () => store });
    await before.observe('prod', killed, at(0));
    await before.observe('prod', killed, at(1));
    const after = await restart();
    expect((await after.observe('prod', killed, at(20)))[C]?.['etcd-unreachable']).toBe(at(0));
    expect((await after.observe('other', killed, at(20)))[C]?.['etcd-unreachable']).toBe(at(20));
  });

  it('keeps it across a long failure, whose time is saved again while it lasts', async () => {
    const before = new FailureTracker({ store: () => store, maxGapMs: 60_000 });
    // Observed every 5 s for 3 minutes: what was saved at 0 s alone would be too old to continue at 200 s.
    for (let s = 0; s <= 180; s += 5) await before.observe('prod', killed, at(s));
    const after = await restart();
    expect((await after.observe('prod', killed, at(200)))[C]?.['etcd-unreachable']).toBe(at(0));
  });

  it('starts again when the dashboard was down longer than the gap', async () => {
    const before = new FailureTracker({ store: () => store, maxGapMs: 60_000 });
    await before.observe('prod', killed, at(0));
    const after = await restart();
    expect((await after.observe('prod', killed, at(90)))[C]?.['etcd-unreachable']).toBe(at(90));
  });

  it('does not bring back a failure that cleared before the restart', async () => {
    const before = new FailureTracker({ store: () => store });
    await before.observe('prod', killed, at(0));
    await before.observe('prod', healthy, at(5));
    const after = await restart();
    // It failed again: since now, not since the failure that cleared.
    expect((await after.observe('prod', killed, at(20)))[C]?.['etcd-unreachable']).toBe(at(20));
  });

  it('saves a change at once and an unchanged state at most every 15 s', async () => {
    const before = new FailureTracker({ store: () => store });
    await before.observe('prod', killed, at(0));
    await before.observe('prod', killed, at(0.5));
    await before.observe('prod', killed, at(14));
    expect((await store.failureSince('prod'))?.at).toBe(at(0));
    await before.observe('prod', killed, at(15));
    expect((await store.failureSince('prod'))?.at).toBe(at(15));
    await before.observe('prod', healthy, at(16));
    expect(await store.failureSince('prod')).toEqual({ at: at(16), since: {} });
  });

  it('observes in memory when the store cannot be opened', async () => {
    const tracker = new FailureTracker({
      store: () => {
        throw new Error('QUORUM_DATA_DIR is not writable');
      },
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await tracker.observe('prod', killed, at(0));
      expect((await tracker.observe('prod', killed, at(20)))[C]?.['etcd-unreachable']).toBe(at(0));
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('QUORUM_DATA_DIR is not writable'));
    } finally {
      warn.mockRestore();
    }
  });
});
