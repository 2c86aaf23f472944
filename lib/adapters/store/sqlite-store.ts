import 'server-only';
import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql, type Selectable } from 'kysely';
import { z } from 'zod';
import { WEBHOOK_FORMATS, type AlertState } from '@/lib/core/alerts';
import { FAILURE_CLASSES, type FailureSince } from '@/lib/core/failure';
import { logSaidSchema, type LogSaid } from '@/lib/core/operation-log';
import { systemClock, type Clock } from '@/lib/ports/clock';
import {
  AUDIT_OUTCOMES,
  HOST_KEY_SOURCES,
  isTerminalOperationStatus,
  jsonValueSchema,
  LOG_LEVELS,
  OPERATION_STATUSES,
  OperationInProgress,
  STEP_STATUSES,
  storedPlanSchema,
  type AuditEntry,
  type AuditFilter,
  type CountedAnonymousRefusals,
  type HostKeyPin,
  type JsonValue,
  type LogEntry,
  type LogLevel,
  type NewAuditEntry,
  type NewOperation,
  type NewWebhook,
  type Operation,
  type OperationCount,
  type StepProgress,
  type StepRecord,
  type Store,
  type TerminalOperationStatus,
  type Webhook,
  type WebhookDelivery,
} from '@/lib/ports/store';
import {
  migrations,
  type AlertStatesTable,
  type AuditTable,
  type LogsTable,
  type OperationsTable,
  type SshHostKeysTable,
  type StepsTable,
  type StoreDatabase,
  type WebhooksTable,
} from './schema';

export const STORE_FILE_NAME = 'quorum.sqlite';

/** `<dataDir>/quorum.sqlite`, creating the directory. */
export function storePathIn(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return path.join(dataDir, STORE_FILE_NAME);
}

// JSON columns are parsed back with zod: the file may have been written by another version of Quorum.
function parseJsonText(text: string, ctx: z.RefinementCtx): JsonValue {
  try {
    return jsonValueSchema.parse(JSON.parse(text));
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
}
const jsonText = z.string().transform(parseJsonText);
const jsonTextAs = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx): unknown => parseJsonText(text, ctx))
    .pipe(schema);
const progressSchema = z.object({
  fraction: z.number().min(0).max(1).optional(),
  etaSeconds: z.number().min(0).optional(),
  message: z.string().optional(),
  // A sentence this build does not know (written by another version) leaves the English message.
  said: logSaidSchema.optional().catch(undefined),
});

const operationRow = z.object({
  id: z.string(),
  cluster_id: z.string(),
  kind: z.string(),
  intent: jsonText,
  plan: jsonTextAs(storedPlanSchema),
  status: z.enum(OPERATION_STATUSES),
  actor: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  ended_at: z.string().nullable(),
  error: z.string().nullable(),
  summary: z.string().nullable(),
  summary_said: z.string().nullable(),
  cancel_requested: z.number().int(),
  source: z.string().nullable(),
});

const stepRow = z.object({
  operation_id: z.string(),
  idx: z.number().int(),
  step_id: z.string(),
  kind: z.string(),
  title: z.string(),
  status: z.enum(STEP_STATUSES),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  progress: jsonTextAs(progressSchema).nullable(),
  detail: jsonText.nullable(),
  error: z.string().nullable(),
});

const logRow = z.object({
  id: z.number().int(),
  operation_id: z.string(),
  at: z.string(),
  level: z.enum(LOG_LEVELS),
  message: z.string(),
  said: z.string().nullable(),
});

const auditRow = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  cluster_id: z.string().nullable(),
  operation_id: z.string().nullable(),
  outcome: z.enum(AUDIT_OUTCOMES),
  detail: jsonText,
  source: z.string().nullable(),
});

const hostKeyRow = z.object({
  instance_id: z.string(),
  instance: z.string(),
  key_type: z.string(),
  key: z.string(),
  fingerprint: z.string(),
  source: z.enum(HOST_KEY_SOURCES),
  pinned_at: z.string(),
});

function toHostKeyPin(row: Selectable<SshHostKeysTable>): HostKeyPin {
  const r = hostKeyRow.parse(row);
  return {
    instanceId: r.instance_id,
    instance: r.instance,
    keyType: r.key_type,
    key: r.key,
    fingerprint: r.fingerprint,
    source: r.source,
    pinnedAt: r.pinned_at,
  };
}

