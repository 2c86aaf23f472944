import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertState } from '@/lib/core/alerts';
import { openSqliteStore, type SqliteStore } from './sqlite-store';

// The store's part of alerts (issue 13): firing states per cluster, webhooks with their latest delivery, and
// operations counted for the metrics.
let dir: string;
let store: SqliteStore;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'quorum-store-alerts-'));
  store = await openSqliteStore(dir);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const state = (clusterId: string, key: string, over: Partial<AlertState> = {}): AlertState => ({
  clusterId,
  key,
  fingerprint: 'abcdef0123456789',
  labels: { alertname: key.split('|')[0] ?? key, severity: 'critical' },
  annotations: { summary: 'über “quoted” text' },
  startsAt: '2026-01-10T12:00:00.000Z',
  missing: 0,
  clearedAt: null,
  ...over,
});

describe('alert states', () => {
  it('replaces one cluster’s states at a time and reads them back as written, across a reopen', async () => {
    await store.replaceAlertStates('p~r~a', [
      state('p~r~a', 'A|x'),
      state('p~r~a', 'B|', { missing: 1, clearedAt: '2026-01-10T12:00:05.000Z' }),
    ]);
    await store.replaceAlertStates('p~r~b', [state('p~r~b', 'A|y')]);
    await store.replaceAlertStates('p~r~a', [
      state('p~r~a', 'B|', { missing: 1, clearedAt: '2026-01-10T12:00:05.000Z' }),
    ]);
    await store.close();
    store = await openSqliteStore(dir);
    expect(await store.alertStates('p~r~a')).toEqual([
      state('p~r~a', 'B|', { missing: 1, clearedAt: '2026-01-10T12:00:05.000Z' }),
    ]);
    expect((await store.alertStates()).map((s) => `${s.clusterId} ${s.key}`)).toEqual(['p~r~a B|', 'p~r~b A|y']);
    await store.replaceAlertStates('p~r~b', []);
    expect(await store.alertStates('p~r~b')).toEqual([]);
  });
});

describe('webhooks', () => {
  it('adds, lists oldest first, pauses, records the latest delivery and deletes', async () => {
    const a = await store.addWebhook({
      name: 'pager',
      url: 'http://127.0.0.1:9/a',
      format: 'alertmanager',
      secret: 'tok',
      enabled: true,
      createdBy: 'admin@quorum.local',
    });
    const b = await store.addWebhook({
      name: 'chat',
      url: 'https://hooks.slack.com/services/x',
      format: 'slack',
      secret: null,
      enabled: false,
      createdBy: 'admin@quorum.local',
    });
    expect((await store.listWebhooks()).map((w) => [w.name, w.format, w.secret, w.enabled, w.lastDelivery])).toEqual([
      ['pager', 'alertmanager', 'tok', true, null],
      ['chat', 'slack', null, false, null],
    ]);
    expect((await store.setWebhookEnabled(b.id, true))?.enabled).toBe(true);
    expect(await store.setWebhookEnabled('no-such-id', true)).toBeNull();
    const delivery = {
      at: '2026-01-10T12:00:00.000Z',
      ok: false,
      status: 503,
      message: 'HTTP 503',
      attempts: 4,
      test: false,
    };
    await store.recordWebhookDelivery(a.id, delivery);
    expect((await store.listWebhooks())[0]?.lastDelivery).toEqual(delivery);
    expect((await store.deleteWebhook(a.id))?.name).toBe('pager');
    expect(await store.deleteWebhook(a.id)).toBeNull();
    // A delivery finishing after its webhook was deleted changes nothing.
    await store.recordWebhookDelivery(a.id, delivery);
    expect((await store.listWebhooks()).map((w) => w.name)).toEqual(['chat']);
  });
});

describe('countOperations', () => {
  it('counts journaled operations by cluster, kind and status', async () => {
    const plan = { steps: [] };
    const one = await store.createOperation({ clusterId: 'p~r~a', kind: 'add-replica', intent: {}, plan, actor: 'x' });
    await store.finishOperation(one.id, 'succeeded');
    const two = await store.createOperation({ clusterId: 'p~r~a', kind: 'add-replica', intent: {}, plan, actor: 'x' });
    await store.finishOperation(two.id, 'failed', { error: 'boom' });
    await store.createOperation({ clusterId: 'p~r~a', kind: 'remove-replica', intent: {}, plan, actor: 'x' });
    expect(await store.countOperations()).toEqual([
      { clusterId: 'p~r~a', kind: 'add-replica', status: 'failed', count: 1 },
      { clusterId: 'p~r~a', kind: 'add-replica', status: 'succeeded', count: 1 },
      { clusterId: 'p~r~a', kind: 'remove-replica', status: 'pending', count: 1 },
    ]);
  });
});
