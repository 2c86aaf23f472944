import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createContainer, forPlanning, type Container } from './container';
import { parseEnv } from './env';

let c: Container | undefined;
let dir = '';
afterEach(async () => {
  await c?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('forPlanning', () => {
  it('waits longer for probes and shares everything else, the lazily opened store included', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'quorum-container-'));
    c = createContainer(
      parseEnv({ QUORUM_DATA_DIR: dir, QUORUM_PROBE_TIMEOUT_MS: '800', QUORUM_PLAN_PROBE_TIMEOUT_MS: '2500' }),
    );
    const planning = forPlanning(c);
    expect(planning.probeTimeoutMs).toBe(2500);
    expect(c.probeTimeoutMs).toBe(800);
    expect(planning.compute).toBe(c.compute);
    expect(planning.store).toBe(c.store);
  });

  it("is never shorter than the live view's deadline", () => {
    dir = mkdtempSync(path.join(tmpdir(), 'quorum-container-'));
    c = createContainer(
      parseEnv({ QUORUM_DATA_DIR: dir, QUORUM_PROBE_TIMEOUT_MS: '5000', QUORUM_PLAN_PROBE_TIMEOUT_MS: '1000' }),
    );
    expect(forPlanning(c).probeTimeoutMs).toBe(5000);
  });
});

describe('compute budget', () => {
  it('has a bucket per configured project, sized by the env, shared with the planning container', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'quorum-container-'));
    c = createContainer(
      parseEnv({
        QUORUM_DATA_DIR: dir,
        QUORUM_PROJECTS: 'proj-one,proj-two',
        QUORUM_COMPUTE_RATE_PER_SECOND: '5',
        QUORUM_COMPUTE_BURST: '7',
      }),
    );
    expect(c.computeBudget.snapshot().map((b) => [b.project, b.capacity, b.ratePerSecond, b.tokens])).toEqual([
      ['proj-one', 7, 5, 7],
      ['proj-two', 7, 5, 7],
    ]);
    expect(c.computeBudget.config.maxWaitMs).toBe(c.env.QUORUM_COMPUTE_TIMEOUT_MS);
    expect(forPlanning(c).computeBudget).toBe(c.computeBudget);
  });
});
