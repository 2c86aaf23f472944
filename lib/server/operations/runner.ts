import 'server-only';
// Executes a journaled operation's plan step by step. Every transition is committed to the store before
// the runner moves on: `running` before a step acts, `done` (with the step's detail) after it returns. So
// after a crash the journal says which step may be half done, and resuming runs exactly that step again;
// steps are idempotent ensure-functions, which makes that safe. Cancel is honoured at step boundaries (a
// step may also stop early through its AbortSignal). On failure, done steps whose kind the plan lists in
// `rollback` are compensated newest first. The store's cluster lock keeps one operation per cluster;
// operations of different clusters run concurrently. Within one pass the runner is the only writer of its
// operation's steps, so it reads the plan and the steps once and keeps them in step with what it writes;
// only the cancel flag, which anyone may set, is read again.
import type { ComputeWhy } from '@/lib/core/compute-why';
import {
  logLine,
  saidErrorOf,
  withErrorSaid,
  withErrorWhy,
  type LogError,
  type LogLine,
} from '@/lib/core/operation-log';
import { computeWhyOf } from '@/lib/ports/provider-error';
import type { Clock } from '@/lib/ports/clock';
import {
  isTerminalOperationStatus,
  jsonValueSchema,
  type JsonValue,
  type LogLevel,
  type Operation,
  type StepProgress,
  type StepRecord,
  type Store,
  type StoredPlanStep,
  type TerminalOperationStatus,
} from '@/lib/ports/store';

/** What a step executor sees. */
export type StepContext = {
  operation: Operation;
  /** The plan's step, with its params. */
  step: StoredPlanStep;
  index: number;
  /** Reports progress; written to the journal (the operation page polls or streams it). */
  progress(p: StepProgress): Promise<void>;
  /** Writes a line to the journal under the step's title (lib/core/operation-log.ts has the sentences). */
  log(line: LogLine, level?: LogLevel): Promise<void>;
  /** Aborted when the operation is cancelled; a step that waits long should honour it. */
  signal: AbortSignal;
  /** The `detail` every earlier done step returned, by step id; survives a restart (it is journaled). */
  results: Readonly<Record<string, JsonValue | null>>;
  /**
   * The runner pass this step runs in: one object per run of the operation in this process, a new one
   * after a restart, none for compensations. Steps may key caches of what they observed on it (see
   * loadCluster), so one pass reads the cluster once rather than at every step, and a resumed run starts
   * with nothing cached. Never journaled.
   */
  pass?: object;
};

export type StepOutcome = { detail?: JsonValue };

/**
 * An idempotent ensure-function: it observes whether its effect is already there before acting, because
 * after a crash the runner calls it again for the step that was running.
 */
export type StepExecutor = (ctx: StepContext) => Promise<StepOutcome | void>;

/**
 * Undoes a done step when a later step fails and the plan lists the step's kind in `rollback`. Also
 * idempotent: a crash during rollback runs it again. `ctx.results[ctx.step.id]` is the step's own detail.
 */
export type StepCompensation = (ctx: StepContext) => Promise<void>;

export const CHECKPOINT_PHASES = ['before-step', 'step-returned', 'after-step'] as const;
export type CheckpointPhase = (typeof CHECKPOINT_PHASES)[number];

export type RunnerLog = (level: LogLevel, message: string, error?: unknown) => void;

export type RunnerOptions = {
  store: Store;
  clock: Clock;
  executors: Readonly<Record<string, StepExecutor>>;
  compensations?: Readonly<Record<string, StepCompensation>>;
  /** Server-side log (console by default); the operation's own log goes to the store. */
  log?: RunnerLog;
  /**
   * Called at each step boundary: before the step's `running` write, after its executor returned but
   * before its `done` write (the effect is applied, the journal still says `running`), and after the
   * `done` write. A seam for crash tests (see QUORUM_FAILPOINT in runtime.ts); the runner does nothing
   * else there.
   */
  checkpoint?: (point: { operationId: string; index: number; phase: CheckpointPhase }) => Promise<void>;
  /**
   * How often a running step re-reads the journal's cancel flag (default 1000 ms), so a cancel written by
   * another process (another dashboard instance, a CLI) still aborts the step's signal.
   */
  cancelPollMs?: number;
};

export type Runner = {
  /** Runs (or continues) an operation; the promise resolves with the operation once it ended. Calling it again while it runs returns the same promise. */
  start(operationId: string): Promise<Operation>;
  /** Starts every unfinished operation in the journal; `settled` resolves when they all ended. */
  resumeUnfinished(): Promise<{ resumed: string[]; settled: Promise<Operation[]> }>;
  /** Asks the operation to stop at its next step boundary and aborts the running step's signal. Null when there is no such operation. */
  /** `source`: where the cancel was asked from (the canceller's address; the operation's own when not given). */
  cancel(operationId: string, actor?: string, source?: string | null): Promise<Operation | null>;
};

