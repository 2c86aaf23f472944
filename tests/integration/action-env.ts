// For tests that call server actions: the actions use the process's container, built from process.env when
// lib/server/env is first imported, so the env must point at this run's sandbox and a fresh data dir (the
// store) before any import is evaluated. Called from vi.hoisted; imports nothing of the project.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';

export function pointActionsAtSandbox(prefix: string): {
  dataDir: string;
  savedEnv: Record<string, string | undefined>;
} {
  const keys = ['QUORUM_PROVIDER', 'SANDBOX_PORT', 'QUORUM_PROJECTS', 'QUORUM_DATA_DIR'] as const;
  const savedEnv = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), prefix));
  Object.assign(process.env, {
    QUORUM_PROVIDER: 'sandbox',
    SANDBOX_PORT: String(inject('sandboxPort')),
    QUORUM_PROJECTS: 'sandbox-project',
    QUORUM_DATA_DIR: dataDir,
  });
  return { dataDir, savedEnv };
}

/** Undoes pointActionsAtSandbox after the file's container is closed: the data dir removed, the env as it was. */
export function restoreActionEnv({
  dataDir,
  savedEnv,
}: {
  dataDir: string;
  savedEnv: Record<string, string | undefined>;
}): void {
  rmSync(dataDir, { recursive: true, force: true });
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}
