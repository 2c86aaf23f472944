// Starts a real sandbox cloud for the integration project: its own port (8790), IP range (net 20: 127.20.x.x,
// 127.21.x.x) and a fresh temporary data dir, so it never collides with a developer's sandbox (8780, net 10).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startSandbox } from '../support/sandbox-process';

// Overridable so two runs on one machine (say, a developer's and a fresh-clone check) need not collide.
export const INTEGRATION_SANDBOX = {
  port: Number(process.env.QUORUM_IT_SANDBOX_PORT ?? 8790),
  net: Number(process.env.QUORUM_IT_SANDBOX_NET ?? 20),
} as const;

declare module 'vitest' {
  export interface ProvidedContext {
    sandboxPort: number;
    sandboxDataDir: string;
    sandboxNet: number;
  }
}

/** Refuses to start when something already serves the port: another run's sandbox would be used, then killed. */
async function assertPortFree(port: number): Promise<void> {
  const inUse = await fetch(`http://127.0.0.1:${port}/sandbox/v1/health`, { signal: AbortSignal.timeout(1_000) }).then(
    () => true,
    () => false,
  );
  if (inUse) {
    throw new Error(
      `Port ${port} already answers: another integration run (or a sandbox on SANDBOX_PORT=${port}) is in progress.`,
    );
  }
}

/** A vitest global setup that starts a fresh sandbox on `port`/`net` and provides its port, data dir and net to the tests. */
export function sandboxGlobalSetup(opts: { port: number; net: number; env?: Record<string, string>; label: string }) {
  return async function setup(project: TestProject) {
    await assertPortFree(opts.port);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), `quorum-${opts.label}-`));
    const sandbox = await startSandbox({
      port: opts.port,
      net: opts.net,
      dataDir,
      seededTimeoutMs: 120_000,
      ...(opts.env ? { env: opts.env } : {}),
    });
    project.provide('sandboxPort', sandbox.port);
    project.provide('sandboxDataDir', sandbox.dataDir);
    project.provide('sandboxNet', opts.net);
    return async () => {
      // SIGTERM: the sandbox stops its VMs (and their etcds) before it exits.
      await sandbox.stop();
      if (!process.env.QUORUM_KEEP_INTEGRATION_DATA) rmSync(dataDir, { recursive: true, force: true });
    };
  };
}

// A forwarding rule forwards 5 s after its insert (the sandbox's default is 20 s): long enough to watch and cancel
// the wait, short enough that the scale tests do not spend minutes on it.
export default sandboxGlobalSetup({
  ...INTEGRATION_SANDBOX,
  label: 'integration',
  env: { SANDBOX_LB_DELAY_MS: '5000' },
});
