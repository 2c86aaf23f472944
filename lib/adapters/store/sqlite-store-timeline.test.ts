import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from './sqlite-store';

// The store's part of the cluster timeline (issue 13): one row per state, extended while it lasts, a new one after a
// gap or a change, kept 7 days, and there again after a reopen (a dashboard restart).
let dir: string;
let store: SqliteStore;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'quorum-store-timeline-'));
  store = await openSqliteStore(dir);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = (s: number) => new Date(Date.parse('2026-01-10T03:00:00.000Z') + s * 1000).toISOString();
const opts = { maxGapMs: 60_000, keepSince: '2026-01-03T03:00:00.000Z' };

describe('cluster timeline', () => {
  it('extends a state while it lasts, starts a new row on a change or after a gap, and keeps them across a reopen', async () => {
    await store.recordTimeline('p~r~a', at(0), 'healthy', opts);
    await store.recordTimeline('p~r~a', at(15), 'healthy', opts);
    await store.recordTimeline('p~r~a', at(20), 'b down', opts);
    await store.recordTimeline('p~r~b', at(20), 'other cluster', opts);
    // 2 minutes with nothing recorded (the dashboard was down), then the same state again: a new row.
    await store.recordTimeline('p~r~a', at(140), 'b down', opts);
    // An observation that finished after a newer one changes nothing.
    await store.recordTimeline('p~r~a', at(130), 'healthy', opts);
    await store.close();
    store = await openSqliteStore(dir);
    expect(await store.timeline('p~r~a', at(0))).toEqual([
      { at: at(0), until: at(15), state: 'healthy' },
      { at: at(20), until: at(20), state: 'b down' },
      { at: at(140), until: at(140), state: 'b down' },
    ]);
    expect(await store.timeline('p~r~a', at(100))).toEqual([{ at: at(140), until: at(140), state: 'b down' }]);
  });

  it('deletes what is older than the window it keeps', async () => {
    await store.recordTimeline('p~r~a', '2026-01-01T00:00:00.000Z', 'old', opts);
    await store.recordTimeline('p~r~a', at(0), 'new', opts);
    expect((await store.timeline('p~r~a', '2025-12-01T00:00:00.000Z')).map((e) => e.state)).toEqual(['new']);
  });
});
