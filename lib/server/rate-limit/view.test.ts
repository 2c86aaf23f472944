import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createContainer, type Container } from '@/lib/server/container';
import { parseEnv } from '@/lib/server/env';
import { rateLimitsView } from './view';

let c: Container | undefined;
let dir = '';
afterEach(async () => {
  await c?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rateLimitsView', () => {
  it('shows the configured Compute budget of every project and the per-user action limits', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'quorum-rate-limits-'));
    c = createContainer(
      parseEnv({
        QUORUM_DATA_DIR: dir,
        QUORUM_PROJECTS: 'proj-one',
        QUORUM_COMPUTE_RATE_PER_SECOND: '2.5',
        QUORUM_COMPUTE_BURST: '5',
      }),
    );
    const view = rateLimitsView(c);
    expect(view.compute).toMatchObject({ ratePerSecond: 2.5, burst: 5, maxWaitMs: 10_000 });
    expect(view.compute.budgets).toEqual([
      expect.objectContaining({ project: 'proj-one', capacity: 5, tokens: 5, granted: 0 }),
    ]);
    expect(view.actions).toEqual({ perMinute: 30, burst: 10 });
  });
});
