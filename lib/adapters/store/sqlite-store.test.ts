import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logLine, type LogSaid } from '@/lib/core/operation-log';
import { isOperationInProgress, OperationInProgress, type NewOperation } from '@/lib/ports/store';
import { migrations } from './schema';
import { openSqliteStore, SqliteStore, STORE_FILE_NAME } from './sqlite-store';

let dir: string;
const opened: SqliteStore[] = [];

async function open(): Promise<SqliteStore> {
  const store = await openSqliteStore(dir);
  opened.push(store);
  return store;
}

function newOp(clusterId: string, over: Partial<NewOperation> = {}): NewOperation {
  return {
    clusterId,
    kind: 'add-replica',
    intent: { kind: 'add-replica', zone: 'europe-west1-c', nested: { list: [1, 'two', null, true] } },
    plan: {
      steps: [
        { id: 'pick-name', kind: 'pick-name', title: 'Pick the name', params: { prefix: 'kubernetes-master' } },
        {
          id: 'member-add',
          kind: 'member-add',
          title: 'Add learner',
          params: { cluster: 'main', learner: true, port: 2380 },
        },
      ],
      rollback: ['member-add'],
    },
    actor: 'alice@example.com',
    ...over,
  };
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'quorum-store-'));
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteStore', () => {
  it('keeps its file and its WAL readable by the owner only, also when the file existed with a wider mode', async () => {
    const file = path.join(dir, STORE_FILE_NAME);
    writeFileSync(file, '');
    chmodSync(file, 0o644);
    const store = await open();
    await store.createOperation(newOp('c1'));
    for (const f of [file, `${file}-wal`]) expect((statSync(f).mode & 0o777).toString(8)).toBe('600');
  });

  it('runs its migrations once, however often the file is opened', async () => {
    const first = await open();
    const op = await first.createOperation(newOp('p/r/kubernetes-master'));
    await first.close();
    opened.splice(0);
    await (await open()).close();
    opened.splice(0);
    const third = await open();
    expect((await third.getOperation(op.id))?.id).toBe(op.id);

    const raw = new Database(path.join(dir, STORE_FILE_NAME), { readonly: true });
    try {
      expect(raw.prepare('select name from kysely_migration order by name').all()).toEqual([
        { name: '0001-journal' },
        { name: '0002-operation-secrets' },
        { name: '0003-audit-source-append-only' },
        { name: '0004-ssh-host-keys' },
        { name: '0005-operation-source' },
        { name: '0006-anonymous-refusal-counts' },
        { name: '0007-alerts' },
        { name: '0008-cluster-timeline' },
        { name: '0009-failure-since' },
        { name: '0010-log-said' },
        { name: '0011-summary-said' },
      ]);
      // WAL is a property of the file, so a second connection sees it.
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  it('gives a cluster lock to one of two concurrent creates and names the holder to the other', async () => {
    const store = await open();
    const results = await Promise.allSettled([
      store.createOperation(newOp('p/r/a')),
      store.createOperation(newOp('p/r/a')),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const holder = won[0]?.status === 'fulfilled' ? won[0].value : null;
    const reason: unknown = lost[0]?.status === 'rejected' ? lost[0].reason : null;
    expect(isOperationInProgress(reason)).toBe(true);
    if (!(reason instanceof OperationInProgress) || !holder) throw new Error('unreachable');
    expect(reason.code).toBe('OperationInProgress');
    expect(reason.operationId).toBe(holder.id);
    expect(reason.message).toContain(holder.id);
    expect(await store.lockHolder('p/r/a')).toBe(holder.id);
    // The loser left nothing behind.
    expect(await store.listOperations('p/r/a')).toHaveLength(1);
    // Another cluster is not blocked.
    await expect(store.createOperation(newOp('p/r/b'))).resolves.toMatchObject({ status: 'pending' });
  });

  it('keeps the lock through cancelling and releases it when the operation ends', async () => {
    const store = await open();
    const op = await store.createOperation(newOp('p/r/a'));
    await store.markOperationRunning(op.id);
    expect(await store.cancelRequested(op.id)).toBe(false);
    expect((await store.requestCancel(op.id))?.status).toBe('cancelling');
    expect(await store.cancelRequested(op.id)).toBe(true);
    expect(await store.cancelRequested('no-such-operation')).toBe(false);
    await expect(store.createOperation(newOp('p/r/a'))).rejects.toBeInstanceOf(OperationInProgress);

    const ended = await store.finishOperation(op.id, 'cancelled', { summary: 'Cancelled before any step.' });
    expect(ended).toMatchObject({ status: 'cancelled', summary: 'Cancelled before any step.', cancelRequested: true });
    expect(ended.endedAt).not.toBeNull();
    expect(await store.lockHolder('p/r/a')).toBeNull();
    // The outcome's audit entry is written with the end, not after it.
    expect(await store.listAudit({ operationId: op.id })).toMatchObject([
      {
        actor: 'alice@example.com',
        action: 'operation.add-replica',
        outcome: 'cancelled',
        clusterId: 'p/r/a',
        detail: { summary: 'Cancelled before any step.', error: null },
      },
    ]);
    // A terminal operation is not reopened by a late cancel.
    expect((await store.requestCancel(op.id))?.status).toBe('cancelled');
    const next = await store.createOperation(newOp('p/r/a'));
    expect(await store.lockHolder('p/r/a')).toBe(next.id);
    expect((await store.listUnfinishedOperations()).map((o) => o.id)).toEqual([next.id]);
  });

  it('reads several operations in one call, leaving out unknown ids', async () => {
    const store = await open();
    const a = await store.createOperation(newOp('p/r/a'));
    const b = await store.createOperation(newOp('p/r/b'));
    expect((await store.getOperations([b.id, 'nope', a.id, b.id])).map((o) => o.id).sort()).toEqual(
      [a.id, b.id].sort(),
    );
    expect(await store.getOperations([])).toEqual([]);
    expect((await store.getOperations([a.id]))[0]).toEqual(await store.getOperation(a.id));
  });

  it('round-trips intent, the whole plan, step detail and progress as JSON', async () => {
    const store = await open();
    const input = newOp('p/r/a', {
      plan: { ...newOp('p/r/a').plan, summary: 'Add a replica in c', before: { tolerates: 0 } } as NewOperation['plan'],
    });
    const op = await store.createOperation(input);
    const read = await store.getOperation(op.id);
    expect(read?.intent).toEqual(input.intent);
    expect(read?.plan).toEqual(JSON.parse(JSON.stringify(input.plan)));
    expect(read?.plan.rollback).toEqual(['member-add']);

    await store.markStepRunning(op.id, 0);
    await store.setStepProgress(op.id, 0, { fraction: 0.25, etaSeconds: 90, message: 'learner at 25%' });
    let steps = await store.steps(op.id);
    expect(steps.map((s) => [s.stepId, s.status])).toEqual([
      ['pick-name', 'running'],
      ['member-add', 'pending'],
    ]);
    expect(steps[0]?.progress).toEqual({ fraction: 0.25, etaSeconds: 90, message: 'learner at 25%' });
    expect(steps[0]?.startedAt).not.toBeNull();

    await store.markStepDone(op.id, 0, { name: 'kubernetes-master-x1', ips: ['10.0.0.2'], learner: false });
    await store.markStepFailed(op.id, 1, 'etcdserver: too many learner members');
    steps = await store.steps(op.id);
    expect(steps[0]).toMatchObject({
      status: 'done',
      detail: { name: 'kubernetes-master-x1', ips: ['10.0.0.2'], learner: false },
    });
    expect(steps[1]).toMatchObject({ status: 'failed', error: 'etcdserver: too many learner members' });
    await expect(store.setStepProgress(op.id, 0, { fraction: 2 })).rejects.toThrow();
  });

  it('returns logs in order and only the new ones after an id', async () => {
    const store = await open();
    const op = await store.createOperation(newOp('p/r/a'));
    const a = await store.appendLog(op.id, 'info', 'started');
    await store.appendLog(op.id, 'warn', 'slow');
    await store.appendLog(op.id, 'error', 'broke');
    expect((await store.logs(op.id)).map((l) => l.message)).toEqual(['started', 'slow', 'broke']);
    expect((await store.logs(op.id, a.id)).map((l) => [l.level, l.message])).toEqual([
      ['warn', 'slow'],
      ['error', 'broke'],
    ]);
  });

  it("keeps a line's sentence by key and params, and refuses one this build does not know", async () => {
    const store = await open();
    const op = await store.createOperation(newOp('p/r/a'));
    const line = logLine('voter', { name: 'prod-master-ujm', cluster: 'main' });
    await store.appendLog(op.id, 'info', `Promote: ${line.text}`, { ...line.said, step: 4 });
    await store.appendLog(op.id, 'info', 'an older line');
    expect((await store.logs(op.id)).map((l) => [l.message, l.said])).toEqual([
      ['Promote: prod-master-ujm is a voter in etcd main', { ...line.said, step: 4 }],
      ['an older line', null],
    ]);
    const unknown = { key: 'noSuchSentence', params: {} } as unknown as LogSaid;
    await expect(store.appendLog(op.id, 'info', 'x', unknown)).rejects.toThrow();
    expect(await store.logs(op.id)).toHaveLength(2);
  });

  it('filters the audit log by cluster, operation, actor, outcome and time', async () => {
    const store = await open();
    const op = await store.createOperation(newOp('p/r/a'));
    await store.addAudit({
      actor: 'alice',
      action: 'operation.add-replica',
      clusterId: 'p/r/a',
      operationId: op.id,
      outcome: 'started',
    });
    await store.addAudit({
      actor: 'bob',
      action: 'operation.remove-replica',
      clusterId: 'p/r/b',
      outcome: 'refused',
      detail: { code: 'QuorumAtRisk' },
    });
    await store.addAudit({
      actor: 'alice',
      action: 'operation.add-replica',
      clusterId: 'p/r/a',
      operationId: op.id,
      outcome: 'succeeded',
    });

    expect((await store.listAudit()).map((e) => e.outcome)).toEqual(['succeeded', 'refused', 'started']);
    expect((await store.listAudit({ clusterId: 'p/r/a' })).map((e) => e.outcome)).toEqual(['succeeded', 'started']);
    expect((await store.listAudit({ operationId: op.id, outcome: 'started' })).map((e) => e.actor)).toEqual(['alice']);
    const refused = await store.listAudit({ actor: 'bob' });
    expect(refused).toMatchObject([{ outcome: 'refused', operationId: null, detail: { code: 'QuorumAtRisk' } }]);
    expect(await store.listAudit({ action: 'operation.add-replica' }, 1)).toHaveLength(1);
    expect(await store.listAudit({ since: '2999-01-01T00:00:00.000Z' })).toEqual([]);
  });

  it('records where an audit entry came from, and null where nothing says', async () => {
    const store = await open();
    const op = await store.createOperation(newOp('p/r/a'));
    const refused = await store.addAudit({
      actor: 'viewer@example.com',
      action: 'operation.add-replica',
      clusterId: 'p/r/a',
      outcome: 'refused',
      source: '203.0.113.7',
    });
    expect(refused).toMatchObject({ source: '203.0.113.7', operationId: null, detail: null });
    expect(
      (await store.addAudit({ actor: 'runner', action: 'operation.add-replica', outcome: 'started' })).source,
    ).toBeNull();
    await store.finishOperation(op.id, 'succeeded');
    expect((await store.listAudit()).map((e) => [e.actor, e.source])).toEqual([
      ['alice@example.com', null],
      ['runner', null],
      ['viewer@example.com', '203.0.113.7'],
    ]);
  });

  it('an operation asked from an address: its started, succeeded and failed rows carry its actor and that source (issue 12, finding 6)', async () => {
    const store = await open();
    const op = await store.createOperation(newOp('p/r/a', { source: '198.51.100.9' }));
    expect((await store.getOperation(op.id))?.source).toBe('198.51.100.9');
    // The runner writes the started row without a source, as it has no request: the store takes the operation's.
    await store.addAudit({
      actor: op.actor,
      action: 'operation.add-replica',
      clusterId: 'p/r/a',
      operationId: op.id,
      outcome: 'started',
      detail: { resumed: false },
    });
    // A row about the operation by someone else (a cancel) does not borrow the operation's source.
    await store.addAudit({
      actor: 'bob@example.com',
      action: 'operation.add-replica.cancel',
      clusterId: 'p/r/a',
      operationId: op.id,
      outcome: 'started',
    });
    await store.finishOperation(op.id, 'succeeded');
    const failedOp = await store.createOperation(newOp('p/r/b', { source: '2001:db8::7' }));
    await store.finishOperation(failedOp.id, 'failed', { error: 'boom' });
    expect((await store.listAudit()).map((e) => [e.action, e.outcome, e.actor, e.source])).toEqual([
      ['operation.add-replica', 'failed', 'alice@example.com', '2001:db8::7'],
      ['operation.add-replica', 'succeeded', 'alice@example.com', '198.51.100.9'],
      ['operation.add-replica.cancel', 'started', 'bob@example.com', null],
      ['operation.add-replica', 'started', 'alice@example.com', '198.51.100.9'],
    ]);
  });

  it('filters the audit log by action prefix, actor, cluster, outcome, time window and free text', async () => {
    let now = new Date('2026-11-26T04:00:00.000Z');
    const store = await new SqliteStore(path.join(dir, STORE_FILE_NAME), { clock: { now: () => now } }).open();
    opened.push(store);
    const at = async (iso: string, entry: Parameters<SqliteStore['addAudit']>[0]) => {
      now = new Date(iso);
      return store.addAudit(entry);
    };
    await at('2026-11-26T04:00:00.000Z', {
      actor: 'ops@example.com',
      action: 'operation.add-replica',
      clusterId: 'p~r~prod',
      outcome: 'succeeded',
      detail: { summary: 'Added prod-master-abc' },
    });
    await at('2026-11-26T04:10:00.000Z', {
      actor: 'viewer@example.com',
      action: 'operation.remove-replica',
      clusterId: 'p~r~prod',
      outcome: 'refused',
      detail: { code: 'Forbidden', message: 'Viewers change nothing' },
    });
    await at('2026-11-26T04:20:00.000Z', {
      actor: 'ops@example.com',
      action: 'chaos.kill-etcd',
      clusterId: 'p~r~staging',
      outcome: 'succeeded',
      detail: { zone: 'us-central1-b', name: 'staging-master' },
    });
    await at('2026-11-26T04:30:00.000Z', {
      actor: 'admin@example.com',
      action: 'operations_x',
      outcome: 'failed',
      detail: { error: '100% of 3_replicas' },
    });

    const actions = async (filter: Parameters<SqliteStore['listAudit']>[0]) =>
      (await store.listAudit(filter)).map((e) => e.action);
    expect(await actions({ action: 'operation.' })).toEqual(['operation.remove-replica', 'operation.add-replica']);
    expect(await actions({ action: 'operation.add-replica' })).toEqual(['operation.add-replica']);
    // A prefix compared exactly: neither case folded nor `_` a wildcard.
    expect(await actions({ action: 'Operation.' })).toEqual([]);
    expect(await actions({ action: 'operation_' })).toEqual([]);
    expect(await actions({ action: 'chaos' })).toEqual(['chaos.kill-etcd']);
    expect(await actions({ actor: 'ops@example.com' })).toEqual(['chaos.kill-etcd', 'operation.add-replica']);
    expect(await actions({ actor: 'ops' })).toEqual([]);
    expect(await actions({ clusterId: 'p~r~prod', outcome: 'refused' })).toEqual(['operation.remove-replica']);
    expect(await actions({ since: '2026-11-26T04:10:00.000Z', until: '2026-11-26T04:30:00.000Z' })).toEqual([
      'chaos.kill-etcd',
      'operation.remove-replica',
    ]);
    // Free text: case-insensitive over action, actor and detail; % and _ are literal.
    expect(await actions({ q: 'VIEWERS change' })).toEqual(['operation.remove-replica']);
    expect(await actions({ q: 'admin@' })).toEqual(['operations_x']);
    expect(await actions({ q: 'kill-etcd' })).toEqual(['chaos.kill-etcd']);
    expect(await actions({ q: 'staging-master' })).toEqual(['chaos.kill-etcd']);
    expect(await actions({ q: '100%' })).toEqual(['operations_x']);
    expect(await actions({ q: '3_r' })).toEqual(['operations_x']);
    expect(await actions({ q: '%' })).toEqual(['operations_x']);
    expect(await actions({ q: 'p_r' })).toEqual([]);
    expect(await actions({ q: 'ops@example.com', action: 'operation.', outcome: 'succeeded' })).toEqual([
      'operation.add-replica',
    ]);
  });

  it('pages the audit log newest first with a cursor, without gaps or repeats', async () => {
    const store = await open();
    for (let i = 0; i < 7; i++)
      await store.addAudit({ actor: i % 2 === 0 ? 'even' : 'odd', action: `operation.n${i}`, outcome: 'succeeded' });
    const seen: string[] = [];
    let beforeId: number | undefined;
    for (;;) {
      const page = await store.listAudit({ actor: 'even', ...(beforeId === undefined ? {} : { beforeId }) }, 2);
      seen.push(...page.map((e) => e.action));
      const last = page.at(-1);
      if (page.length < 2 || !last) break;
      beforeId = last.id;
    }
    expect(seen).toEqual(['operation.n6', 'operation.n4', 'operation.n2', 'operation.n0']);
    expect(await store.listAudit({}, 0)).toEqual([]);
    const newest = (await store.listAudit({}, 1))[0];
    expect(newest?.action).toBe('operation.n6');
    expect((await store.listAudit({ beforeId: 1 })).length).toBe(0);
  });

  it('refuses to change or delete an audit entry, in SQLite itself', async () => {
    const store = await open();
    const entry = await store.addAudit({
      actor: 'ops@example.com',
      action: 'operation.add-replica',
      outcome: 'refused',
      detail: { code: 'QuorumAtRisk', message: 'no' },
    });
    const raw = new Database(path.join(dir, STORE_FILE_NAME));
    try {
      expect(() => raw.prepare("update audit set outcome = 'succeeded' where id = ?").run(entry.id)).toThrow(
        'audit is append-only',
      );
      expect(() => raw.prepare('update audit set source = ? where id = ?').run('10.0.0.1', entry.id)).toThrow(
        'audit is append-only',
      );
      expect(() => raw.prepare('delete from audit where id = ?').run(entry.id)).toThrow('audit is append-only');
      expect(() => raw.prepare('delete from audit').run()).toThrow('audit is append-only');
      // An insert or replace of an existing id is a delete followed by an insert: refused too.
      expect(() =>
        raw
          .prepare(
            "insert or replace into audit (id, at, actor, action, outcome, detail) values (?, 'x', 'x', 'x', 'succeeded', 'null')",
          )
          .run(entry.id),
      ).toThrow('audit is append-only');
    } finally {
      raw.close();
    }
    expect(await store.listAudit()).toEqual([entry]);
    // Adding is still possible.
    await store.addAudit({ actor: 'ops@example.com', action: 'operation.add-replica', outcome: 'started' });
    expect(await store.listAudit()).toHaveLength(2);
  });

  it('gives entries written before the source column a null source, and protects them too', async () => {
    const file = path.join(dir, STORE_FILE_NAME);
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0003'));
    expect(Object.keys(before)).toEqual(['0001-journal', '0002-operation-secrets']);
    const result = await new Migrator({ db: old, provider: { getMigrations: async () => before } }).migrateToLatest();
    expect(result.error).toBeUndefined();
    await sql`insert into audit (at, actor, action, outcome, detail) values ('2026-11-01T00:00:00.000Z', 'local-operator', 'chaos.freeze', 'succeeded', '{}')`.execute(
      old,
    );
    await old.destroy();

    const store = await open();
    expect(await store.listAudit()).toMatchObject([{ actor: 'local-operator', action: 'chaos.freeze', source: null }]);
    const raw = new Database(file);
    try {
      expect(() => raw.prepare('delete from audit').run()).toThrow('audit is append-only');
    } finally {
      raw.close();
    }
  });

  it("keeps an operation's first secret for a key, returns it to every later writer, and deletes them on request", async () => {
    const store = await open();
    const op = await store.createOperation(newOp('p/r/new-master'));
    expect(await store.operationSecret(op.id, 'pki')).toBeNull();
    expect(await store.putOperationSecretOnce(op.id, 'pki', 'first')).toBe('first');
    // A step run again after a crash must get what its first run stored, not a fresh secret.
    expect(await store.putOperationSecretOnce(op.id, 'pki', 'second')).toBe('first');
    expect(await store.operationSecret(op.id, 'pki')).toBe('first');
    // Secrets appear in no journal the pages read.
    const journal = JSON.stringify([
      await store.getOperation(op.id),
      await store.steps(op.id),
      await store.logs(op.id),
      await store.listAudit(),
    ]);
    expect(journal).not.toContain('first');
    await store.deleteOperationSecrets(op.id);
    expect(await store.operationSecret(op.id, 'pki')).toBeNull();
    await store.deleteOperationSecrets(op.id);
  });

  it("deletes an operation's secrets when it ends, however it ends", async () => {
    const store = await open();
    for (const status of ['succeeded', 'failed', 'cancelled'] as const) {
      const op = await store.createOperation(newOp(`p/r/${status}-master`));
      await store.putOperationSecretOnce(op.id, 'pki', 'key material');
      await store.finishOperation(op.id, status);
      expect(await store.operationSecret(op.id, 'pki')).toBeNull();
    }
  });

  it('works in memory for unit tests', async () => {
    const store = await new SqliteStore(':memory:').open();
    try {
      const op = await store.createOperation(newOp('p/r/a'));
      expect((await store.steps(op.id)).map((s) => s.status)).toEqual(['pending', 'pending']);
    } finally {
      await store.close();
    }
  });

  it('pins the first host key of an instance id, keeps it across reopen, and forgets it only when asked', async () => {
    const first = await open();
    const pin = {
      instanceId: '4150912345678901234',
      instance: 'p/europe-west1-b/kubernetes-master',
      keyType: 'ssh-ed25519',
      key: 'AAAAC3NzaC1lZDI1NTE5AAAAIFirst',
      fingerprint: 'SHA256:first',
      source: 'first-use' as const,
    };
    expect(await first.hostKeyPin(pin.instanceId)).toBeNull();
    expect(await first.pinHostKeyOnce(pin)).toMatchObject(pin);
    // A second key for the same id (another process racing, or a changed host) never replaces the first.
    const kept = await first.pinHostKeyOnce({
      ...pin,
      key: 'AAAAC3NzaC1lZDI1NTE5AAAAISecond',
      fingerprint: 'SHA256:second',
      source: 'guest-attributes',
    });
    expect(kept).toMatchObject(pin);
    await first.close();
    opened.splice(0);

    const second = await open();
    expect(await second.hostKeyPin(pin.instanceId)).toMatchObject({ fingerprint: 'SHA256:first', source: 'first-use' });
    expect(await second.hostKeyPin('another-id')).toBeNull();
    expect(await second.forgetHostKeyPin(pin.instanceId)).toBe(true);
    expect(await second.forgetHostKeyPin(pin.instanceId)).toBe(false);
    expect(await second.hostKeyPin(pin.instanceId)).toBeNull();
  });

  it('replaces a pin only while it is still the one expected (an admin trusting a changed key)', async () => {
    const store = await open();
    const pin = {
      instanceId: '77',
      instance: 'p/z/m',
      keyType: 'ssh-ed25519',
      key: 'AAAAold',
      fingerprint: 'SHA256:old',
      source: 'first-use' as const,
    };
    const next = { ...pin, key: 'AAAAnew', fingerprint: 'SHA256:new', source: 'admin' as const };
    // Nothing pinned: nothing to replace, and nothing is pinned by it.
    expect(await store.replaceHostKeyPin('SHA256:old', next)).toEqual({ replaced: false, pin: null });
    await store.pinHostKeyOnce(pin);
    // Another expectation than the pin held: unchanged.
    expect(await store.replaceHostKeyPin('SHA256:other', next)).toMatchObject({
      replaced: false,
      pin: { fingerprint: 'SHA256:old', source: 'first-use' },
    });
    expect(await store.replaceHostKeyPin('SHA256:old', next)).toMatchObject({
      replaced: true,
      pin: { fingerprint: 'SHA256:new', key: 'AAAAnew', source: 'admin' },
    });
    // The same request again (a double click, a second admin) finds the new pin and changes nothing.
    expect(
      await store.replaceHostKeyPin('SHA256:old', { ...next, key: 'AAAAthird', fingerprint: 'SHA256:third' }),
    ).toMatchObject({ replaced: false, pin: { fingerprint: 'SHA256:new' } });
    expect(await store.hostKeyPin('77')).toMatchObject({ fingerprint: 'SHA256:new', source: 'admin' });
  });
});
