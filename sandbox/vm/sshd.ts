// A real OpenSSH sshd per sandbox VM, as on a Compute Engine image: host keys made at first boot (the
// guest agent's `generateSSHKeys`: ecdsa, ed25519 and rsa with ssh-keygen, kept on the VM's disk so a
// restart keeps them), a config of its own (port 22, public keys only, StrictModes on, no root login as
// on Google's images) and `sshd -D -e` as a child whose log lines go to the VM's log.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What the guest agent's instance setup generates (cfg.go `host_key_types`). */
export const HOST_KEY_TYPES = ['ecdsa', 'ed25519', 'rsa'] as const;
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
/** Debian's sshd refuses to start without its compiled-in privilege-separation directory. */
const PRIVSEP_DIR = '/run/sshd';

export type HostPublicKey = {
  /** The algorithm as the .pub file names it, e.g. `ssh-ed25519`: the guest attribute's key. */
  algorithm: string;
  /** The base64 key blob: the guest attribute's value. */
  base64: string;
  path: string;
};

export type SshdPaths = {
  /** On the VM's disk: the host keys live here for the life of the instance. */
  hostKeyDir: string;
  /** Config and pid file; may be on the disk too (rewritten on every start). */
  runDir: string;
};

/** Makes the missing host keys (never replaces one) and returns every public key in the directory. */
export async function ensureHostKeys(
  hostKeyDir: string,
  log: (msg: string) => void = () => {},
): Promise<HostPublicKey[]> {
  await mkdir(hostKeyDir, { recursive: true, mode: 0o755 });
  for (const type of HOST_KEY_TYPES) {
    const keyFile = path.join(hostKeyDir, `ssh_host_${type}_key`);
    if (await exists(keyFile)) continue;
    const temp = `${keyFile}.temp`;
    await rm(temp, { force: true });
    await rm(`${temp}.pub`, { force: true });
    // As the agent does it: generate beside the final name, then rename, so a crash leaves no half key.
    await run('ssh-keygen', ['-t', type, '-f', temp, '-N', '', '-q', '-C', '']);
    await chmod(temp, 0o600);
    await chmod(`${temp}.pub`, 0o644);
    await rename(`${temp}.pub`, `${keyFile}.pub`);
    await rename(temp, keyFile);
    log(`sshd: generated host key ${keyFile}`);
  }
  return readHostPublicKeys(hostKeyDir);
}

export async function readHostPublicKeys(hostKeyDir: string): Promise<HostPublicKey[]> {
  const names = (await readdir(hostKeyDir)).filter((n) => /^ssh_host_.+_key\.pub$/.test(n)).sort();
  const keys: HostPublicKey[] = [];
  for (const name of names) {
    const file = path.join(hostKeyDir, name);
    const [algorithm, base64] = (await readFile(file, 'utf8')).trim().split(/\s+/);
    if (algorithm && base64) keys.push({ algorithm, base64, path: file });
  }
  return keys;
}

export function renderSshdConfig(opts: {
  port: number;
  hostKeyFiles: readonly string[];
  pidFile: string;
  listenAddresses?: readonly string[];
}): string {
  const lines = [
    '# Written by the sandbox VM (sandbox/vm/sshd.ts) at every start; edits are lost.',
    `Port ${opts.port}`,
    // Without ListenAddress sshd listens on every address of the VM, as on a real master.
    ...(opts.listenAddresses ?? []).map((a) => `ListenAddress ${a}`),
    ...opts.hostKeyFiles.map((f) => `HostKey ${f}`),
    `PidFile ${opts.pidFile}`,
    // PAM would need the host's PAM stack and session bookkeeping; public keys need none of it.
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile .ssh/authorized_keys',
    // A twin of a real master: sshd refuses keys in files others could write.
    'StrictModes yes',
    // Google's images disable root login; the sandbox VM's root is the host's root.
    'PermitRootLogin no',
    // Quorum reaches etcd through local forwards (direct-tcpip), as `gcloud compute ssh -L` would.
    'AllowTcpForwarding yes',
    'X11Forwarding no',
    'PrintMotd no',
    'ClientAliveInterval 420',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    // Accepted keys are logged with their fingerprints, which is what one looks for in a VM log.
    'LogLevel VERBOSE',
    '',
  ];
  return lines.join('\n');
}

export type Sshd = {
  pid: number;
  hostKeys: HostPublicKey[];
  configFile: string;
  /** Resolves when sshd has exited, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ends the open sessions and the listener: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
};

export async function startSshd(
  opts: SshdPaths & {
    log: (msg: string) => void;
    port?: number;
    listenAddresses?: readonly string[];
    sshdPath?: string;
  },
): Promise<Sshd> {
  const sshdPath = opts.sshdPath ?? '/usr/sbin/sshd';
  const hostKeys = await ensureHostKeys(opts.hostKeyDir, opts.log);
  await mkdir(opts.runDir, { recursive: true, mode: 0o755 });
  await mkdir(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
  const configFile = path.join(opts.runDir, 'sshd_config');
  const pidFile = path.join(opts.runDir, 'sshd.pid');
  const hostKeyFiles = HOST_KEY_TYPES.map((t) => path.join(opts.hostKeyDir, `ssh_host_${t}_key`));
  await writeFile(
    configFile,
    renderSshdConfig({
      port: opts.port ?? 22,
      hostKeyFiles,
      pidFile,
      ...(opts.listenAddresses ? { listenAddresses: opts.listenAddresses } : {}),
    }),
    { mode: 0o644 },
  );
  // `-t` says what is wrong with the config or the keys in one line, before anything listens.
  try {
    await run(sshdPath, ['-t', '-f', configFile]);
  } catch (err) {
    const stderr = err && typeof err === 'object' && 'stderr' in err ? String(err.stderr).trim() : String(err);
    throw new Error(`sshd refuses its config ${configFile}: ${stderr}`);
  }

  const child: ChildProcess = spawn(sshdPath, ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.pid === undefined) throw new Error(`sshd did not start (${sshdPath})`);
  const pid: number = child.pid;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let ready = false;
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`sshd did not listen within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        opts.log(`sshd[${pid}]: ${line}`);
        if (!ready && /^Server listening on /.test(line)) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      });
    }
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`sshd exited before listening (code ${code}, signal ${signal})`));
      else opts.log(`sshd[${pid}]: exited (code ${code}, signal ${signal})`);
    });
  });

  async function stop(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // The listener's SIGTERM handler leaves open sessions running (as `systemctl stop ssh` does with
    // KillMode=process); a VM whose sshd is stopped must drop them too, so they go first.
    for (const session of await childPids(pid)) signal(session, 'SIGTERM');
    signal(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      void childPids(pid).then((sessions) => {
        for (const session of sessions) signal(session, 'SIGKILL');
        signal(pid, 'SIGKILL');
      });
    }, STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  try {
    await listening;
  } catch (err) {
    await stop();
    throw err;
  }
  opts.log(
    `sshd[${pid}]: listening on port ${opts.port ?? 22}, host keys ${hostKeys.map((k) => k.algorithm).join(', ')}`,
  );
  return { pid, hostKeys, configFile, exited, stop };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** Direct children of `parent` (the per-connection sshd processes), from /proc. */
async function childPids(parent: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (ppid) follows the command name, which is in parentheses and may itself hold spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) pids.push(Number(entry));
  }
  return pids;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
