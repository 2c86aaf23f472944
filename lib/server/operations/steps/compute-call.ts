import 'server-only';
import { logLine, withErrorWhy } from '@/lib/core/operation-log';
// Every Compute Engine call an operation step (or a rollback) makes goes through computeCall: a transient
// failure (429, 403 rateLimitExceeded, 5xx, resourceNotReady, no answer) is sent again with exponential
// backoff and jitter within the call's budget, each retry written to the operation's log; a mutation carries a
// requestId that is stored in the operation journal before the call is sent, so a retry, or the step run again
// after a crash, sends the same id and Compute answers with the first call's Operation instead of making a
// second disk or instance. A rollback's calls get ids of their own. Steps do not call this themselves:
// stepsCompute() hands them a ComputePort that does it for whichever step is running (inStep).
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { ComputePort, MutationOptions } from '@/lib/ports/compute';
import { isTransientProviderError } from '@/lib/ports/provider-error';
import type { Store } from '@/lib/ports/store';
import type { StepContext } from '@/lib/server/operations/runner';
import { pause } from './cluster-context';

export type StepPhase = 'forward' | 'rollback';
type StepScope = { ctx: StepContext; phase: StepPhase };
type RequestIdStore = Pick<Store, 'putOperationSecretOnce' | 'operationSecret'>;

const scope = new AsyncLocalStorage<StepScope>();

/** Runs a step's executor (or a compensation) so that the Compute calls it makes are retried and journaled for it. */
export function inStep<T>(ctx: StepContext, phase: StepPhase, run: () => Promise<T>): Promise<T> {
  return scope.run({ ctx, phase }, run);
}

/** Retry policy: first pause ~0.5 s, doubling up to 8 s, each with jitter; a call gives up after `budgetMs`. */
export const COMPUTE_RETRY = { baseMs: 500, maxMs: 8_000, budgetMs: 120_000 } as const;

