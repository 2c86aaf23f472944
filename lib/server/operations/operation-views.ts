import 'server-only';
import { parsePlanCalls } from '@/lib/core/dry-run';
import type { LogError, LogParams, LogSaid } from '@/lib/core/operation-log';
import type { OperationView } from '@/lib/core/operation-view';
import type { PlanParams } from '@/lib/core/planner';
import type { Store } from '@/lib/ports/store';
import { describeError } from '@/lib/server/describe-error';
import { Feed, feedFor } from '@/lib/server/live/feed';
import { redactSecrets } from '@/lib/server/security/redact';

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
// Errors and log lines may quote what a provider answered, metadata included: no private key reaches the page.
const shown = (value: string | null): string | null => (value === null ? null : redactSecrets(value));
const paramsShown = (params: LogParams): LogParams =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, redactSecrets(v)]));
const saidShown = (said: LogSaid | null): LogSaid | null =>
  said === null
    ? null
    : {
        ...said,
        params: paramsShown(said.params),
        ...(said.errorSaid ? { errorSaid: { ...said.errorSaid, params: paramsShown(said.errorSaid.params) } } : {}),
      };
/** The sentence each failed step's error is, from its `stepFailed` line, by step index. */
const errorsSaid = (log: readonly { said: LogSaid | null }[]): Map<number, LogError> =>
  new Map(
    log.flatMap((l) => {
      const said = saidShown(l.said);
      return said?.key === 'stepFailed' && said.step !== undefined && said.errorSaid
        ? [[said.step, said.errorSaid] as const]
        : [];
    }),
  );

/** What words a stored plan's summary in the reader's language: its intent's kind and the summary's params. */
export function summaryWordsOf(stored: unknown): OperationView['summaryWords'] {
  const plan = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<string, unknown>;
  const intentKind = text((plan.intent as Record<string, unknown> | undefined)?.kind);
  const summaryParams = plan.summaryParams;
  return intentKind !== null && typeof summaryParams === 'object' && summaryParams !== null
    ? { intentKind, params: summaryParams as PlanParams }
    : null;
}

/** One operation as its page shows it, read from the journal; null when there is no such operation. */
export async function readOperationView(store: Store, id: string): Promise<OperationView | null> {
  const operation = await store.getOperation(id);
  if (!operation) return null;
  const [steps, log] = await Promise.all([store.steps(id), store.logs(id)]);
  const plan = operation.plan as Record<string, unknown>;
  const stepErrors = errorsSaid(log);
  return {
    id: operation.id,
    clusterId: operation.clusterId,
    kind: operation.kind,
    summary: text(plan.summary) ?? operation.kind,
    summaryWords: summaryWordsOf(operation.plan),
    status: operation.status,
    actor: operation.actor,
    createdAt: operation.createdAt,
    updatedAt: operation.updatedAt,
    endedAt: operation.endedAt,
    error: shown(operation.error),
    outcome: shown(operation.summary),
    outcomeSaid: saidShown(operation.summarySaid ?? null),
    kubeUpCommand: text(plan.kubeUpCommand),
    // As the plan was when the operation was created, whatever the planner lists today.
    calls: parsePlanCalls(plan.calls),
    steps: steps.map((s) => ({
      index: s.index,
      stepId: s.stepId,
      params: operation.plan.steps[s.index]?.params ?? {},
      title: s.title,
      kind: s.kind,
      status: s.status,
      startedAt: s.startedAt,
      endedAt: s.endedAt,
      progress: s.progress,
      error: shown(s.error),
      errorSaid: stepErrors.get(s.index) ?? null,
      transient: text((operation.plan.steps[s.index] as Record<string, unknown> | undefined)?.transient),
      zone: text(operation.plan.steps[s.index]?.params.zone),
    })),
    log: log.slice(-200).map((l) => ({
      id: l.id,
      at: l.at,
      level: l.level,
      message: redactSecrets(l.message),
      said: saidShown(l.said),
    })),
    observedAt: new Date().toISOString(),
  };
}

export class OperationNotFoundError extends Error {
  constructor(id: string) {
    super(`No operation ${id}.`);
  }
}

/** Live journal of one operation, polled from the store (the runner may run in another process after a restart). */
export function operationFeed(store: Store, id: string): Feed<OperationView> {
  return feedFor(
    `operation:${id}`,
    () =>
      new Feed(
        async () => {
          const view = await readOperationView(store, id);
          if (!view) throw new OperationNotFoundError(id);
          return view;
        },
        400,
        describeError,
      ),
  );
}
