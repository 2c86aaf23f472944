// What the operation page shows: the journal of one operation. Pure types; the server fills them from the store.

export type OperationStepView = {
  index: number;
  title: string;
  kind: string;
  status: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  startedAt: string | null;
  endedAt: string | null;
  progress: { fraction?: number; etaSeconds?: number; message?: string } | null;
  error: string | null;
  /** The planner's note when the state after this step is a temporary risky one. */
  transient: string | null;
};

export type OperationView = {
  id: string;
  clusterId: string;
  kind: string;
  summary: string;
  status: 'pending' | 'running' | 'cancelling' | 'succeeded' | 'failed' | 'cancelled';
  actor: string;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  error: string | null;
  /** Where it stopped and what state the cluster is in, once it ended. */
  outcome: string | null;
  kubeUpCommand: string | null;
  steps: OperationStepView[];
  log: Array<{ id: number; at: string; level: 'info' | 'warn' | 'error'; message: string }>;
  /** When this view was read from the journal. */
  observedAt: string;
};

export const TERMINAL_STATUSES: ReadonlySet<OperationView['status']> = new Set(['succeeded', 'failed', 'cancelled']);