/** The pause before attempt `attempt + 1`: exponential with "equal jitter" (half fixed, half random). */
export function backoffMs(
  attempt: number,
  random: () => number = Math.random,
  policy: { baseMs: number; maxMs: number } = COMPUTE_RETRY,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Where each mutation of the port takes its MutationOptions (0-based argument index). */
const MUTATION_OPTIONS_AT: Readonly<Partial<Record<keyof ComputePort, number>>> = {
  insertInstance: 1,
  deleteInstance: 3,
  startInstance: 3,
  resetInstance: 3,
  setInstanceMetadata: 5,
  addAccessConfig: 4,
  deleteAccessConfig: 4,
  insertDisk: 3,
  deleteDisk: 3,
  insertAddress: 4,
  deleteAddress: 3,
  insertTargetPool: 3,
  deleteTargetPool: 3,
  addTargetPoolInstance: 4,
  removeTargetPoolInstance: 4,
  insertForwardingRule: 3,
  deleteForwardingRule: 3,
  insertFirewall: 2,
  deleteFirewall: 2,
};

/** What names a call in the log and the journal: the method and its string arguments (project, zone, name) or a spec's name. */
function callLabel(method: string, args: readonly unknown[]): string {
  const parts = args.flatMap((a) => {
    if (typeof a === 'string') return [a];
    if (typeof a === 'object' && a !== null && 'name' in a && typeof a.name === 'string') {
      return 'zone' in a && typeof a.zone === 'string' ? [a.zone, a.name] : [a.name];
    }
    return [];
  });
  return `${method} ${parts.join('/')}`;
}

/** Where the journal keeps a call's requestId: per phase, step, call and generation. */
const requestIdKey = (s: StepScope, label: string, generation: number) =>
  `compute-request-id:${s.phase}:${s.ctx.step.id}:${label}:${generation}`;

/**
 * The requestId of this call in this step and phase, from the journal, written there first when there is none.
 * `renew` moves to a new one (after a failed Operation, whose id Compute would answer with the same failure).
 * Ids are kept as numbered generations, so a resumed step finds the latest.
 */
async function journaledRequestId(store: RequestIdStore, s: StepScope, label: string, renew: boolean): Promise<string> {
  const opId = s.ctx.operation.id;
  const key = (generation: number) => requestIdKey(s, label, generation);
  let generation = -1;
  let current: string | null = null;
  for (;;) {
    const next = await store.operationSecret(opId, key(generation + 1));
    if (next === null) break;
    generation++;
    current = next;
  }
  if (current !== null && !renew) return current;
  return store.putOperationSecretOnce(opId, key(generation + 1), randomUUID());
}

/**
 * The requestId with which the running step sent this mutation in an earlier run (journaled before it was sent),
 * or null when it has not sent it. A step run again after a crash asks Compute what became of that call
 * (ComputePort.awaitZoneMutation) before it sends anything. `args` name the call as the step makes it (for
 * insertInstance, an object with the zone and name of the spec is enough).
 */
export async function requestIdSentBefore(
  store: RequestIdStore,
  ctx: StepContext,
  method: keyof ComputePort,
  args: readonly unknown[],
): Promise<string | null> {
  const label = callLabel(method, args);
  let current: string | null = null;
  for (let generation = 0; ; generation++) {
    const id = await store.operationSecret(
      ctx.operation.id,
      requestIdKey({ ctx, phase: 'forward' }, label, generation),
    );
    if (id === null) return current;
    current = id;
  }
}

/**
 * Sends one Compute call for the running step: `send` gets the MutationOptions (the journaled requestId) for a
 * mutation, none for a read. Transient failures are retried until the budget is spent; anything else is thrown
 * at once.
 */
export async function computeCall<T>(
  store: RequestIdStore,
  s: StepScope,
  label: string,
  mutation: boolean,
  send: (opts: MutationOptions | null) => Promise<T>,
  policy: { baseMs: number; maxMs: number; budgetMs: number } = COMPUTE_RETRY,
): Promise<T> {
  const deadline = Date.now() + policy.budgetMs;
  let requestId = mutation ? await journaledRequestId(store, s, label, false) : null;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(requestId === null ? null : { requestId });
    } catch (e) {
      if (!isTransientProviderError(e)) throw e;
      const delay = backoffMs(attempt, Math.random, policy);
      if (Date.now() + delay > deadline) throw e;
      const renew = requestId !== null && e.operation !== null;
      await s.ctx.log(
        withErrorWhy(
          logLine('computeRetry', {
            call: label,
            code: e.code,
            error: e.message,
            attempt: String(attempt),
            seconds: (delay / 1_000).toFixed(1),
            requestId: requestId === null ? 'none' : renew ? 'new' : requestId,
          }),
          e.why,
        ),
        'warn',
      );
      await pause(delay, s.ctx.signal);
      if (renew) requestId = await journaledRequestId(store, s, label, true);
    }
  }
}

/**
 * The ComputePort the steps are given: inside a step (inStep) each call goes through computeCall for that step,
 * outside one (planning, observing) straight to `compute`.
 */
export function stepsCompute(
  compute: ComputePort,
  store: () => RequestIdStore,
  policy: { baseMs: number; maxMs: number; budgetMs: number } = COMPUTE_RETRY,
): ComputePort {
  return new Proxy(compute, {
    get(target, prop, receiver): unknown {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || typeof value !== 'function') return value;
      const at = MUTATION_OPTIONS_AT[prop as keyof ComputePort];
      return (...args: unknown[]): unknown => {
        const current = scope.getStore();
        if (!current) return Reflect.apply(value, target, args);
        return computeCall(
          store(),
          current,
          callLabel(prop, args),
          at !== undefined,
          (opts) => {
            if (opts === null || at === undefined) return Reflect.apply(value, target, args);
            const full = [...args];
            while (full.length < at) full.push(undefined);
            const given: unknown = full[at];
            full[at] = typeof given === 'object' && given !== null ? { ...given, ...opts } : opts;
            return Reflect.apply(value, target, full);
          },
          policy,
        );
      };
    },
  });
}
