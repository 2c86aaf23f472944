// The journal of mutating operations (operations, their steps, their log), the per-cluster lock and the
// audit log. The runner writes every step transition here before and after acting, so a restarted
// dashboard can resume from the journal alone.
import { z } from 'zod';
import type { AlertState, WebhookDelivery, WebhookFormat } from '@/lib/core/alerts';
export type { WebhookDelivery } from '@/lib/core/alerts';
import type { AuditCriteria, AuditOutcome } from '@/lib/core/audit';
import type { FailureSince } from '@/lib/core/failure';
import type { LogSaid } from '@/lib/core/operation-log';
import { errorBrand, hasErrorBrand } from './error-brand';

export { AUDIT_OUTCOMES, type AuditOutcome } from '@/lib/core/audit';

export const OPERATION_STATUSES = ['pending', 'running', 'cancelling', 'succeeded', 'failed', 'cancelled'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];
export const TERMINAL_OPERATION_STATUSES: ReadonlySet<OperationStatus> = new Set(['succeeded', 'failed', 'cancelled']);
export type TerminalOperationStatus = 'succeeded' | 'failed' | 'cancelled';

export function isTerminalOperationStatus(status: OperationStatus): status is TerminalOperationStatus {
  return TERMINAL_OPERATION_STATUSES.has(status);
}

