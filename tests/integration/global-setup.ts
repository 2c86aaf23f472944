// Starts a real sandbox cloud for the integration project: its own port (8790), IP range (net 20: 127.20.x.x,
// 127.21.x.x) and a fresh temporary data dir, so it never collides with a developer's sandbox (8780, net 10).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startSandbox } from '../support/sandbox-process';

export const INTEGRATION_SANDBOX = { port: 8790, net: 20 } as const;

declare module 'vitest' {
  export interface ProvidedContext {
    sandboxPort: number;
    sandboxDataDir: string;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'quorum-integration-'));
  const sandbox = await startSandbox({
    port: INTEGRATION_SANDBOX.port,
    net: INTEGRATION_SANDBOX.net,
    dataDir,
    seededTimeoutMs: 120_000,
  });
  project.provide('sandboxPort', sandbox.port);
  project.provide('sandboxDataDir', sandbox.dataDir);
  return async () => {
    // SIGTERM: the sandbox stops its VMs (and their etcds) before it exits.
    await sandbox.stop();
    if (!process.env.QUORUM_KEEP_INTEGRATION_DATA) rmSync(dataDir, { recursive: true, force: true });
  };
}
