// Starts a real sandbox cloud as a child process for a test run, on its own port, IP range and data dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';

export type SandboxProcess = { port: number; dataDir: string; stop: () => Promise<void> };

export async function startSandbox(opts: {
  port: number;
  net: number;
  dataDir: string;
  fresh?: boolean;
  env?: Record<string, string>;
  seededTimeoutMs?: number;
}): Promise<SandboxProcess> {
  const dataDir = path.resolve(opts.dataDir);
  if (opts.fresh ?? true) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const log = openSync(path.join(dataDir, 'sandbox.log'), 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [path.resolve('node_modules/tsx/dist/cli.mjs'), 'sandbox/main.ts'],
    {
      env: {
        ...process.env,
        ...opts.env,
        SANDBOX_PORT: String(opts.port),
        SANDBOX_NET: String(opts.net),
        QUORUM_DATA_DIR: dataDir,
      },
      stdio: ['ignore', log, log],
    },
  );
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const stop = async () => {
    if (exited) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await done;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (opts.seededTimeoutMs ?? 180_000);
  while (Date.now() < deadline) {
    if (exited) throw new Error(`The sandbox exited during start-up; see ${path.join(dataDir, 'sandbox.log')}`);
    try {
      const response = await fetch(`http://127.0.0.1:${opts.port}/sandbox/v1/health`);
      const body = (await response.json()) as { seeded?: boolean };
      if (body.seeded) return { port: opts.port, dataDir, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(
    `The sandbox was not seeded within ${opts.seededTimeoutMs ?? 180_000} ms; see ${path.join(dataDir, 'sandbox.log')}`,
  );
}
