import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, storePathIn } from '@/lib/adapters/store/sqlite-store';
import { systemClock } from '@/lib/ports/clock';
import type { PlanInput } from '@/lib/ports/store';
import { bundleNodeScript } from '@/tests/support/bundle-node-script';
import { createRunner } from './runner';
import { fakeWorldExecutors, readWorld } from './testing/fake-world';

// Kills a real runner process with SIGKILL at every step boundary (and inside steps, around their
// effect), then resumes the operation from the same SQLite file in a new runner, and checks the fake
// world: every step done, every effect applied exactly once, the name chosen before the crash kept.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const childSource = path.join(root, 'lib', 'server', 'operations', 'testing', 'crash-child.ts');
// The child is bundled once and started with plain node (see bundleNodeScript); the bundle sits inside
// node_modules so better-sqlite3, kept external for its native binding, resolves as it does for the app.
let childBundle: string;

beforeAll(async () => {
  childBundle = await bundleNodeScript(childSource);
}, 60_000);

const plan: PlanInput = {
  steps: [
    {
      id: 'lb',
      kind: 'ensure-resource',
      title: 'Ensure the load balancer',
      params: { key: 'lb', value: 'forwarding-rule' },
    },
    { id: 'pick', kind: 'pick-name', title: 'Pick the name', params: { prefix: 'master' } },
    { id: 'instance', kind: 'ensure-instance', title: 'Ensure the instance', params: { nameFrom: 'pick' } },
    {
      id: 'pool',
      kind: 'ensure-resource',
      title: 'Add to the target pool',
      params: { key: 'pool-member', value: 'yes' },
    },
  ],
};

type Point = { at: string; step: string; journaled: 'pending' | 'running' | 'done'; midStep: boolean };
const points: Point[] = plan.steps.flatMap((s, i): Point[] => [
  { at: `${i}:before-step`, step: s.id, journaled: 'pending', midStep: false },
  ...(s.kind === 'pick-name'
    ? [{ at: `${s.id}:after-choose`, step: s.id, journaled: 'running' as const, midStep: true }]
    : [
        { at: `${s.id}:before-effect`, step: s.id, journaled: 'running' as const, midStep: true },
        { at: `${s.id}:after-effect`, step: s.id, journaled: 'running' as const, midStep: true },
      ]),
  // After step i is journaled done the journal equals the one at step i+1's before-step, so only the
  // last step's after-step (all done, operation not yet finished) is a boundary of its own.
  ...(i === plan.steps.length - 1
    ? [{ at: `${i}:after-step`, step: s.id, journaled: 'done' as const, midStep: false }]
    : []),
]);

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** Runs the operation in a child process until it pauses at `at`, then kills it with SIGKILL. */
async function runUntilKilled(env: Record<string, string>, pausedFile: string): Promise<void> {
  const proc = spawn(process.execPath, [childBundle], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 25_000;
    while (!existsSync(pausedFile)) {
      if (proc.exitCode !== null || Date.now() > deadline)
        throw new Error(`child never paused (exit ${proc.exitCode}): ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    proc.kill('SIGKILL');
    await exited;
  } finally {
    children.delete(proc);
  }
}

describe.concurrent('runner crash and resume (kill -9 at every boundary)', () => {
  it.each(points)('resumes after a kill at $at', { timeout: 45_000 }, async ({ at, step, journaled, midStep }) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'quorum-crash-'));
    try {
      const dbFile = storePathIn(dir);
      const worldFile = path.join(dir, 'world.json');
      let store = await openSqliteStore(dir);
      const created = await store.createOperation({
        clusterId: 'p/r/m',
        kind: 'add-replica',
        intent: { zone: 'z' },
        plan,
        actor: 'alice',
      });
      await store.close();

      await runUntilKilled(
        {
          QUORUM_TEST_DB: dbFile,
          QUORUM_TEST_WORLD: worldFile,
          QUORUM_TEST_OPERATION: created.id,
          QUORUM_PAUSE_AT: at,
          QUORUM_PAUSED_FILE: path.join(dir, 'paused'),
        },
        path.join(dir, 'paused'),
      );

      store = await openSqliteStore(dir);
      try {
        // What the journal held when the process died: the before/after writes were committed in time.
        const atKill = await store.steps(created.id);
        const killedIndex = plan.steps.findIndex((s) => s.id === step);
        expect(atKill[killedIndex]?.status).toBe(journaled);
        expect(atKill.slice(0, killedIndex).every((s) => s.status === 'done')).toBe(true);
        expect(atKill.slice(killedIndex + 1).every((s) => s.status === 'pending')).toBe(true);
        expect((await store.getOperation(created.id))?.status).toBe('running');
        expect(await store.lockHolder('p/r/m')).toBe(created.id);

        const world = fakeWorldExecutors(worldFile);
        const runner = createRunner({
          store,
          clock: systemClock,
          executors: world.executors,
          compensations: world.compensations,
          log: () => {},
        });
        const { resumed, settled } = await runner.resumeUnfinished();
        expect(resumed).toEqual([created.id]);
        const [ended] = await settled;

        expect(ended?.status).toBe('succeeded');
        const steps = await store.steps(created.id);
        expect(steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
        const name = (steps[1]?.detail as { name?: string } | null)?.name;
        expect(name).toMatch(/^master-[0-9a-f]{6}$/);

        const after = readWorld(worldFile);
        // Every effect exactly once, the instance under the name the journal kept.
        expect(after.resources).toEqual({
          lb: 'forwarding-rule',
          [`instance/${name}`]: 'RUNNING',
          'pool-member': 'yes',
        });
        expect(after.applied).toEqual({ lb: 1, [`instance/${name}`]: 1, 'pool-member': 1 });
        // Only the step that was running at the kill was entered twice.
        const expectedCalls = Object.fromEntries(plan.steps.map((s) => [s.id, s.id === step && midStep ? 2 : 1]));
        expect(after.calls).toEqual(expectedCalls);
        expect(await store.lockHolder('p/r/m')).toBeNull();
        expect((await store.listAudit({ operationId: created.id })).map((a) => [a.outcome, a.detail])).toEqual([
          ['succeeded', { summary: 'Succeeded: all 4 steps done.', error: null }],
          ['started', { resumed: true }],
          ['started', { resumed: false }],
        ]);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
