import 'server-only';
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
      executors: createStepExecutors(c),
      compensations: createStepCompensations(c),
      log: (level, message, error) => console[level === 'info' ? 'log' : level](`[operations] ${message}`, error ?? ''),
      ...(c.env.QUORUM_FAILPOINT ? { checkpoint: failpoint(c.env.QUORUM_FAILPOINT) } : {}),
    });
  }
  return holder[KEY];
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
  if (resumed.length) console.log(`[operations] resuming ${resumed.length} interrupted operation(s): ${resumed.join(', ')}`);
  return resumed;
}
