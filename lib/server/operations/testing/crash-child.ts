// Runs one journaled operation over the fake world and, when QUORUM_PAUSE_AT names a point, stops there
// (writing QUORUM_PAUSED_FILE) and waits to be killed. Started by runner-crash.test.ts with
// `tsx --conditions=react-server`.
import 'server-only';
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { systemClock } from '@/lib/ports/clock';
import { createRunner } from '@/lib/server/operations/runner';
import { fakeWorldExecutors, type Pause } from '@/lib/server/operations/testing/fake-world';

const args = z
  .object({
    QUORUM_TEST_DB: z.string().min(1),
    QUORUM_TEST_WORLD: z.string().min(1),
    QUORUM_TEST_OPERATION: z.string().min(1),
    QUORUM_PAUSE_AT: z.string().default(''),
    QUORUM_PAUSED_FILE: z.string().min(1),
  })
  .parse(process.env);

const pause: Pause = async (point) => {
  if (point !== args.QUORUM_PAUSE_AT) return;
  writeFileSync(args.QUORUM_PAUSED_FILE, point);
  // Held here until the test kills the process with SIGKILL.
  await new Promise<never>(() => setInterval(() => {}, 60_000));
};

const store = await new SqliteStore(args.QUORUM_TEST_DB).open();
const { executors, compensations } = fakeWorldExecutors(args.QUORUM_TEST_WORLD, pause);
const runner = createRunner({
  store,
  clock: systemClock,
  executors,
  compensations,
  log: () => {},
  checkpoint: ({ index, phase }) => pause(`${index}:${phase}`),
});
const op = await runner.start(args.QUORUM_TEST_OPERATION);
await store.close();
process.stdout.write(`${op.status}\n`);
