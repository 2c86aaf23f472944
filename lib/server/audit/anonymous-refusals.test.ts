import { describe, expect, it } from 'vitest';
import type { NewAuditEntry } from '@/lib/ports/store';
import { AnonymousRefusalFold, FOLDED_ACTION } from './anonymous-refusals';

function fold(start: number) {
  const rows: NewAuditEntry[] = [];
  let now = start;
  const f = new AnonymousRefusalFold({ write: async (e) => void rows.push(e), now: () => now, timers: false });
  return { f, rows, at: (ms: number) => (now = ms) };
}

const T0 = Date.parse('2026-12-02T14:00:00.000Z');

describe('AnonymousRefusalFold', () => {
  it('500 refusals from one source in a minute make two rows: the first at once, then one with the count of the other 499', async () => {
    const { f, rows, at } = fold(T0);
    for (let i = 0; i < 500; i++) {
      at(T0 + i * 100);
      await f.record({ source: '198.51.100.4', action: i % 2 === 0 ? 'action.startOperation' : 'action.applyChaos', code: 'Unauthenticated', message: 'Sign in first.' });
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: 'anonymous', source: '198.51.100.4', action: 'action.startOperation', outcome: 'refused' });
    await f.flushAll();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({
      actor: 'anonymous',
      source: '198.51.100.4',
      action: FOLDED_ACTION,
      outcome: 'refused',
      detail: { count: 499, minute: '2026-12-02T14:00:00.000Z', actions: { 'action.startOperation': 249, 'action.applyChaos': 250 } },
    });
  });

  it('keeps sources and minutes apart: a new minute flushes the last one and writes its own first refusal', async () => {
    const { f, rows, at } = fold(T0);
    const r = (source: string) => f.record({ source, action: 'action.x', code: 'Unauthenticated', message: 'm' });
    await r('198.51.100.4');
    await r('198.51.100.4');
    await r('203.0.113.9');
    at(T0 + 61_000);
    await r('198.51.100.4');
    expect(rows.map((e) => [e.source, e.action, (e.detail as { count?: number } | undefined)?.count ?? 1])).toEqual([
      ['198.51.100.4', 'action.x', 1],
      ['203.0.113.9', 'action.x', 1],
      ['198.51.100.4', FOLDED_ACTION, 1],
      ['198.51.100.4', 'action.x', 1],
    ]);
  });

  it('writes nothing more for a source that knocked once', async () => {
    const { f, rows } = fold(T0);
    await f.record({ source: null, action: 'action.x', code: 'Unauthenticated', message: 'm' });
    await f.flushAll();
    expect(rows).toHaveLength(1);
  });

  it('flushes early when too many sources are tracked, so memory stays bounded', async () => {
    const rows: NewAuditEntry[] = [];
    const f = new AnonymousRefusalFold({ write: async (e) => void rows.push(e), now: () => T0, timers: false, maxSources: 2 });
    for (const s of ['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.3']) await f.record({ source: s, action: 'action.x', code: 'Unauthenticated', message: 'm' });
    expect(rows.map((e) => [e.source, e.action])).toEqual([
      ['10.0.0.1', 'action.x'],
      ['10.0.0.2', 'action.x'],
      ['10.0.0.1', FOLDED_ACTION],
      ['10.0.0.3', 'action.x'],
    ]);
  });
});