export const STEP_STATUSES = ['pending', 'running', 'done', 'failed', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const LOG_LEVELS = ['info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const jsonValueSchema = z.json();
export type JsonValue = z.infer<typeof jsonValueSchema>;

export type StepParamValue = string | number | boolean;

/** The part of a planner's step the journal and the runner rely on; other fields are stored untouched. */
export const storedPlanStepSchema = z.looseObject({
  id: z.string().min(1),
  kind: z.string().min(1),
  title: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
export type StoredPlanStep = z.infer<typeof storedPlanStepSchema>;

/**
 * The plan as stored, whole. `rollback` lists the step kinds whose compensation the runner calls (for done
 * steps, newest first) when a later step fails; a plan without it is never rolled back.
 */
export const storedPlanSchema = z.looseObject({
  steps: z.array(storedPlanStepSchema),
  rollback: z.array(z.string()).optional(),
});
export type StoredPlan = z.infer<typeof storedPlanSchema>;

/** What createOperation accepts: any JSON-serialisable plan with steps (the planner's Plan fits). */
export type PlanInput = {
  readonly steps: readonly {
    readonly id: string;
    readonly kind: string;
    readonly title: string;
    readonly params: Readonly<Record<string, StepParamValue>>;
  }[];
  readonly rollback?: readonly string[];
};

export type Operation = {
  id: string;
  clusterId: string;
  kind: string;
  intent: JsonValue;
  plan: StoredPlan;
  status: OperationStatus;
  actor: string;
  /** ISO 8601 timestamps. */
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  error: string | null;
  /** Set when the operation ends: where it stopped and what state the cluster is in, in words. */
  summary: string | null;
  /** The summary's sentence by key and params (lib/core/operation-log.ts), for the pages to word; null when it has none. */
  summarySaid?: LogSaid | null;
  cancelRequested: boolean;
  /** The client address of the request that started it (Caller.source); null when none was given (the store always sets it). */
  source?: string | null;
};

/** `said`: the message's sentence (lib/core/operation-log.ts), so the page words it in the reader's language. */
export type StepProgress = { fraction?: number; etaSeconds?: number; message?: string; said?: LogSaid };

export type StepRecord = {
  operationId: string;
  index: number;
  stepId: string;
  kind: string;
  title: string;
  status: StepStatus;
  startedAt: string | null;
  endedAt: string | null;
  progress: StepProgress | null;
  /** What the step returned (e.g. the name it picked); handed to later steps, also after a restart. */
  detail: JsonValue | null;
  error: string | null;
};

export type LogEntry = {
  id: number;
  operationId: string;
  at: string;
  level: LogLevel;
  /** The line in English, as the journal has always kept it. */
  message: string;
  /** The same sentence by key and params, for the page to word; null for lines written before sentences had keys. */
  said: LogSaid | null;
};

export type AuditEntry = {
  id: number;
  at: string;
  actor: string;
  action: string;
  clusterId: string | null;
  operationId: string | null;
  outcome: AuditOutcome;
  detail: JsonValue;
  /** Where the request came from (the caller's client address); null when there was no request (the runner). */
  source: string | null;
};

/** One source's counted anonymous refusals of one minute, after its first (see Store.countAnonymousRefusal). */
export type CountedAnonymousRefusals = {
  source: string | null;
  /** The minute's start, ISO 8601 UTC. */
  minute: string;
  count: number;
  /** How many of them called each action. */
  actions: Record<string, number>;
};

export type NewOperation = {
  /** Generated (uuid v4) when absent. */
  id?: string;
  clusterId: string;
  kind: string;
  intent: JsonValue;
  plan: PlanInput;
  actor: string;
  /** The client address of the request behind it (Caller.source); its audit rows carry it. */
  source?: string | null;
};

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at' | 'clusterId' | 'operationId' | 'detail' | 'source'> & {
  clusterId?: string | null;
  operationId?: string | null;
  detail?: JsonValue;
  /**
   * The caller's client address (Caller.source); never made up where no request is behind the entry. Left out
   * on an operation's own row (`operation.<kind>` with its operationId: the runner's started row), the store
   * takes the source the operation was started from.
   */
  source?: string | null;
};

/** Every given condition must hold. The audit page's criteria (lib/core/audit.ts) plus what services ask for. */
export type AuditFilter = AuditCriteria & {
  operationId?: string;
  /** ISO timestamp; entries strictly before it. */
  until?: string;
};

/** The cluster already has a mutating operation that has not ended; it is named so the UI can link to it. */
const OPERATION_IN_PROGRESS_BRAND = errorBrand('OperationInProgress');

export class OperationInProgress extends Error {
  override readonly name = 'OperationInProgress';
  /** Known across Next's bundles: the store belongs to the container instrumentation.ts builds (error-brand.ts). */
  readonly [OPERATION_IN_PROGRESS_BRAND] = true;
  readonly code = 'OperationInProgress' as const;
  readonly clusterId: string;
  readonly operationId: string;
  readonly operationKind: string;

  constructor(clusterId: string, running: { id: string; kind: string; status: OperationStatus }) {
    super(`Operation ${running.id} (${running.kind}, ${running.status}) is still in progress on cluster ${clusterId}`);
    this.clusterId = clusterId;
    this.operationId = running.id;
    this.operationKind = running.kind;
  }
}

export function isOperationInProgress(e: unknown): e is OperationInProgress {
  return e instanceof OperationInProgress || hasErrorBrand(e, OPERATION_IN_PROGRESS_BRAND);
}

export const HOST_KEY_SOURCES = ['guest-attributes', 'first-use', 'admin'] as const;
export type HostKeySource = (typeof HOST_KEY_SOURCES)[number];

/** The SSH host key Quorum accepts for one Compute Engine instance (by id: a recreated instance is another host). */
export type HostKeyPin = {
  instanceId: string;
  /** `<project>/<zone>/<instance>` when pinned, for people reading the table. */
  instance: string;
  /** SSH key type, e.g. `ssh-ed25519`. */
  keyType: string;
  /** The public key blob, base64 (the second field of an OpenSSH public key line). */
  key: string;
  /** `SHA256:<base64, unpadded>` as OpenSSH prints it. */
  fingerprint: string;
  /** Published by the guest agent (guest attributes `hostkeys/`), the first key seen (trust on first use), or trusted by an admin after it changed. */
  source: HostKeySource;
  pinnedAt: string;
};

/** How many journaled operations a cluster has of a kind in a status (the metrics' operations by outcome). */
export type OperationCount = { clusterId: string; kind: string; status: OperationStatus; count: number };

/** Where alert notifications go (configured on Settings by an admin). `secret` never leaves the server. */
export type Webhook = {
  id: string;
  name: string;
  url: string;
  format: WebhookFormat;
  /** Sent as `Authorization: Bearer <secret>`; null for none. */
  secret: string | null;
  enabled: boolean;
  createdAt: string;
  createdBy: string;
  lastDelivery: WebhookDelivery | null;
};

export type NewWebhook = Pick<Webhook, 'name' | 'url' | 'format' | 'secret' | 'enabled' | 'createdBy'>;

export interface Store {
  /**
   * Journals a new pending operation with one pending step per plan step and takes the cluster's lock, in
   * one transaction. Rejects with OperationInProgress when a non-terminal operation holds the lock.
   */
  createOperation(op: NewOperation): Promise<Operation>;
  getOperation(id: string): Promise<Operation | null>;
  /** These operations, in one read; unknown ids are left out, the order is the store's. */
  getOperations(ids: readonly string[]): Promise<Operation[]>;
  /** Whether a cancel was requested (false for an unknown operation): the runner's cheap poll, no plan parsed. */
  cancelRequested(id: string): Promise<boolean>;
  /** Newest first. */
  listOperations(clusterId: string, limit?: number): Promise<Operation[]>;
  /** Every operation not in a terminal status, oldest first: what a restarted runner resumes. */
  listUnfinishedOperations(): Promise<Operation[]>;
  /** The lock holder of a cluster, or null. */
  lockHolder(clusterId: string): Promise<string | null>;
  /** pending -> running (and cancelling stays cancelling); no-op for terminal operations. */
  markOperationRunning(id: string): Promise<void>;

  /** In plan order. */
  steps(operationId: string): Promise<StepRecord[]>;
  markStepRunning(operationId: string, index: number): Promise<void>;
  markStepDone(operationId: string, index: number, detail?: JsonValue | null): Promise<void>;
  markStepFailed(operationId: string, index: number, error: string): Promise<void>;
  markStepSkipped(operationId: string, index: number, reason?: string): Promise<void>;
  setStepProgress(operationId: string, index: number, progress: StepProgress | null): Promise<void>;

  appendLog(operationId: string, level: LogLevel, message: string, said?: LogSaid): Promise<LogEntry>;
  /** Oldest first; only entries with an id greater than `sinceId` when given. */
  logs(operationId: string, sinceId?: number): Promise<LogEntry[]>;

  /**
   * Sets cancelRequested (and status cancelling when running or pending). Returns the operation, or null
   * when it does not exist. A terminal operation is returned unchanged.
   */
  requestCancel(id: string): Promise<Operation | null>;
  /**
   * Ends the operation, releases its cluster lock and writes its outcome audit entry (actor: the
   * operation's, action `operation.<kind>`, detail { summary, error }), all in one transaction, so an
   * ended operation always has its audit entry and never a lock.
   */
  finishOperation(
    id: string,
    status: TerminalOperationStatus,
    outcome?: { error?: string | null; summary?: string | null; summarySaid?: LogSaid | null },
  ): Promise<Operation>;

  /**
   * Secrets an operation makes before the resource that will hold them exists (a new cluster's CA keys,
   * between the certificates step and the instance whose metadata carries them). Server-only: no view,
   * route or step detail reads them. Keeps the first value written for a key and returns the one kept, so
   * a step run again after a crash gets what its first run stored. finishOperation deletes them.
   */
  putOperationSecretOnce(operationId: string, key: string, value: string): Promise<string>;
  operationSecret(operationId: string, key: string): Promise<string | null>;
  deleteOperationSecrets(operationId: string): Promise<void>;

  /** The audit log is append-only: entries are added, never changed or deleted (the store enforces it). */
  addAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /**
   * One refusal of someone not signed in, folded per source and UTC minute (lib/server/audit/anonymous-refusals.ts):
   * the minute's first from a source is appended to the audit log as `first`, in the same transaction; later
   * ones are only counted, in the store file, so neither a crash nor a stop loses them. True when it was the first.
   */
  countAnonymousRefusal(
    refusal: { source: string | null; minute: string; action: string },
    first: NewAuditEntry,
  ): Promise<boolean>;
  /**
   * For every counted minute before `before` (ISO), appends the audit row `entry` makes of its count and
   * forgets the count, in one transaction (two processes never write a minute twice). Returns the rows added.
   */
  closeAnonymousRefusalMinutes(
    before: string,
    entry: (counted: CountedAnonymousRefusals) => NewAuditEntry,
  ): Promise<AuditEntry[]>;
  /** Newest first, at most `limit` (default 100); page on with `beforeId` set to the last id returned. */
  listAudit(filter?: AuditFilter, limit?: number): Promise<AuditEntry[]>;

  /** The pinned host key of an instance id, or null. */
  hostKeyPin(instanceId: string): Promise<HostKeyPin | null>;
  /**
   * Pins a host key unless one is pinned for that instance id already, and returns the pin kept: two
   * processes pinning at once agree on the first. A pin never changes; it is only forgotten.
   */
  pinHostKeyOnce(pin: Omit<HostKeyPin, 'pinnedAt'>): Promise<HostKeyPin>;
  /**
   * Replaces an instance's pin with `pin`, only while the pinned key's fingerprint is still `expectedFingerprint`
   * (an admin trusting a changed host key: two admins, or a pin changed since the page was read, must not
   * overwrite each other). Returns the pin kept: `pin` when replaced, else the current one (null when none).
   */
  replaceHostKeyPin(
    expectedFingerprint: string,
    pin: Omit<HostKeyPin, 'pinnedAt'>,
  ): Promise<{ replaced: boolean; pin: HostKeyPin | null }>;
  /** Forgets an instance's pin (an operator accepting a new host key); true when there was one. */
  forgetHostKeyPin(instanceId: string): Promise<boolean>;

  /** Journaled operations counted by cluster, kind and status. */
  countOperations(): Promise<OperationCount[]>;

  /** The alerts firing (or not yet resolved) per cluster, as the alert evaluator left them; every cluster's without an id. */
  alertStates(clusterId?: string): Promise<AlertState[]>;
  /** Replaces a cluster's alert states with `states`, in one transaction. */
  replaceAlertStates(clusterId: string, states: readonly AlertState[]): Promise<void>;

  /**
   * Records an observed state of a cluster's timeline at `at`: extends its latest entry (its `until`) when `state` is
   * the same JSON and it was last seen at most `maxGapMs` before, else appends a new entry. Entries older than
   * `keepSince` are deleted on the way.
   */
  recordTimeline(
    clusterId: string,
    at: string,
    state: string,
    opts: { maxGapMs: number; keepSince: string },
  ): Promise<void>;
  /** The cluster's entries that end at or after `since`, oldest first (state as recorded JSON). */
  timeline(clusterId: string, since: string): Promise<Array<{ at: string; until: string; state: string }>>;

  /**
   * Since when each failure of a cluster has been seen, as saved from the observation at `at` (ISO); null when
   * nothing was saved (or it is unreadable). Failure classes this version does not know are left out.
   */
  failureSince(clusterId: string): Promise<{ at: string; since: FailureSince } | null>;
  /** Saves a cluster's FailureSince as of the observation at `at`, unless one from a later observation is saved. */
  saveFailureSince(clusterId: string, at: string, since: FailureSince): Promise<void>;

  /** Oldest first. */
  listWebhooks(): Promise<Webhook[]>;
  addWebhook(webhook: NewWebhook): Promise<Webhook>;
  /** The webhook after the change, or null when there is no such webhook. */
  setWebhookEnabled(id: string, enabled: boolean): Promise<Webhook | null>;
  /** The webhook deleted, or null when there was none. */
  deleteWebhook(id: string): Promise<Webhook | null>;
  /** Keeps the latest delivery attempt of a webhook (nothing when it was deleted meanwhile). */
  recordWebhookDelivery(id: string, delivery: WebhookDelivery): Promise<void>;

  close(): Promise<void>;
}