const consoleLog: RunnerLog = (level, message, error) => {
  const line = `[quorum runner] ${message}`;
  if (level === 'error') console.error(line, error ?? '');
  else if (level === 'warn') console.warn(line);
  else console.info(line);
};

const INTERRUPTED_BY_CANCEL = 'interrupted by cancel';

/** An estimate slightly out of range (a learner briefly ahead of the leader's index) must not fail the step. */
function clampProgress(p: StepProgress): StepProgress {
  const out: StepProgress = {};
  if (p.fraction !== undefined && Number.isFinite(p.fraction)) out.fraction = Math.min(1, Math.max(0, p.fraction));
  if (p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds)) out.etaSeconds = Math.max(0, p.etaSeconds);
  if (p.message !== undefined) out.message = p.message;
  if (p.said !== undefined) out.said = p.said;
  return out;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Where a stopped operation left the cluster, from the journal: the params of the `cancelled` and `failed` sentences
 * (lib/core/operation-log.ts), and which of them hold a step's title.
 */
function stoppingPoint(steps: readonly StepRecord[], interrupted: StepRecord | null) {
  const done = steps.filter((s) => s.status === 'done');
  const last = done.at(-1);
  const notRun = steps.filter((s) => s.status === 'pending' || s.status === 'skipped').length;
  const params = {
    done: String(done.length),
    total: String(steps.length),
    lastStep: last?.title ?? 'none',
    lastStepNo: last ? String(last.index + 1) : 'none',
    interruptedStep: interrupted?.title ?? 'none',
    interruptedStepNo: interrupted ? String(interrupted.index + 1) : 'none',
    notRun: String(notRun),
  };
  const stepOf: Record<string, number> = {};
  if (last) stepOf.lastStep = last.index;
  if (interrupted) stepOf.interruptedStep = interrupted.index;
  return { params, stepOf };
}

/** Step titles as the summaries list them: each quoted, comma-joined. */
const quotedTitles = (list: readonly StepRecord[]) => list.map((s) => `"${s.title}"`).join(', ');