function toOperation(row: Selectable<OperationsTable>): Operation {
  const r = operationRow.parse(row);
  return {
    id: r.id,
    clusterId: r.cluster_id,
    kind: r.kind,
    intent: r.intent,
    plan: r.plan,
    status: r.status,
    actor: r.actor,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    endedAt: r.ended_at,
    error: r.error,
    summary: r.summary,
    summarySaid: r.summary_said === null ? null : logSaidSchema.parse(JSON.parse(r.summary_said)),
    cancelRequested: r.cancel_requested !== 0,
    source: r.source,
  };
}

function toStep(row: Selectable<StepsTable>): StepRecord {
  const r = stepRow.parse(row);
  return {
    operationId: r.operation_id,
    index: r.idx,
    stepId: r.step_id,
    kind: r.kind,
    title: r.title,
    status: r.status,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    progress: r.progress,
    detail: r.detail,
    error: r.error,
  };
}

function toLog(row: Selectable<LogsTable>): LogEntry {
  const r = logRow.parse(row);
  return {
    id: r.id,
    operationId: r.operation_id,
    at: r.at,
    level: r.level,
    message: r.message,
    said: r.said === null ? null : logSaidSchema.parse(JSON.parse(r.said)),
  };
}

function toAudit(row: Selectable<AuditTable>): AuditEntry {
  const r = auditRow.parse(row);
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    clusterId: r.cluster_id,
    operationId: r.operation_id,
    outcome: r.outcome,
    detail: r.detail,
    source: r.source,
  };
}

const stringMap = z.record(z.string(), z.string());

const alertStateRow = z.object({
  cluster_id: z.string(),
  key: z.string(),
  fingerprint: z.string(),
  labels: jsonTextAs(stringMap),
  annotations: jsonTextAs(stringMap),
  starts_at: z.string(),
  missing: z.number().int().nonnegative(),
  cleared_at: z.string().nullable(),
});

function toAlertState(row: Selectable<AlertStatesTable>): AlertState {
  const r = alertStateRow.parse(row);
  return {
    clusterId: r.cluster_id,
    key: r.key,
    fingerprint: r.fingerprint,
    labels: r.labels,
    annotations: r.annotations,
    startsAt: r.starts_at,
    missing: r.missing,
    clearedAt: r.cleared_at,
  };
}

const webhookDeliverySchema = z.object({
  at: z.string(),
  ok: z.boolean(),
  status: z.number().int().nullable(),
  message: z.string(),
  attempts: z.number().int().nonnegative(),
  test: z.boolean(),
});

const webhookRow = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  format: z.enum(WEBHOOK_FORMATS),
  secret: z.string().nullable(),
  enabled: z.number().int(),
  created_at: z.string(),
  created_by: z.string(),
  last_delivery: jsonTextAs(webhookDeliverySchema).nullable(),
});

function toWebhook(row: Selectable<WebhooksTable>): Webhook {
  const r = webhookRow.parse(row);
  return {
    id: r.id,
    name: r.name,
    url: r.url,
    format: r.format,
    secret: r.secret,
    enabled: r.enabled !== 0,
    createdAt: r.created_at,
    createdBy: r.created_by,
    lastDelivery: r.last_delivery,
  };
}

const failureClasses: ReadonlySet<string> = new Set(FAILURE_CLASSES);

// A class another version of Quorum wrote and this one does not know is left out (the next observation drops it anyway).
const failureSinceJson = jsonTextAs(z.record(z.string(), z.record(z.string(), z.string()))).transform(
  (subjects): FailureSince =>
    Object.fromEntries(
      Object.entries(subjects).map(([subject, classes]) => [
        subject,
        Object.fromEntries(Object.entries(classes).filter(([c]) => failureClasses.has(c))),
      ]),
    ),
);

const countedActions = z.record(z.string(), z.number().int().nonnegative());

