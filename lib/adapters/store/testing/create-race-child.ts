// One of several processes racing for the same cluster locks on one SQLite file. Started by
// sqlite-store-processes.test.ts; waits for QUORUM_TEST_GO to exist so all start together, then prints
// one JSON line per cluster: who won, or whom the refusal named.
import 'server-only';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { isOperationInProgress } from '@/lib/ports/store';

const args = z
  .object({
    QUORUM_TEST_DB: z.string().min(1),
    QUORUM_TEST_GO: z.string().min(1),
    QUORUM_TEST_CLUSTERS: z.coerce.number().int().min(1),
    QUORUM_TEST_NAME: z.string(),
  })
  .parse(process.env);

while (!existsSync(args.QUORUM_TEST_GO)) await new Promise((r) => setTimeout(r, 5));

const store = await new SqliteStore(args.QUORUM_TEST_DB).open();
const lines: string[] = [];
for (let i = 0; i < args.QUORUM_TEST_CLUSTERS; i++) {
  const clusterId = `p/r/c${i}`;
  try {
    const op = await store.createOperation({
      clusterId,
      kind: 'add-replica',
      intent: null,
      plan: { steps: [] },
      actor: args.QUORUM_TEST_NAME,
    });
    lines.push(JSON.stringify({ clusterId, won: op.id }));
  } catch (e) {
    if (!isOperationInProgress(e)) throw e;
    lines.push(JSON.stringify({ clusterId, lostTo: e.operationId }));
  }
}
await store.close();
process.stdout.write(`${lines.join('\n')}\n`);
