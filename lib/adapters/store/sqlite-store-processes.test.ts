import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { bundleNodeScript } from '@/tests/support/bundle-node-script';
import { openSqliteStore, storePathIn } from './sqlite-store';

// Several processes open one fresh store file at the same moment (racing its migrations) and then race
// for the same cluster locks: each lock must go to exactly one of them, and every loser must name it.

const root = fileURLToPath(new URL('../../../', import.meta.url));
let bundle: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'quorum-race-'));
  bundle = await bundleNodeScript(path.join(root, 'lib', 'adapters', 'store', 'testing', 'create-race-child.ts'));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = z.union([
  z.object({ clusterId: z.string(), won: z.string() }),
  z.object({ clusterId: z.string(), lostTo: z.string() }),
]);

function runChild(env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [bundle], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

it('gives each cluster lock to exactly one of four processes racing on a fresh file', { timeout: 30_000 }, async () => {
  const db = storePathIn(dir);
  const go = path.join(dir, 'go');
  const clusters = 25;
  const children = ['one', 'two', 'three', 'four'].map((name) =>
    runChild({
      QUORUM_TEST_DB: db,
      QUORUM_TEST_GO: go,
      QUORUM_TEST_CLUSTERS: String(clusters),
      QUORUM_TEST_NAME: name,
    }),
  );
  await new Promise((r) => setTimeout(r, 300));
  writeFileSync(go, '');
  const outputs = await Promise.all(children);
  const results = outputs.flatMap((o) =>
    o
      .trim()
      .split('\n')
      .map((l) => line.parse(JSON.parse(l))),
  );
  expect(results).toHaveLength(4 * clusters);

  const store = await openSqliteStore(dir);
  try {
    for (let i = 0; i < clusters; i++) {
      const clusterId = `p/r/c${i}`;
      const mine = results.filter((r) => r.clusterId === clusterId);
      const winners = mine.flatMap((r) => ('won' in r ? [r.won] : []));
      expect(winners).toHaveLength(1);
      const losers = mine.flatMap((r) => ('lostTo' in r ? [r.lostTo] : []));
      expect(losers).toEqual([winners[0], winners[0], winners[0]]);
      const ops = await store.listOperations(clusterId);
      expect(ops.map((o) => o.id)).toEqual(winners);
      expect(await store.lockHolder(clusterId)).toBe(winners[0]);
    }
  } finally {
    await store.close();
  }
});
