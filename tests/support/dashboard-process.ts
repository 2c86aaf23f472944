// Starts the built dashboard (`next start`, the same server `npm start` runs) as a child process, for
// tests that need the real server process: the crash test kills it with SIGKILL and starts it again.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';

export type DashboardExit = { code: number | null; signal: NodeJS.Signals | null };

export type DashboardProcess = {
  pid: number;
  /** Resolves when the process has exited, however it ended. */
  exited: Promise<DashboardExit>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<DashboardExit>;
};

export function startDashboard(opts: { port: number; dataDir: string; logFile: string; env: Record<string, string> }): DashboardProcess {
  const log = openSync(opts.logFile, 'a');
  // vitest sets NODE_ENV=test; `next start` is a production server.
  const env = { ...process.env, ...opts.env, QUORUM_DATA_DIR: opts.dataDir, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' as const };
  const child = spawn(process.execPath, [path.resolve('node_modules/next/dist/bin/next'), 'start', '-H', '127.0.0.1', '-p', String(opts.port)], {
    env,
    stdio: ['ignore', log, log],
  });
  if (child.pid === undefined) throw new Error('next start did not spawn');
  const exited = new Promise<DashboardExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // Instrumentation (which resumes operations) runs when the server starts; asking for /api/health also
  // makes sure of it, and tells when the server is up.
  const ping = setInterval(() => {
    fetch(`http://127.0.0.1:${opts.port}/api/health`, { signal: AbortSignal.timeout(2_000) }).catch(() => {});
  }, 500);
  void exited.then(() => clearInterval(ping));
  return {
    pid: child.pid,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        void exited.then(() => clearTimeout(timer));
      }
      return exited;
    },
  };
}
