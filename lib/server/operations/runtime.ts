import 'server-only';
import { inOperationLane } from '@/lib/adapters/compute-rate-limit';
import { container } from '@/lib/server/container';
import { createRunner, type Runner, type RunnerOptions } from './runner';
import { createStepCompensations, createStepExecutors } from './steps';

// One runner per server process, on globalThis like the container so dev-mode reloads share it.
const KEY = Symbol.for('quorum.server.runner');
type Holder = { [KEY]?: Runner };

export function operationsRunner(): Runner {
  const holder = globalThis as Holder;
  if (!holder[KEY]) {
    const c = container();
    holder[KEY] = createRunner({
      store: c.store,
      clock: c.clock,
      // Every Compute call of a step runs in the operation lane: it never waits behind the live views' calls.
      executors: inOperationLanes(createStepExecutors(c)),
      compensations: inOperationLanes(createStepCompensations(c)),
      log: (level, message, error) => console[level === 'info' ? 'log' : level](`[operations] ${message}`, error ?? ''),
      ...(c.env.QUORUM_FAILPOINT && c.env.QUORUM_FAILPOINT !== 'after-insert-sent'
        ? { checkpoint: failpoint(c.env.QUORUM_FAILPOINT) }
        : {}),
    });
  }
  return holder[KEY];
}

/** The executors (or compensations) with each run in the Compute operation lane. */
export function inOperationLanes<A, R>(
  steps: Record<string, (ctx: A) => Promise<R>>,
): Record<string, (ctx: A) => Promise<R>> {
  return Object.fromEntries(
    Object.entries(steps).map(([kind, step]) => [kind, (ctx: A) => inOperationLane(() => step(ctx))]),
  );
}

/**
 * QUORUM_FAILPOINT (sandbox only, see env.ts): `kill -9` of this very process when the runner reaches the
 * named checkpoint, so the crash test (tests/system) can stop the real dashboard at an exact step boundary.
 */
function failpoint(spec: string): NonNullable<RunnerOptions['checkpoint']> {
  return async ({ operationId, index, phase }) => {
    if (`${index}:${phase}` !== spec) return;
    console.error(`[operations] QUORUM_FAILPOINT ${spec} reached in ${operationId}: killing the server with SIGKILL`);
    process.kill(process.pid, 'SIGKILL');
    await new Promise<never>(() => {});
  };
}

/** At server start: every operation a crash or restart interrupted continues from its first unfinished step. */
export async function resumeInterruptedOperations(): Promise<string[]> {
  const { resumed } = await operationsRunner().resumeUnfinished();
  if (resumed.length)
    console.log(`[operations] resuming ${resumed.length} interrupted operation(s): ${resumed.join(', ')}`);
  return resumed;
}
