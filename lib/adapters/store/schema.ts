import 'server-only';
import { sql, type Generated, type Kysely, type Migration } from 'kysely';

// Timestamps are ISO 8601 text, JSON columns are text parsed back with zod, booleans are 0/1.

export type OperationsTable = {
  id: string;
  cluster_id: string;
  kind: string;
  intent: string;
  plan: string;
  status: string;
  actor: string;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
  error: string | null;
  summary: string | null;
  /** The summary's sentence (lib/core/operation-log.ts), JSON; null before it existed or when it has none. */
  summary_said: string | null;
  cancel_requested: number;
  /** The client address of the request that started the operation; null for older rows and requests without one. */
  source: string | null;
};

export type StepsTable = {
  operation_id: string;
  idx: number;
  step_id: string;
  kind: string;
  title: string;
  status: string;
  started_at: string | null;
  ended_at: string | null;
  progress: string | null;
  detail: string | null;
  error: string | null;
};

export type LogsTable = {
  id: Generated<number>;
  operation_id: string;
  at: string;
  level: string;
  message: string;
  /** The sentence by key and params (lib/core/operation-log.ts), JSON; null for lines written before it existed. */
  said: string | null;
};

export type AuditTable = {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  cluster_id: string | null;
  operation_id: string | null;
  outcome: string;
  detail: string;
  /** The client address of the request behind the entry; null when none (the runner, older entries). */
  source: string | null;
};

export type ClusterLocksTable = {
  cluster_id: string;
  operation_id: string;
  acquired_at: string;
};

/** Server-only secrets of an operation (see Store.putOperationSecretOnce); deleted with their operation. */
export type OperationSecretsTable = {
  operation_id: string;
  key: string;
  value: string;
  created_at: string;
};

/** SSH host keys pinned per Compute Engine instance id (see Store.pinHostKeyOnce). */
export type SshHostKeysTable = {
  instance_id: string;
  instance: string;
  key_type: string;
  key: string;
  fingerprint: string;
  source: string;
  pinned_at: string;
};

/**
 * Anonymous refusals counted per source and UTC minute (see Store.countAnonymousRefusal), until the minute's
 * count is appended to the audit log. Not the audit log itself: that one is append-only.
 */
export type AnonymousRefusalCountsTable = {
  /** The client address; '' when it was not known. */
  source: string;
  /** The minute's start, ISO 8601 UTC. */
  minute: string;
  /** Refusals after the minute's first (which has its own audit row). */
  count: number;
  /** JSON { action: count } of those. */
  actions: string;
};

/** Alerts firing per cluster (lib/core/alerts.ts AlertState): kept so a restart notifies none of them again. */
export type AlertStatesTable = {
  cluster_id: string;
  /** `<alertname>|<subject>`. */
  key: string;
  fingerprint: string;
  /** JSON { name: value }. */
  labels: string;
  /** JSON { name: value }. */
  annotations: string;
  starts_at: string;
  missing: number;
  cleared_at: string | null;
};

/** Where alert notifications are posted (Settings). The secret is a bearer token; it never leaves the server. */
export type WebhooksTable = {
  id: string;
  name: string;
  url: string;
  format: string;
  secret: string | null;
  enabled: number;
  created_at: string;
  created_by: string;
  /** JSON WebhookDelivery of the latest attempt; null before the first. */
  last_delivery: string | null;
};

export type ClusterTimelineTable = {
  id: Generated<number>;
  cluster_id: string;
  /** When the state was first observed, and last (ISO). */
  at: string;
  until: string;
  /** JSON TimelineState (lib/core/timeline.ts). */
  state: string;
};

/** Since when each failure of a cluster has been seen (lib/core/failure.ts FailureSince), as of its last observation. */
export type FailureSinceTable = {
  cluster_id: string;
  /** The observation it was last written from (ISO): after a gap since then, "since" starts again. */
  at: string;
  /** JSON FailureSince. */
  since: string;
};

export type StoreDatabase = {
  operations: OperationsTable;
  steps: StepsTable;
  logs: LogsTable;
  audit: AuditTable;
  cluster_locks: ClusterLocksTable;
  operation_secrets: OperationSecretsTable;
  ssh_host_keys: SshHostKeysTable;
  anonymous_refusal_counts: AnonymousRefusalCountsTable;
  alert_states: AlertStatesTable;
  webhooks: WebhooksTable;
  cluster_timeline: ClusterTimelineTable;
  failure_since: FailureSinceTable;
};

