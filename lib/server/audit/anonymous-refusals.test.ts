import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { AnonymousRefusalFold, FOLDED_ACTION } from './anonymous-refusals';

// Against the real store file: the counts live there, so a new process (a restart, a crash) finds them.
let dir: string;
const stores: SqliteStore[] = [];

async function open(): Promise<SqliteStore> {
  const store = await openSqliteStore(dir);
  stores.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'quorum-refusals-'));
});

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2026-12-02T14:00:00.000Z');

async function fold(start: number) {
  const store = await open();
  let now = start;
  const f = new AnonymousRefusalFold(store, { now: () => now, timers: false });
  const rows = async () => (await store.listAudit({}, 10_000)).reverse();
  return { f, store, rows, at: (ms: number) => (now = ms) };
}

describe('AnonymousRefusalFold', () => {
  it('500 refusals from one source in a minute make two rows: the first at once, then one with the count of the other 499', async () => {
    const { f, rows, at } = await fold(T0);
    for (let i = 0; i < 500; i++) {
      at(T0 + i * 100);
      await f.record({
        source: '198.51.100.4',
        action: i % 2 === 0 ? 'action.startOperation' : 'action.applyChaos',
        code: 'Unauthenticated',
        message: 'Sign in first.',
      });
    }
    expect(await rows()).toHaveLength(1);
    expect((await rows())[0]).toMatchObject({
      actor: 'anonymous',
      source: '198.51.100.4',
      action: 'action.startOperation',
      outcome: 'refused',
    });
    // Still inside the minute: nothing to close.
    expect(await f.closeEndedMinutes()).toBe(0);
    at(T0 + 60_000);
    expect(await f.closeEndedMinutes()).toBe(1);
    const all = await rows();
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({
      actor: 'anonymous',
      source: '198.51.100.4',
      action: FOLDED_ACTION,
      outcome: 'refused',
      detail: {
        count: 499,
        minute: '2026-12-02T14:00:00.000Z',
        actions: { 'action.startOperation': 249, 'action.applyChaos': 250 },
      },
    });
    // Closed once: closing again writes nothing.
    expect(await f.closeEndedMinutes()).toBe(0);
  });

  it('keeps sources and minutes apart', async () => {
    const { f, rows, at } = await fold(T0);
    const r = (source: string | null) =>
      f.record({ source, action: 'action.x', code: 'Unauthenticated', message: 'm' });
    await r('198.51.100.4');
    await r('198.51.100.4');
    await r('203.0.113.9');
    await r(null);
    await r(null);
    at(T0 + 61_000);
    await r('198.51.100.4');
    expect(await f.closeEndedMinutes()).toBe(2);
    expect((await rows()).map((e) => [e.source, e.action, (e.detail as { count?: number }).count ?? 1])).toEqual([
      ['198.51.100.4', 'action.x', 1],
      ['203.0.113.9', 'action.x', 1],
      [null, 'action.x', 1],
      ['198.51.100.4', 'action.x', 1],
      [null, FOLDED_ACTION, 1],
      ['198.51.100.4', FOLDED_ACTION, 1],
    ]);
  });

  it('writes nothing more for a source that knocked once', async () => {
    const { f, rows, at } = await fold(T0);
    await f.record({ source: null, action: 'action.x', code: 'Unauthenticated', message: 'm' });
    at(T0 + 120_000);
    expect(await f.closeEndedMinutes()).toBe(0);
    expect(await rows()).toHaveLength(1);
  });

  it('loses no count when the process stops mid-minute: the next one, on the same file, writes it', async () => {
    const first = await fold(T0);
    for (let i = 0; i < 7; i++)
      await first.f.record({
        source: '198.51.100.4',
        action: 'action.startOperation',
        code: 'Unauthenticated',
        message: 'm',
      });
    await first.store.close();
    // A new process (what a restart after a crash or a stop is), a minute later.
    const next = await fold(T0 + 90_000);
    expect(await next.f.closeEndedMinutes()).toBe(1);
    expect((await next.rows()).map((e) => [e.action, (e.detail as { count?: number }).count ?? 1])).toEqual([
      ['action.startOperation', 1],
      [FOLDED_ACTION, 6],
    ]);
  });
});
