// The janitor: a detached helper that outlives the sandbox. It holds the read end of a pipe whose
// write end only the sandbox process has; when the sandbox dies in any way (SIGKILL included) the
// kernel closes that end, the janitor reads EOF and removes the net's namespaces (killing whatever
// runs in them), bridge, routes and /etc/netns directories. A clean teardown disarms it first.
// It runs in its own session, so the Ctrl-C that the terminal sends to the sandbox's process group
// does not reach it before it has done its work.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const JANITOR_MAIN = fileURLToPath(new URL('./twin-janitor-main.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
export const JANITOR_PID_DIR = '/run/quorum-twin';
export const JANITOR_READY = 'janitor ready';
export const JANITOR_DISARM = 'disarm';

export const janitorPidFile = (net: number): string => path.join(JANITOR_PID_DIR, `net${net}.janitor.pid`);

export type TwinJanitor = { pid: number; disarm: () => Promise<void> };

export async function startTwinJanitor(net: number, logFile?: string): Promise<TwinJanitor> {
  const logFd = logFile === undefined ? undefined : openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', TSX_LOADER, JANITOR_MAIN, String(net)], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['pipe', 'pipe', logFd ?? 'ignore'],
  });
  if (logFd !== undefined) closeSync(logFd);
  const stdin = child.stdin as Writable & { unref?: () => void };
  const stdout = child.stdout as Readable;
  const pid = child.pid;
  if (pid === undefined) throw new Error('The network janitor could not be started');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('The network janitor did not start within 30 s')), 30_000);
    stdout.setEncoding('utf8').on('data', (d: string) => {
      seen += d;
      if (seen.includes(JANITOR_READY)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The network janitor exited at start (code ${code ?? 'signal'})`));
    });
  });
  stdout.destroy();
  stdin.on('error', () => undefined);
  // Neither the pipe nor the child may keep the sandbox's event loop alive.
  stdin.unref?.();
  child.unref();
  return {
    pid,
    disarm: async () => {
      stdin.end(`${JANITOR_DISARM}\n`);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Stops the janitor of an earlier run of `net` (which may be cleaning up right now): prepare cleans itself. */
export async function stopStaleTwinJanitor(net: number): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(janitorPidFile(net), 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !isJanitor(pid, net)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline && isRunning(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
}

function isJanitor(pid: number, net: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('twin-janitor-main.ts')) && argv.includes(String(net));
  } catch {
    return false;
  }
}

function isRunning(pid: number): boolean {
  try {
    // A zombie (state Z) has finished; only its parent can reap it.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