export function createRunner(opts: RunnerOptions): Runner {
  const { store } = opts;
  const serverLog = opts.log ?? consoleLog;
  const inFlight = new Map<string, Promise<Operation>>();
  const aborts = new Map<string, AbortController>();

  /** A line of the runner's own; `step` is the index of the plan step it names, if any. */
  async function journal(opId: string, level: LogLevel, line: LogLine | string, step?: number): Promise<void> {
    if (typeof line === 'string') await store.appendLog(opId, level, line);
    else await store.appendLog(opId, level, line.text, step === undefined ? line.said : { ...line.said, step });
  }

  async function finish(
    op: Operation,
    status: TerminalOperationStatus,
    outcome: { error?: string; summary: string | LogLine },
  ): Promise<Operation> {
    await journal(op.id, status === 'succeeded' ? 'info' : status === 'cancelled' ? 'warn' : 'error', outcome.summary);
    const ended = await store.finishOperation(op.id, status, {
      error: outcome.error ?? null,
      ...(typeof outcome.summary === 'string'
        ? { summary: outcome.summary }
        : { summary: outcome.summary.text, summarySaid: outcome.summary.said }),
    });
    return ended;
  }

  function contextFor(
    op: Operation,
    step: StoredPlanStep,
    index: number,
    signal: AbortSignal,
    results: Record<string, JsonValue | null>,
    pass?: object,
  ): StepContext {
    return {
      operation: op,
      step,
      index,
      signal,
      results: { ...results },
      ...(pass ? { pass } : {}),
      progress: (p) => store.setStepProgress(op.id, index, clampProgress(p)),
      log: (line, level = 'info') =>
        store.appendLog(op.id, level, `${step.title}: ${line.text}`, { ...line.said, step: index }).then(() => {}),
    };
  }

  async function cancelAt(op: Operation, steps: StepRecord[], interrupted: StepRecord | null): Promise<Operation> {
    for (const s of steps) {
      if (s.status === 'pending' || s.status === 'running')
        await store.markStepSkipped(op.id, s.index, s === interrupted ? INTERRUPTED_BY_CANCEL : 'cancelled');
    }
    const at = stoppingPoint(steps, interrupted);
    const summary = logLine('cancelled', at.params);
    return finish(op, 'cancelled', { summary: { ...summary, said: { ...summary.said, stepOf: at.stepOf } } });
  }

  /** Runs the plan's compensations for done steps, newest first; returns the steps rolled back and what went wrong. */
  async function rollBack(
    op: Operation,
    steps: StepRecord[],
    results: Record<string, JsonValue | null>,
  ): Promise<{ rolledBack: StepRecord[]; problems: string[] }> {
    const kinds = new Set(op.plan.rollback ?? []);
    const rolledBack: StepRecord[] = [];
    const problems: string[] = [];
    const signal = new AbortController().signal;
    for (const s of [...steps].reverse()) {
      if (s.status !== 'done' || !kinds.has(s.kind)) continue;
      const compensate = opts.compensations?.[s.kind];
      const planStep = op.plan.steps[s.index];
      if (!compensate || !planStep) continue;
      try {
        await journal(op.id, 'warn', logLine('rollingBack', { step: s.title }), s.index);
        await compensate(contextFor(op, planStep, s.index, signal, results));
        rolledBack.push(s);
      } catch (e) {
        problems.push(`rolling back "${s.title}" failed: ${messageOf(e)}`);
        await journal(
          op.id,
          'error',
          withErrorWhy(logLine('rollbackFailed', { step: s.title, error: messageOf(e) }), computeWhyOf(e)),
          s.index,
        );
      }
    }
    return { rolledBack, problems };
  }

  async function failWith(
    op: Operation,
    steps: StepRecord[],
    failed: StepRecord,
    error: string,
    why: ComputeWhy | null = null,
    said: LogError | null = null,
  ): Promise<Operation> {
    const { rolledBack, problems } = await rollBack(op, steps, resultsOf(steps));
    for (const s of steps)
      if (s.status === 'pending') await store.markStepSkipped(op.id, s.index, 'not run: an earlier step failed');
    const at = stoppingPoint(steps, null);
    const undone = new Set(rolledBack.map((s) => s.index));
    const kept = rolledBack.length === 0 ? [] : steps.filter((s) => s.status === 'done' && !undone.has(s.index));
    const line = withErrorWhy(
      logLine('failed', {
        ...at.params,
        failedStep: failed.title,
        failedStepNo: String(failed.index + 1),
        error,
        outcome: rolledBack.length === 0 ? 'stopped' : 'rolledBack',
        rolledBack: quotedTitles(rolledBack),
        kept: kept.length > 0 ? quotedTitles(kept) : 'none',
        problems: problems.length > 0 ? problems.join('; ') : 'none',
      }),
      why,
    );
    const worded = withErrorSaid(line, said);
    return finish(op, 'failed', {
      error,
      summary: {
        ...worded,
        said: {
          ...worded.said,
          stepOf: { ...at.stepOf, failedStep: failed.index },
          stepsOf: { rolledBack: rolledBack.map((s) => s.index), kept: kept.map((s) => s.index) },
        },
      },
    });
  }

  function resultsOf(steps: readonly StepRecord[]): Record<string, JsonValue | null> {
    const results: Record<string, JsonValue | null> = {};
    for (const s of steps) if (s.status === 'done') results[s.stepId] = s.detail;
    return results;
  }

  async function run(operationId: string): Promise<Operation> {
    const initial = await store.getOperation(operationId);
    if (!initial) throw new Error(`No operation ${operationId}`);
    if (isTerminalOperationStatus(initial.status)) return initial;

    const resumed = initial.status !== 'pending';
    await store.markOperationRunning(operationId);
    await store.addAudit({
      actor: initial.actor,
      action: `operation.${initial.kind}`,
      clusterId: initial.clusterId,
      operationId,
      outcome: 'started',
      detail: { resumed },
    });
    await journal(operationId, 'info', logLine(resumed ? 'resumed' : 'started'));

    let steps = await store.steps(operationId);
    // A failed step with the operation not ended means the runner died during rollback: finish it.
    const failedEarlier = steps.find((s) => s.status === 'failed');
    if (failedEarlier) return failWith(initial, steps, failedEarlier, failedEarlier.error ?? 'step failed');
    // Skipped steps with a cancel requested means the runner died while cancelling: finish the cancel.
    if (initial.cancelRequested && steps.some((s) => s.status === 'skipped')) {
      return cancelAt(initial, steps, steps.find((s) => s.error === INTERRUPTED_BY_CANCEL) ?? null);
    }

    // markOperationRunning moved a pending operation to running; the journal is not read again for that.
    let op: Operation = initial.status === 'pending' ? { ...initial, status: 'running' } : initial;
    const pass = {};
    for (let index = 0; index < steps.length; index++) {
      const record = steps[index];
      if (!record || record.status === 'done' || record.status === 'skipped') continue;
      const planStep = op.plan.steps[index];
      if (!planStep) throw new Error(`Operation ${operationId}: step ${index} is journaled but not in the plan`);

      // A step found `running` was interrupted by a crash: finish it first (it is idempotent), so even a
      // cancelled operation stops at a step boundary rather than inside a half-applied step.
      const interruptedByCrash = record.status === 'running';
      if (!op.cancelRequested && (await store.cancelRequested(operationId))) op = { ...op, cancelRequested: true };
      if (op.cancelRequested && !interruptedByCrash) return cancelAt(op, steps, null);

      await opts.checkpoint?.({ operationId, index, phase: 'before-step' });
      await store.markStepRunning(operationId, index);
      steps[index] = { ...record, status: 'running' };
      if (interruptedByCrash) await journal(operationId, 'warn', logLine('runAgain', { step: planStep.title }), index);

      const controller = new AbortController();
      if (op.cancelRequested) controller.abort();
      aborts.set(operationId, controller);
      const poll = setInterval(() => {
        store
          .cancelRequested(operationId)
          .then((requested) => {
            if (requested) controller.abort();
          })
          .catch(() => {});
      }, opts.cancelPollMs ?? 1_000);
      let outcome: StepOutcome | void;
      try {
        const executor = opts.executors[planStep.kind];
        if (!executor) throw new Error(`no executor for step kind "${planStep.kind}"`);
        outcome = await executor(contextFor(op, planStep, index, controller.signal, resultsOf(steps), pass));
      } catch (e) {
        clearInterval(poll);
        aborts.delete(operationId);
        const now = await store.getOperation(operationId);
        steps = await store.steps(operationId);
        const current = steps[index] ?? record;
        if (now?.cancelRequested && controller.signal.aborted) return cancelAt(now, steps, current);
        const error = messageOf(e);
        await store.markStepFailed(operationId, index, error);
        const why = computeWhyOf(e);
        const said = saidErrorOf(e);
        await journal(
          operationId,
          'error',
          withErrorSaid(withErrorWhy(logLine('stepFailed', { step: planStep.title, error }), why), said),
          index,
        );
        steps = await store.steps(operationId);
        return failWith(now ?? op, steps, steps[index] ?? current, error, why, said);
      }
      clearInterval(poll);
      aborts.delete(operationId);
      await opts.checkpoint?.({ operationId, index, phase: 'step-returned' });
      const detail = outcome?.detail ?? null;
      await store.markStepDone(operationId, index, detail);
      // As a read of the journal would give it back: the detail through JSON.
      steps[index] = {
        ...record,
        status: 'done',
        detail: detail === null ? null : jsonValueSchema.parse(JSON.parse(JSON.stringify(detail))),
        error: null,
      };
      await opts.checkpoint?.({ operationId, index, phase: 'after-step' });
    }

    // Every step ran; a cancel that arrived during the last one came too late to change anything.
    return finish(op, 'succeeded', { summary: logLine('succeeded', { steps: String(steps.length) }) });
  }

  function start(operationId: string): Promise<Operation> {
    const existing = inFlight.get(operationId);
    if (existing) return existing;
    const promise = run(operationId)
      .catch((e: unknown) => {
        serverLog('error', `operation ${operationId} stopped: the journal could not be written`, e);
        throw e;
      })
      .finally(() => {
        inFlight.delete(operationId);
        aborts.delete(operationId);
      });
    inFlight.set(operationId, promise);
    // Callers may fire and forget; the failure is logged above, so an ignored promise must not crash the server.
    promise.catch(() => {});
    return promise;
  }

  return {
    start,
    async resumeUnfinished() {
      const unfinished = await store.listUnfinishedOperations();
      for (const op of unfinished) serverLog('info', `resuming operation ${op.id} (${op.kind}) on ${op.clusterId}`);
      const promises = unfinished.map((op) => start(op.id));
      // The caller may ignore `settled`; failures are already logged by start.
      const settled = Promise.all(promises);
      settled.catch(() => {});
      return { resumed: unfinished.map((op) => op.id), settled };
    },
    async cancel(operationId, actor, source) {
      const op = await store.requestCancel(operationId);
      if (op && !isTerminalOperationStatus(op.status)) {
        await journal(operationId, 'warn', logLine('cancelRequested'));
        await store.addAudit({
          actor: actor ?? op.actor,
          ...(source !== undefined ? { source } : {}),
          action: `operation.${op.kind}.cancel`,
          clusterId: op.clusterId,
          operationId,
          outcome: 'started',
          detail: null,
        });
        aborts.get(operationId)?.abort();
      }
      return op;
    },
  };
}
