// What the operation page shows: the journal of one operation. Pure types; the server fills them from the store.
import type { PlanCalls } from './dry-run';
import type { LogError, LogSaid } from './operation-log';
import type { PlanParams, StepParams } from './planner';

export type OperationStepView = {
  index: number;
  /** The plan's step id and params: with the kind, what the page words the title and the note from. */
  stepId: string;
  params: StepParams;
  /** The English title, as journaled (also the words when the catalog has none for the kind). */
  title: string;
  kind: string;
  status: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  startedAt: string | null;
  endedAt: string | null;
  progress: { fraction?: number; etaSeconds?: number; message?: string; said?: LogSaid } | null;
  error: string | null;
  /** The sentence `error` is, when Quorum's own words failed the step. */
  errorSaid?: LogError | null;
  /** The planner's note when the state after this step is a temporary risky one. */
  transient: string | null;
  /** The zone the plan gave the step (`params.zone`), when it has one: a stockout names it. */
  zone?: string | null;
};

export type OperationView = {
  id: string;
  clusterId: string;
  kind: string;
  /** The plan's summary in English, as journaled. */
  summary: string;
  /** What the page words the summary from (the intent's kind, Plan.summaryParams); null for a plan without them. */
  summaryWords: { intentKind: string; params: PlanParams } | null;
  status: 'pending' | 'running' | 'cancelling' | 'succeeded' | 'failed' | 'cancelled';
  actor: string;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  error: string | null;
  /** Where it stopped and what state the cluster is in, once it ended. */
  outcome: string | null;
  /** The outcome by key and params, for the page to word; null when it has none (older operations). */
  outcomeSaid: LogSaid | null;
  kubeUpCommand: string | null;
  /** The dry run kept with the plan when the operation was created; null for one journaled before there were dry runs. */
  calls: PlanCalls | null;
  steps: OperationStepView[];
  /** `message` in English; `said` the same sentence by key and params for the page to word (null on older lines). */
  log: Array<{ id: number; at: string; level: 'info' | 'warn' | 'error'; message: string; said: LogSaid | null }>;
  /** When this view was read from the journal. */
  observedAt: string;
};

export const TERMINAL_STATUSES: ReadonlySet<OperationView['status']> = new Set(['succeeded', 'failed', 'cancelled']);
