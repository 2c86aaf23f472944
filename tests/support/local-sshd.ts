// A real OpenSSH sshd for tests, on loopback addresses of this machine, with a temporary configuration:
// host key and authorized keys in a temporary directory, key logins only, forwarding allowed. Needs root
// (sshd's privilege separation) and must run under the heavy-test lock.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export type LocalSshd = {
  readonly port: number;
  readonly addresses: readonly string[];
  /** sshd's log (LogLevel VERBOSE) since this process started. */
  log(): string;
  /** Every line since start matching `re`. */
  lines(re: RegExp): string[];
  /** Stops sshd and every connection process it forked (existing sessions die, as when a VM loses sshd). */
  stop(): Promise<void>;
  /** sshd's per-connection processes (children and their children). */
  connectionPids(): number[];
};

export type SshdConfig = {
  dir: string;
  addresses: string[];
  port: number;
  hostKeyFile: string;
  /** `%u` is the user name. */
  authorizedKeysFile: string;
};

/** A free TCP port on 127.0.0.1 (closed again: a small race the tests accept). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) comes after the command in parentheses, which may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // The process ended while being read.
    }
  }
  return out;
}

function descendants(pid: number): number[] {
  const direct = childrenOf(pid);
  return direct.flatMap((c) => [c, ...descendants(c)]);
}

export async function startSshd(cfg: SshdConfig): Promise<LocalSshd> {
  // sshd's privilege-separation directory (Debian creates it at boot, containers often lack it).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const configFile = path.join(cfg.dir, `sshd_config.${cfg.port}`);
  writeFileSync(
    configFile,
    [
      ...cfg.addresses.map((a) => `ListenAddress ${a}`),
      `Port ${cfg.port}`,
      `HostKey ${cfg.hostKeyFile}`,
      `AuthorizedKeysFile ${cfg.authorizedKeysFile}`,
      // The temporary directory is not root-owned 0755 all the way up, which StrictModes demands.
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'AllowTcpForwarding yes',
      'PidFile none',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (log += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!log.includes('Server listening')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sshd did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid ?? 0;
  return {
    port: cfg.port,
    addresses: cfg.addresses,
    log: () => log,
    lines: (re) => log.split('\n').filter((l) => re.test(l)),
    connectionPids: () => descendants(pid),
    async stop() {
      const forked = descendants(pid);
      child.kill('SIGTERM');
      for (const p of forked) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await exited;
    },
  };
}
