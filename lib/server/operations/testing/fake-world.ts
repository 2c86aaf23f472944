import 'server-only';
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { StepCompensation, StepExecutor } from '@/lib/server/operations/runner';

// A tiny persisted "cloud" for runner tests: resources by key, and counters proving how often each effect
// was applied. It lives in a JSON file so a killed process's effects are seen by the next one.

const worldSchema = z.object({
  resources: z.record(z.string(), z.string()),
  /** How many times each resource was created (an ensure must keep this at 1). */
  applied: z.record(z.string(), z.number()),
  /** How many times each resource was deleted by a compensation. */
  removed: z.record(z.string(), z.number()),
  /** How many times each step's executor was entered. */
  calls: z.record(z.string(), z.number()),
});
export type World = z.infer<typeof worldSchema>;

export function emptyWorld(): World {
  return { resources: {}, applied: {}, removed: {}, calls: {} };
}

export function readWorld(file: string): World {
  try {
    return worldSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return emptyWorld();
    throw e;
  }
}

export function writeWorld(file: string, world: World): void {
  // Rename is atomic: a kill -9 leaves the old or the new world, never half of one.
  writeFileSync(`${file}.tmp`, JSON.stringify(world));
  renameSync(`${file}.tmp`, file);
}

function update(file: string, change: (w: World) => void): World {
  const w = readWorld(file);
  change(w);
  writeWorld(file, w);
  return w;
}

export type Pause = (point: string) => Promise<void>;
const noPause: Pause = async () => {};

function stringParam(params: Record<string, string | number | boolean>, name: string): string {
  const v = params[name];
  if (typeof v !== 'string') throw new Error(`param ${name} missing`);
  return v;
}

/**
 * Step kinds over the world:
 * - `ensure-resource` {key, value}: creates the resource unless present.
 * - `pick-name` {prefix}: chooses a fresh random name (returned as detail; never re-chosen once done).
 * - `ensure-instance` {nameFrom}: creates `instance/<name>` with the name the step `nameFrom` picked.
 * - `fail` {message}: throws.
 * - `wait-for-abort`: resolves never, rejects when the operation's signal aborts.
 */
export function fakeWorldExecutors(
  file: string,
  pause: Pause = noPause,
): { executors: Record<string, StepExecutor>; compensations: Record<string, StepCompensation> } {
  const count = (stepId: string) => update(file, (w) => (w.calls[stepId] = (w.calls[stepId] ?? 0) + 1));

  async function ensure(stepId: string, key: string, value: string): Promise<{ created: boolean }> {
    // Observe first: after a crash the effect may already be there.
    if (readWorld(file).resources[key] !== undefined) return { created: false };
    await pause(`${stepId}:before-effect`);
    update(file, (w) => {
      w.resources[key] = value;
      w.applied[key] = (w.applied[key] ?? 0) + 1;
    });
    await pause(`${stepId}:after-effect`);
    return { created: true };
  }

  const executors: Record<string, StepExecutor> = {
    'ensure-resource': async ({ step }) => {
      count(step.id);
      const result = await ensure(step.id, stringParam(step.params, 'key'), stringParam(step.params, 'value'));
      return { detail: result };
    },
    'pick-name': async ({ step }) => {
      count(step.id);
      const name = `${stringParam(step.params, 'prefix')}-${randomBytes(3).toString('hex')}`;
      await pause(`${step.id}:after-choose`);
      return { detail: { name } };
    },
    'ensure-instance': async ({ step, results }) => {
      count(step.id);
      const picked = z.object({ name: z.string() }).parse(results[stringParam(step.params, 'nameFrom')]);
      const result = await ensure(step.id, `instance/${picked.name}`, 'RUNNING');
      return { detail: { ...result, name: picked.name } };
    },
    fail: async ({ step }) => {
      count(step.id);
      throw new Error(stringParam(step.params, 'message'));
    },
    'wait-for-abort': ({ step, signal }) => {
      count(step.id);
      return new Promise((_, reject) => {
        if (signal.aborted) reject(new Error('aborted'));
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    },
  };

  const compensations: Record<string, StepCompensation> = {
    'ensure-resource': async ({ step }) => {
      const key = stringParam(step.params, 'key');
      if (readWorld(file).resources[key] === undefined) return;
      update(file, (w) => {
        delete w.resources[key];
        w.removed[key] = (w.removed[key] ?? 0) + 1;
      });
    },
  };

  return { executors, compensations };
}