// Append only: a migration that shipped is never edited; later changes are new entries.
export const migrations: Record<string, Migration> = {
  '0001-journal': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('operations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('cluster_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('intent', 'text', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text')
        .addColumn('error', 'text')
        .addColumn('summary', 'text')
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('operations_cluster_created')
        .on('operations')
        .columns(['cluster_id', 'created_at'])
        .execute();
      await db.schema.createIndex('operations_status').on('operations').column('status').execute();

      await db.schema
        .createTable('steps')
        .addColumn('operation_id', 'text', (c) => c.notNull().references('operations.id').onDelete('cascade'))
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('step_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('ended_at', 'text')
        .addColumn('progress', 'text')
        .addColumn('detail', 'text')
        .addColumn('error', 'text')
        .addPrimaryKeyConstraint('steps_pk', ['operation_id', 'idx'])
        .execute();

      await db.schema
        .createTable('logs')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('operation_id', 'text', (c) => c.notNull().references('operations.id').onDelete('cascade'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('logs_operation').on('logs').columns(['operation_id', 'id']).execute();

      // No foreign key to operations: the audit log outlives anything else, and refusals have no operation.
      await db.schema
        .createTable('audit')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('cluster_id', 'text')
        .addColumn('operation_id', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_cluster').on('audit').columns(['cluster_id', 'id']).execute();
      await db.schema.createIndex('audit_operation').on('audit').column('operation_id').execute();

      // One row per locked cluster: the primary key is the mutual exclusion.
      await db.schema
        .createTable('cluster_locks')
        .addColumn('cluster_id', 'text', (c) => c.primaryKey())
        .addColumn('operation_id', 'text', (c) => c.notNull().unique().references('operations.id'))
        .addColumn('acquired_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['cluster_locks', 'audit', 'logs', 'steps', 'operations']) {
        await sql`drop table if exists ${sql.table(table)}`.execute(db);
      }
    },
  },
  '0002-operation-secrets': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('operation_secrets')
        .addColumn('operation_id', 'text', (c) => c.notNull().references('operations.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('operation_secrets_pk', ['operation_id', 'key'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists operation_secrets`.execute(db);
    },
  },
  '0003-audit-source-append-only': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('audit').addColumn('source', 'text').execute();
      await db.schema.createIndex('audit_actor').on('audit').columns(['actor', 'id']).execute();
      // The audit log is evidence: enforced by SQLite itself, so no code path (nor a bug in one) can rewrite
      // or drop an entry. Dropping the table (migration down, a fresh test database) is still possible.
      await sql`create trigger audit_no_update before update on audit begin select raise(abort, 'audit is append-only'); end`.execute(
        db,
      );
      await sql`create trigger audit_no_delete before delete on audit begin select raise(abort, 'audit is append-only'); end`.execute(
        db,
      );
      // INSERT OR REPLACE deletes the row it replaces without firing delete triggers: refuse reusing an id.
      await sql`create trigger audit_no_replace before insert on audit when exists (select 1 from audit where id = new.id) begin select raise(abort, 'audit is append-only'); end`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>) {
      await sql`drop trigger if exists audit_no_replace`.execute(db);
      await sql`drop trigger if exists audit_no_delete`.execute(db);
      await sql`drop trigger if exists audit_no_update`.execute(db);
      await sql`drop index if exists audit_actor`.execute(db);
      await db.schema.alterTable('audit').dropColumn('source').execute();
    },
  },
  '0004-ssh-host-keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('ssh_host_keys')
        .addColumn('instance_id', 'text', (c) => c.primaryKey())
        .addColumn('instance', 'text', (c) => c.notNull())
        .addColumn('key_type', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('pinned_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists ssh_host_keys`.execute(db);
    },
  },
  '0005-operation-source': {
    async up(db: Kysely<unknown>) {
      // Where the operation was asked from, so its started/succeeded/failed audit rows name it like a refusal does.
      await db.schema.alterTable('operations').addColumn('source', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('operations').dropColumn('source').execute();
    },
  },
  '0006-anonymous-refusal-counts': {
    async up(db: Kysely<unknown>) {
      // Counted in the store file rather than in memory, so a crash or a stop loses no refusal (issue 12, finding 6).
      await db.schema
        .createTable('anonymous_refusal_counts')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('minute', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('actions', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('anonymous_refusal_counts_pk', ['source', 'minute'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists anonymous_refusal_counts`.execute(db);
    },
  },
  '0007-alerts': {
    async up(db: Kysely<unknown>) {
      // Firing alerts and where to send them (issue 13): a restarted dashboard must not notify a firing alert twice.
      await db.schema
        .createTable('alert_states')
        .addColumn('cluster_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('annotations', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'text', (c) => c.notNull())
        .addColumn('missing', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cleared_at', 'text')
        .addPrimaryKeyConstraint('alert_states_pk', ['cluster_id', 'key'])
        .execute();
      await db.schema
        .createTable('webhooks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('secret', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('last_delivery', 'text')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists webhooks`.execute(db);
      await sql`drop table if exists alert_states`.execute(db);
    },
  },
  '0008-cluster-timeline': {
    async up(db: Kysely<unknown>) {
      // Each cluster's observed states, one row per change (issue 13's history): kept 7 days, across restarts.
      await db.schema
        .createTable('cluster_timeline')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('cluster_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('until', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('cluster_timeline_cluster_at')
        .on('cluster_timeline')
        .columns(['cluster_id', 'at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists cluster_timeline`.execute(db);
    },
  },
  '0009-failure-since': {
    async up(db: Kysely<unknown>) {
      // "Since" of each failure, one row per cluster, so a restarted dashboard keeps the first time of one still there.
      await db.schema
        .createTable('failure_since')
        .addColumn('cluster_id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('since', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists failure_since`.execute(db);
    },
  },
  '0010-log-said': {
    async up(db: Kysely<unknown>) {
      // Each journal line's sentence by key and params, so the operation page words it in the reader's language.
      await db.schema.alterTable('logs').addColumn('said', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('logs').dropColumn('said').execute();
    },
  },
  '0011-summary-said': {
    async up(db: Kysely<unknown>) {
      // An ended operation's summary by key and params, so the operation and history pages word it.
      await db.schema.alterTable('operations').addColumn('summary_said', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('operations').dropColumn('summary_said').execute();
    },
  },
};