/** `text` inside a LIKE pattern, matched literally (the queries say `escape '\'`). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function jsonOrNull(value: JsonValue | null | undefined): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export type SqliteStoreOptions = { clock?: Clock; busyTimeoutMs?: number };

/**
 * The Store on one SQLite file. One instance per file per process: better-sqlite3 is synchronous, so a
 * second connection in the same process waiting on a lock would block the event loop that the first
 * needs to finish. Separate processes on one file are fine (WAL, busy_timeout, BEGIN IMMEDIATE).
 */
export class SqliteStore implements Store {
  private readonly db: Kysely<StoreDatabase>;
  private readonly clock: Clock;
  private readonly ready: Promise<void>;

  /** `file` is a path (see storePathIn) or ':memory:'. Migrations run before the first query. */
  constructor(file: string, opts: SqliteStoreOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    if (file !== ':memory:') {
      // The journal holds the operators' audit trail and, during a create, a new cluster's private keys
      // (operation_secrets): readable by the dashboard's user only. SQLite gives -wal and -shm the same mode.
      closeSync(openSync(file, 'a', 0o600));
      chmodSync(file, 0o600);
    }
    const sqlite = new Database(file);
    sqlite.pragma('journal_mode = WAL');
    // FULL: a step transition acknowledged before the runner acts must survive a crash, even of the machine.
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs ?? 5_000)}`);
    sqlite.pragma('foreign_keys = ON');
    this.db = new Kysely<StoreDatabase>({ dialect: new SqliteDialect({ database: sqlite }) });
    this.ready = migrateStore(this.db);
    // Surfaced by the first query; kept from becoming an unhandled rejection meanwhile.
    this.ready.catch(() => {});
  }

  /** Resolves once migrations ran; rejects with their error. */
  async open(): Promise<this> {
    await this.ready;
    return this;
  }

  private now(): string {
    return this.clock.now().toISOString();
  }

  private async q(): Promise<Kysely<StoreDatabase>> {
    await this.ready;
    return this.db;
  }

  // BEGIN IMMEDIATE takes the write lock up front, so two writers never both read "unlocked" and then
  // race to upgrade; the connection is held for the whole transaction, which queues this process's
  // other queries behind it.
  private async immediate<T>(fn: (tx: Kysely<StoreDatabase>) => Promise<T>): Promise<T> {
    const db = await this.q();
    return db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (e) {
        try {
          await sql`rollback`.execute(conn);
        } catch {
          // SQLite already rolled back (e.g. after SQLITE_FULL); the original error is the one to report.
        }
        throw e;
      }
    });
  }

  async createOperation(input: NewOperation): Promise<Operation> {
    const id = input.id ?? randomUUID();
    const at = this.now();
    return this.immediate(async (tx) => {
      const held = await tx
        .selectFrom('cluster_locks')
        .innerJoin('operations', 'operations.id', 'cluster_locks.operation_id')
        .select(['operations.id', 'operations.kind', 'operations.status'])
        .where('cluster_locks.cluster_id', '=', input.clusterId)
        .executeTakeFirst();
      if (held) {
        const status = z.enum(OPERATION_STATUSES).parse(held.status);
        if (!isTerminalOperationStatus(status))
          throw new OperationInProgress(input.clusterId, { id: held.id, kind: held.kind, status });
        // A lock left by an operation that ended (only possible if finish and release were ever split).
        await tx.deleteFrom('cluster_locks').where('cluster_id', '=', input.clusterId).execute();
      }
      await tx
        .insertInto('operations')
        .values({
          id,
          cluster_id: input.clusterId,
          kind: input.kind,
          intent: JSON.stringify(input.intent),
          plan: JSON.stringify(input.plan),
          status: 'pending',
          actor: input.actor,
          created_at: at,
          updated_at: at,
          ended_at: null,
          error: null,
          summary: null,
          summary_said: null,
          cancel_requested: 0,
          source: input.source ?? null,
        })
        .execute();
      if (input.plan.steps.length > 0) {
        await tx
          .insertInto('steps')
          .values(
            input.plan.steps.map((s, idx) => ({
              operation_id: id,
              idx,
              step_id: s.id,
              kind: s.kind,
              title: s.title,
              status: 'pending',
              started_at: null,
              ended_at: null,
              progress: null,
              detail: null,
              error: null,
            })),
          )
          .execute();
      }
      await tx
        .insertInto('cluster_locks')
        .values({ cluster_id: input.clusterId, operation_id: id, acquired_at: at })
        .execute();
      const row = await tx.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return toOperation(row);
    });
  }

  async getOperation(id: string): Promise<Operation | null> {
    const db = await this.q();
    const row = await db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toOperation(row) : null;
  }

  async getOperations(ids: readonly string[]): Promise<Operation[]> {
    if (ids.length === 0) return [];
    const db = await this.q();
    const rows = await db
      .selectFrom('operations')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return rows.map(toOperation);
  }

  async cancelRequested(id: string): Promise<boolean> {
    const db = await this.q();
    const row = await db.selectFrom('operations').select('cancel_requested').where('id', '=', id).executeTakeFirst();
    return row !== undefined && row.cancel_requested !== 0;
  }

  async listOperations(clusterId: string, limit = 50): Promise<Operation[]> {
    const db = await this.q();
    const rows = await db
      .selectFrom('operations')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .orderBy('created_at', 'desc')
      .orderBy(sql`rowid`, 'desc')
      .limit(limit)
      .execute();
    return rows.map(toOperation);
  }

  async listUnfinishedOperations(): Promise<Operation[]> {
    const db = await this.q();
    const rows = await db
      .selectFrom('operations')
      .selectAll()
      .where('status', 'not in', ['succeeded', 'failed', 'cancelled'])
      .orderBy('created_at', 'asc')
      .orderBy(sql`rowid`, 'asc')
      .execute();
    return rows.map(toOperation);
  }

  async lockHolder(clusterId: string): Promise<string | null> {
    const db = await this.q();
    const row = await db
      .selectFrom('cluster_locks')
      .select('operation_id')
      .where('cluster_id', '=', clusterId)
      .executeTakeFirst();
    return row?.operation_id ?? null;
  }

  async markOperationRunning(id: string): Promise<void> {
    const db = await this.q();
    await db
      .updateTable('operations')
      .set({ status: 'running', updated_at: this.now() })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }

  async steps(operationId: string): Promise<StepRecord[]> {
    const db = await this.q();
    const rows = await db
      .selectFrom('steps')
      .selectAll()
      .where('operation_id', '=', operationId)
      .orderBy('idx', 'asc')
      .execute();
    return rows.map(toStep);
  }

  private async updateStep(
    operationId: string,
    index: number,
    values: Partial<Omit<StepsTable, 'operation_id' | 'idx'>>,
  ): Promise<void> {
    const db = await this.q();
    const result = await db
      .updateTable('steps')
      .set(values)
      .where('operation_id', '=', operationId)
      .where('idx', '=', index)
      .executeTakeFirst();
    if (result.numUpdatedRows === BigInt(0)) throw new Error(`No step ${index} in operation ${operationId}`);
  }

  async markStepRunning(operationId: string, index: number): Promise<void> {
    // A step re-run after a crash keeps its first start time; its old error and progress are cleared.
    const db = await this.q();
    const at = this.now();
    const result = await db
      .updateTable('steps')
      .set((eb) => ({
        status: 'running',
        started_at: eb.fn.coalesce('started_at', eb.val(at)),
        ended_at: null,
        error: null,
        progress: null,
      }))
      .where('operation_id', '=', operationId)
      .where('idx', '=', index)
      .executeTakeFirst();
    if (result.numUpdatedRows === BigInt(0)) throw new Error(`No step ${index} in operation ${operationId}`);
  }

  async markStepDone(operationId: string, index: number, detail: JsonValue | null = null): Promise<void> {
    await this.updateStep(operationId, index, {
      status: 'done',
      ended_at: this.now(),
      detail: jsonOrNull(detail),
      error: null,
    });
  }

  async markStepFailed(operationId: string, index: number, error: string): Promise<void> {
    await this.updateStep(operationId, index, { status: 'failed', ended_at: this.now(), error });
  }

  async markStepSkipped(operationId: string, index: number, reason?: string): Promise<void> {
    await this.updateStep(operationId, index, { status: 'skipped', ended_at: this.now(), error: reason ?? null });
  }

  async setStepProgress(operationId: string, index: number, progress: StepProgress | null): Promise<void> {
    await this.updateStep(operationId, index, {
      progress: progress === null ? null : JSON.stringify(progressSchema.parse(progress)),
    });
  }

  async appendLog(operationId: string, level: LogLevel, message: string, said?: LogSaid): Promise<LogEntry> {
    const db = await this.q();
    const row = await db
      .insertInto('logs')
      .values({
        operation_id: operationId,
        at: this.now(),
        level,
        message,
        said: said === undefined ? null : JSON.stringify(logSaidSchema.parse(said)),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toLog(row);
  }

  async logs(operationId: string, sinceId?: number): Promise<LogEntry[]> {
    const db = await this.q();
    let query = db.selectFrom('logs').selectAll().where('operation_id', '=', operationId);
    if (sinceId !== undefined) query = query.where('id', '>', sinceId);
    const rows = await query.orderBy('id', 'asc').execute();
    return rows.map(toLog);
  }

  async requestCancel(id: string): Promise<Operation | null> {
    return this.immediate(async (tx) => {
      await tx
        .updateTable('operations')
        .set({ cancel_requested: 1, status: 'cancelling', updated_at: this.now() })
        .where('id', '=', id)
        .where('status', 'in', ['pending', 'running', 'cancelling'])
        .execute();
      const row = await tx.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toOperation(row) : null;
    });
  }

  async finishOperation(
    id: string,
    status: TerminalOperationStatus,
    outcome: { error?: string | null; summary?: string | null; summarySaid?: LogSaid | null } = {},
  ): Promise<Operation> {
    const at = this.now();
    const summarySaid = outcome.summarySaid ? JSON.stringify(logSaidSchema.parse(outcome.summarySaid)) : null;
    return this.immediate(async (tx) => {
      await tx
        .updateTable('operations')
        .set({
          status,
          ended_at: at,
          updated_at: at,
          error: outcome.error ?? null,
          summary: outcome.summary ?? null,
          summary_said: summarySaid,
        })
        .where('id', '=', id)
        .execute();
      await tx.deleteFrom('cluster_locks').where('operation_id', '=', id).execute();
      // Secrets never outlive their operation, however it ended (a cancelled create included).
      await tx.deleteFrom('operation_secrets').where('operation_id', '=', id).execute();
      const row = await tx.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new Error(`No operation ${id}`);
      const op = toOperation(row);
      await tx
        .insertInto('audit')
        .values({
          at,
          actor: op.actor,
          action: `operation.${op.kind}`,
          cluster_id: op.clusterId,
          operation_id: op.id,
          outcome: status,
          detail: JSON.stringify({ summary: op.summary, error: op.error }),
          // The runner ends operations: the entry names where the operation was asked from.
          source: op.source,
        })
        .execute();
      return op;
    });
  }

  async putOperationSecretOnce(operationId: string, key: string, value: string): Promise<string> {
    return this.immediate(async (tx) => {
      await tx
        .insertInto('operation_secrets')
        .values({ operation_id: operationId, key, value, created_at: this.now() })
        .onConflict((oc) => oc.columns(['operation_id', 'key']).doNothing())
        .execute();
      const row = await tx
        .selectFrom('operation_secrets')
        .select('value')
        .where('operation_id', '=', operationId)
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      return row.value;
    });
  }

  async operationSecret(operationId: string, key: string): Promise<string | null> {
    const db = await this.q();
    const row = await db
      .selectFrom('operation_secrets')
      .select('value')
      .where('operation_id', '=', operationId)
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.value ?? null;
  }

  async deleteOperationSecrets(operationId: string): Promise<void> {
    const db = await this.q();
    await db.deleteFrom('operation_secrets').where('operation_id', '=', operationId).execute();
  }

  async addAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return this.insertAudit(await this.q(), entry);
  }

  private async insertAudit(db: Kysely<StoreDatabase>, entry: NewAuditEntry): Promise<AuditEntry> {
    let source = entry.source ?? null;
    if (entry.source === undefined && entry.operationId) {
      // An operation's own row (the runner's `started`) carries the source the operation was asked from.
      const op = await db
        .selectFrom('operations')
        .select(['kind', 'source'])
        .where('id', '=', entry.operationId)
        .executeTakeFirst();
      if (op && entry.action === `operation.${op.kind}`) source = op.source;
    }
    const row = await db
      .insertInto('audit')
      .values({
        at: this.now(),
        actor: entry.actor,
        action: entry.action,
        cluster_id: entry.clusterId ?? null,
        operation_id: entry.operationId ?? null,
        outcome: entry.outcome,
        detail: JSON.stringify(entry.detail ?? null),
        source,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAudit(row);
  }

  async countAnonymousRefusal(
    refusal: { source: string | null; minute: string; action: string },
    first: NewAuditEntry,
  ): Promise<boolean> {
    const source = refusal.source ?? '';
    return this.immediate(async (tx) => {
      const counted = await tx
        .selectFrom('anonymous_refusal_counts')
        .select(['count', 'actions'])
        .where('source', '=', source)
        .where('minute', '=', refusal.minute)
        .executeTakeFirst();
      if (!counted) {
        await tx
          .insertInto('anonymous_refusal_counts')
          .values({ source, minute: refusal.minute, count: 0, actions: '{}' })
          .execute();
        await this.insertAudit(tx, first);
        return true;
      }
      const actions = countedActions.parse(JSON.parse(counted.actions));
      actions[refusal.action] = (actions[refusal.action] ?? 0) + 1;
      await tx
        .updateTable('anonymous_refusal_counts')
        .set({ count: counted.count + 1, actions: JSON.stringify(actions) })
        .where('source', '=', source)
        .where('minute', '=', refusal.minute)
        .execute();
      return false;
    });
  }

  async closeAnonymousRefusalMinutes(
    before: string,
    entry: (counted: CountedAnonymousRefusals) => NewAuditEntry,
  ): Promise<AuditEntry[]> {
    return this.immediate(async (tx) => {
      const ended = await tx
        .selectFrom('anonymous_refusal_counts')
        .selectAll()
        .where('minute', '<', before)
        .orderBy('minute')
        .orderBy('source')
        .execute();
      const added: AuditEntry[] = [];
      for (const row of ended) {
        if (row.count > 0) {
          const counted = {
            source: row.source === '' ? null : row.source,
            minute: row.minute,
            count: row.count,
            actions: countedActions.parse(JSON.parse(row.actions)),
          };
          added.push(await this.insertAudit(tx, entry(counted)));
        }
      }
      await tx.deleteFrom('anonymous_refusal_counts').where('minute', '<', before).execute();
      return added;
    });
  }

  async listAudit(filter: AuditFilter = {}, limit = 100): Promise<AuditEntry[]> {
    const db = await this.q();
    let query = db.selectFrom('audit').selectAll();
    if (filter.clusterId !== undefined) query = query.where('cluster_id', '=', filter.clusterId);
    if (filter.operationId !== undefined) query = query.where('operation_id', '=', filter.operationId);
    if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
    // A prefix, compared exactly (LIKE would fold case and treat _ as a wildcard).
    if (filter.action !== undefined)
      query = query.where(sql<boolean>`substr(action, 1, ${filter.action.length}) = ${filter.action}`);
    if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
    if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('at', '<', filter.until);
    if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
    if (filter.q !== undefined && filter.q !== '') {
      const pattern = `%${likeLiteral(filter.q)}%`;
      query = query.where(
        sql<boolean>`(action like ${pattern} escape '\\' or actor like ${pattern} escape '\\' or detail like ${pattern} escape '\\')`,
      );
    }
    const rows = await query
      .orderBy('id', 'desc')
      .limit(Math.max(0, Math.trunc(limit)))
      .execute();
    return rows.map(toAudit);
  }

  async hostKeyPin(instanceId: string): Promise<HostKeyPin | null> {
    const db = await this.q();
    const row = await db
      .selectFrom('ssh_host_keys')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .executeTakeFirst();
    return row ? toHostKeyPin(row) : null;
  }

  async pinHostKeyOnce(pin: Omit<HostKeyPin, 'pinnedAt'>): Promise<HostKeyPin> {
    return this.immediate(async (tx) => {
      await tx
        .insertInto('ssh_host_keys')
        .values({
          instance_id: pin.instanceId,
          instance: pin.instance,
          key_type: pin.keyType,
          key: pin.key,
          fingerprint: pin.fingerprint,
          source: pin.source,
          pinned_at: this.now(),
        })
        .onConflict((oc) => oc.column('instance_id').doNothing())
        .execute();
      const row = await tx
        .selectFrom('ssh_host_keys')
        .selectAll()
        .where('instance_id', '=', pin.instanceId)
        .executeTakeFirstOrThrow();
      return toHostKeyPin(row);
    });
  }

  async replaceHostKeyPin(
    expectedFingerprint: string,
    pin: Omit<HostKeyPin, 'pinnedAt'>,
  ): Promise<{ replaced: boolean; pin: HostKeyPin | null }> {
    return this.immediate(async (tx) => {
      const result = await tx
        .updateTable('ssh_host_keys')
        .set({
          instance: pin.instance,
          key_type: pin.keyType,
          key: pin.key,
          fingerprint: pin.fingerprint,
          source: pin.source,
          pinned_at: this.now(),
        })
        .where('instance_id', '=', pin.instanceId)
        .where('fingerprint', '=', expectedFingerprint)
        .executeTakeFirst();
      const row = await tx
        .selectFrom('ssh_host_keys')
        .selectAll()
        .where('instance_id', '=', pin.instanceId)
        .executeTakeFirst();
      return { replaced: result.numUpdatedRows > BigInt(0), pin: row ? toHostKeyPin(row) : null };
    });
  }

  async forgetHostKeyPin(instanceId: string): Promise<boolean> {
    const db = await this.q();
    const result = await db.deleteFrom('ssh_host_keys').where('instance_id', '=', instanceId).executeTakeFirst();
    return result.numDeletedRows > BigInt(0);
  }

  async countOperations(): Promise<OperationCount[]> {
    const db = await this.q();
    const rows = await db
      .selectFrom('operations')
      .select(['cluster_id', 'kind', 'status', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy(['cluster_id', 'kind', 'status'])
      .orderBy('cluster_id')
      .orderBy('kind')
      .orderBy('status')
      .execute();
    return rows.map((r) => ({
      clusterId: r.cluster_id,
      kind: r.kind,
      status: z.enum(OPERATION_STATUSES).parse(r.status),
      count: Number(r.count),
    }));
  }

  async recordTimeline(
    clusterId: string,
    at: string,
    state: string,
    opts: { maxGapMs: number; keepSince: string },
  ): Promise<void> {
    await this.immediate(async (tx) => {
      const last = await tx
        .selectFrom('cluster_timeline')
        .select(['id', 'until', 'state'])
        .where('cluster_id', '=', clusterId)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      // An observation that finished after a newer one was recorded changes nothing.
      if (last && last.until > at) return;
      if (last && last.state === state && Date.parse(at) - Date.parse(last.until) <= opts.maxGapMs) {
        await tx.updateTable('cluster_timeline').set({ until: at }).where('id', '=', last.id).execute();
        return;
      }
      await tx.insertInto('cluster_timeline').values({ cluster_id: clusterId, at, until: at, state }).execute();
      await tx
        .deleteFrom('cluster_timeline')
        .where('cluster_id', '=', clusterId)
        .where('until', '<', opts.keepSince)
        .execute();
    });
  }

  async timeline(clusterId: string, since: string): Promise<Array<{ at: string; until: string; state: string }>> {
    const db = await this.q();
    return db
      .selectFrom('cluster_timeline')
      .select(['at', 'until', 'state'])
      .where('cluster_id', '=', clusterId)
      .where('until', '>=', since)
      .orderBy('at')
      .orderBy('id')
      .execute();
  }

  async failureSince(clusterId: string): Promise<{ at: string; since: FailureSince } | null> {
    const db = await this.q();
    const row = await db
      .selectFrom('failure_since')
      .select(['at', 'since'])
      .where('cluster_id', '=', clusterId)
      .executeTakeFirst();
    if (!row) return null;
    const since = failureSinceJson.safeParse(row.since);
    return since.success ? { at: row.at, since: since.data } : null;
  }

  async saveFailureSince(clusterId: string, at: string, since: FailureSince): Promise<void> {
    const db = await this.q();
    await db
      .insertInto('failure_since')
      .values({ cluster_id: clusterId, at, since: JSON.stringify(since) })
      // An observation that finished after a newer one was saved changes nothing.
      .onConflict((oc) =>
        oc
          .column('cluster_id')
          .doUpdateSet((eb) => ({ at: eb.ref('excluded.at'), since: eb.ref('excluded.since') }))
          .whereRef('failure_since.at', '<=', 'excluded.at'),
      )
      .execute();
  }

  async alertStates(clusterId?: string): Promise<AlertState[]> {
    const db = await this.q();
    let query = db.selectFrom('alert_states').selectAll();
    if (clusterId !== undefined) query = query.where('cluster_id', '=', clusterId);
    const rows = await query.orderBy('cluster_id').orderBy('starts_at').orderBy('key').execute();
    return rows.map(toAlertState);
  }

  async replaceAlertStates(clusterId: string, states: readonly AlertState[]): Promise<void> {
    await this.immediate(async (tx) => {
      await tx.deleteFrom('alert_states').where('cluster_id', '=', clusterId).execute();
      if (states.length === 0) return;
      await tx
        .insertInto('alert_states')
        .values(
          states.map((a) => ({
            cluster_id: clusterId,
            key: a.key,
            fingerprint: a.fingerprint,
            labels: JSON.stringify(a.labels),
            annotations: JSON.stringify(a.annotations),
            starts_at: a.startsAt,
            missing: a.missing,
            cleared_at: a.clearedAt,
          })),
        )
        .execute();
    });
  }

  async listWebhooks(): Promise<Webhook[]> {
    const db = await this.q();
    const rows = await db
      .selectFrom('webhooks')
      .selectAll()
      .orderBy('created_at')
      .orderBy(sql`rowid`)
      .execute();
    return rows.map(toWebhook);
  }

  async addWebhook(webhook: NewWebhook): Promise<Webhook> {
    const db = await this.q();
    const id = randomUUID();
    await db
      .insertInto('webhooks')
      .values({
        id,
        name: webhook.name,
        url: webhook.url,
        format: webhook.format,
        secret: webhook.secret,
        enabled: webhook.enabled ? 1 : 0,
        created_at: this.now(),
        created_by: webhook.createdBy,
        last_delivery: null,
      })
      .execute();
    return toWebhook(await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
  }

  async setWebhookEnabled(id: string, enabled: boolean): Promise<Webhook | null> {
    const db = await this.q();
    await db
      .updateTable('webhooks')
      .set({ enabled: enabled ? 1 : 0 })
      .where('id', '=', id)
      .execute();
    const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toWebhook(row) : null;
  }

  async deleteWebhook(id: string): Promise<Webhook | null> {
    return this.immediate(async (tx) => {
      const row = await tx.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return null;
      await tx.deleteFrom('webhooks').where('id', '=', id).execute();
      return toWebhook(row);
    });
  }

  async recordWebhookDelivery(id: string, delivery: WebhookDelivery): Promise<void> {
    const db = await this.q();
    await db
      .updateTable('webhooks')
      .set({ last_delivery: JSON.stringify(webhookDeliverySchema.parse(delivery)) })
      .where('id', '=', id)
      .execute();
  }

  async close(): Promise<void> {
    await this.ready.catch(() => {});
    await this.db.destroy();
  }
}

/**
 * Runs the in-code migrations up to the latest; idempotent. Under BEGIN IMMEDIATE so processes opening a
 * fresh file together migrate one after the other (the next one finds nothing to do), instead of both
 * reading "not migrated" and colliding on CREATE TABLE.
 */
export async function migrateStore(db: Kysely<StoreDatabase>): Promise<void> {
  await db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const migrator = new Migrator({
        db: conn,
        provider: { getMigrations: async () => migrations },
        disableTransactions: true,
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error !== undefined) {
        const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
        throw new Error(`Store migration ${failed} failed`, { cause: error });
      }
      await sql`commit`.execute(conn);
    } catch (e) {
      try {
        await sql`rollback`.execute(conn);
      } catch {
        // Already rolled back by SQLite; report the migration's error.
      }
      throw e;
    }
  });
}

/** Opens the store file in a data directory and waits for its migrations. */
export async function openSqliteStore(dataDir: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
  return new SqliteStore(storePathIn(dataDir), opts).open();
}
