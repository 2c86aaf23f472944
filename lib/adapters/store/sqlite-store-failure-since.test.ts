import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FailureSince } from '@/lib/core/failure';
import { openSqliteStore, type SqliteStore } from './sqlite-store';

// "Since" of each failure per cluster, kept so a restarted dashboard does not restart it (FailureTracker).
let dir: string;
let store: SqliteStore;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'quorum-store-failure-since-'));
  store = await openSqliteStore(dir);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = (s: number) => new Date(Date.parse('2026-01-10T03:00:00.000Z') + s * 1000).toISOString();

describe('failure since', () => {
  it('keeps the latest saved state per cluster, across a reopen', async () => {
    expect(await store.failureSince('p~r~a')).toBeNull();
    await store.saveFailureSince('p~r~a', at(0), { 'a-c02': { 'etcd-unreachable': at(0) } });
    await store.saveFailureSince('p~r~a', at(15), {
      'a-c02': { 'etcd-unreachable': at(0), 'apiserver-not-ready': at(15) },
    });
    await store.saveFailureSince('p~r~b', at(15), { 'zone:europe-west1-b': { 'zone-unreachable': at(3) } });
    await store.close();
    store = await openSqliteStore(dir);
    expect(await store.failureSince('p~r~a')).toEqual({
      at: at(15),
      since: { 'a-c02': { 'etcd-unreachable': at(0), 'apiserver-not-ready': at(15) } },
    });
    expect(await store.failureSince('p~r~b')).toEqual({
      at: at(15),
      since: { 'zone:europe-west1-b': { 'zone-unreachable': at(3) } },
    });
  });

  it('keeps a cleared state, and ignores one saved from an older observation than the one kept', async () => {
    await store.saveFailureSince('p~r~a', at(0), { 'a-c02': { 'etcd-frozen': at(0) } });
    await store.saveFailureSince('p~r~a', at(20), {});
    // An observation that finished after a newer one was saved changes nothing.
    await store.saveFailureSince('p~r~a', at(10), { 'a-c02': { 'etcd-frozen': at(0) } });
    expect(await store.failureSince('p~r~a')).toEqual({ at: at(20), since: {} });
  });

  it('leaves out a failure class this version does not know (written by another version)', async () => {
    const fromAnotherVersion = { 'a-c02': { 'etcd-frozen': at(0), 'disk-full': at(1) } } as FailureSince;
    await store.saveFailureSince('p~r~a', at(5), fromAnotherVersion);
    expect(await store.failureSince('p~r~a')).toEqual({ at: at(5), since: { 'a-c02': { 'etcd-frozen': at(0) } } });
  });
});
