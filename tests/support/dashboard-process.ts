// Starts the built dashboard (`next start`, the same server `npm start` runs) as a child process, for
// tests that need the real server process (the crash test kills it with SIGKILL and starts it again) and for
// bench:fleet, which signs in and drives the fleet's route handler as the browser does.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type DashboardExit = { code: number | null; signal: NodeJS.Signals | null };

export type DashboardProcess = {
  pid: number;
  /** Resolves when the process has exited, however it ended. */
  exited: Promise<DashboardExit>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<DashboardExit>;
};

export function startDashboard(opts: {
  port: number;
  dataDir: string;
  logFile: string;
  env: Record<string, string>;
}): DashboardProcess {
  const log = openSync(opts.logFile, 'a');
  // vitest sets NODE_ENV=test; `next start` is a production server.
  const env = {
    ...process.env,
    ...opts.env,
    QUORUM_DATA_DIR: opts.dataDir,
    NEXT_TELEMETRY_DISABLED: '1',
    NODE_ENV: 'production' as const,
  };
  // As `npm start` runs it (its V8 heap limits included); the script execs node, so child.pid is the server's.
  const child = spawn('sh', [path.resolve('scripts/start-dashboard.sh'), '-H', '127.0.0.1', '-p', String(opts.port)], {
    env,
    stdio: ['ignore', log, log],
  });
  if (child.pid === undefined) throw new Error('next start did not spawn');
  const exited = new Promise<DashboardExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
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

/** Resolves once the dashboard answers /api/health, or rejects when it exits first or `timeoutMs` passes. */
export async function dashboardReady(d: DashboardProcess, port: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void d.exited.then(() => {
    exited = true;
  });
  while (!exited) {
    const ok = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`the dashboard on port ${port} did not answer /api/health within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the dashboard on port ${port} exited before it answered /api/health`);
}

/** The bootstrap admin the dashboard created on its first start, read from the file it wrote in its data dir. */
export function bootstrapAdminOf(dataDir: string): { email: string; password: string } {
  const text = readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8');
  const email = /^email: (.+)$/m.exec(text)?.[1]?.trim();
  const password = /^password: (.+)$/m.exec(text)?.[1]?.trim();
  if (!email || !password) throw new Error('the bootstrap admin file has no email or password');
  return { email, password };
}

/** Signs in through better-auth's endpoint, as the sign-in page does; returns the session's Cookie header. */
export async function signInCookie(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new Error(`sign-in of ${email}: HTTP ${res.status} ${await res.text()}`);
  const cookie = cookieOf(res);
  if (cookie === '') throw new Error(`sign-in of ${email} set no cookie`);
  return cookie;
}

/** The Cookie header the answer's Set-Cookie headers make (name=value pairs, attributes dropped). */
export function cookieOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .filter((c) => c !== '')
    .join('; ');
}

/**
 * Signs in as the bootstrap admin and sets a password of its own first, as the dashboard demands before anything
 * else (its one-time password opens only /account); returns the session's Cookie header (this session stays).
 */
export async function signInAsBootstrapAdmin(baseUrl: string, dataDir: string): Promise<string> {
  const { email, password } = bootstrapAdminOf(dataDir);
  const cookie = await signInCookie(baseUrl, email, password);
  const res = await fetch(`${baseUrl}/api/auth/change-password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl, cookie },
    body: JSON.stringify({
      currentPassword: password,
      newPassword: `${randomBytes(18).toString('base64url')}-Qm7`,
      revokeOtherSessions: false,
    }),
  });
  if (!res.ok) throw new Error(`change-password of ${email}: HTTP ${res.status} ${await res.text()}`);
  return cookie;
}
