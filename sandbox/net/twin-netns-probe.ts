// Test helpers for the twin's network: real TCP servers inside namespaces and connection probes
// that tell an answer, a refusal (RST) and silence (SYN lost: timeout) apart.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export type ProbeResult =
  { kind: 'answer'; text: string } | { kind: 'refused' } | { kind: 'timeout' } | { kind: 'error'; message: string };

// Answers every connection with its name, then the /etc/hosts it sees right now (to check in-place updates).
const SERVER_SOURCE = `
const [name, port] = process.argv.slice(1);
require('net').createServer((s) => s.end(name + '\\n' + require('fs').readFileSync('/etc/hosts', 'utf8')))
  .listen(Number(port), () => console.log('listening'));`;

/** Starts a named TCP server on all addresses of `ns`; resolves once it listens. */
export async function startServerIn(ns: string, name: string, port: number): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER_SOURCE, name, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`server ${name} in ${ns} exited (${code}): ${err}`)));
  });
  return child;
}

/** Connects from inside `ns` with bash's /dev/tcp (a name resolves through the namespace's /etc/hosts). */
export function probeFrom(ns: string, host: string, port: number, timeoutS = 2.5): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'timeout',
        String(timeoutS),
        'bash',
        '-c',
        'exec 3<>"/dev/tcp/$0/$1" && cat <&3',
        host,
        String(port),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code === 0) resolve({ kind: 'answer', text: out });
      else if (code === 124) resolve({ kind: 'timeout' });
      else if (/Connection refused/.test(err)) resolve({ kind: 'refused' });
      else resolve({ kind: 'error', message: `${code}: ${err.trim()}` });
    });
  });
}

/** Connects from the host (the dashboard's side of the bridge). */
export function probeFromHost(
  host: string,
  port: number,
  timeoutMs = 2_500,
  localAddress?: string,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ kind: 'timeout' });
    }, timeoutMs);
    socket.on('data', (d) => (text += d.toString()));
    socket.on('end', () => {
      clearTimeout(timer);
      resolve({ kind: 'answer', text });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'error', message: err.code ?? err.message });
    });
  });
}

/** First line of an answer (the server's name), or the kind of failure. */
export function outcome(r: ProbeResult): string {
  return r.kind === 'answer' ? (r.text.split('\n')[0] ?? '') : r.kind === 'error' ? `error ${r.message}` : r.kind;
}

/** A plain TCP server on a host address that answers with `name`. */
export async function startHostServer(ip: string, port: number, name: string): Promise<net.Server> {
  const server = net.createServer((s) => s.end(`${name}\n`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, ip, () => resolve());
  });
  return server;
}
