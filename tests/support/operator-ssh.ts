// The operator's way into a kube-up master, with tools nobody here wrote: a key published in the instance's
// `ssh-keys` metadata the Google way (`user:ssh-ed25519 KEY google-ssh {"userName","expireOn"}`, written with
// instances.setMetadata and the fingerprint, every other item kept), stock OpenSSH (`ssh`, `ssh -N -L`) to
// port 22, and etcdctl through the forward. Used by tests/integration/twin-wire.test.ts and the Playwright
// fixtures. No 'server-only' and no vitest.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { InstancesClient, ZoneOperationsClient, type protos } from '@google-cloud/compute';
import { googleAuthLibrary } from 'google-gax';
import { z } from 'zod';

type IInstance = protos.google.cloud.compute.v1.IInstance;
type IOperation = protos.google.cloud.compute.v1.IOperation;

const run = promisify(execFile);

/** The real Compute client against the sandbox's emulator, as an operator's script would make it. */
export function sandboxComputeClients(sandboxPort: number): {
  instances: InstancesClient;
  zoneOperations: ZoneOperationsClient;
} {
  const opts = () => ({
    apiEndpoint: '127.0.0.1',
    port: sandboxPort,
    protocol: 'http',
    fallback: true as const,
    authClient: new googleAuthLibrary.PassThroughClient(),
  });
  return { instances: new InstancesClient(opts()), zoneOperations: new ZoneOperationsClient(opts()) };
}

/**
 * Rewrites an instance's `ssh-keys` (its lines, blank ones dropped) with `edit`, keeping every other item, with
 * the fingerprint read just before; a 412 (someone else, e.g. Quorum's key publisher, wrote in between) is
 * re-read and retried. The item is removed when no line is left.
 */
export async function editSshKeys(
  clients: { instances: InstancesClient; zoneOperations: ZoneOperationsClient },
  m: { project: string; zone: string; name: string },
  edit: (lines: string[]) => string[],
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const [i]: [IInstance, ...unknown[]] = await clients.instances.get({
      project: m.project,
      zone: m.zone,
      instance: m.name,
    });
    const items = (i.metadata?.items ?? []).map((it) => ({ key: String(it.key), value: String(it.value ?? '') }));
    const current =
      items
        .find((it) => it.key === 'ssh-keys')
        ?.value.split('\n')
        .filter((l) => l.trim() !== '') ?? [];
    const next = edit(current);
    const others = items.filter((it) => it.key !== 'ssh-keys');
    try {
      const [op] = await clients.instances.setMetadata({
        project: m.project,
        zone: m.zone,
        instance: m.name,
        metadataResource: {
          fingerprint: i.metadata?.fingerprint,
          items: next.length > 0 ? [...others, { key: 'ssh-keys', value: next.join('\n') }] : others,
        },
      });
      let done = op.latestResponse as IOperation;
      while (done.status !== 'DONE')
        [done] = await clients.zoneOperations.wait({ project: m.project, zone: m.zone, operation: String(done.name) });
      if (done.error) throw new Error(`setMetadata ${m.name}: ${JSON.stringify(done.error)}`);
      return;
    } catch (err) {
      if (attempt < 5 && /412|conditionNotMet|fingerprint/i.test(String(err))) continue;
      throw err;
    }
  }
}

/** How a TCP connect from this host ends: 'connected', or the error code (ECONNREFUSED, ETIMEDOUT, ...). */
export function tcpConnect(host: string, port: number, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (result: string) => {
      s.destroy();
      resolve(result);
    };
    s.setTimeout(timeoutMs, () => done('ETIMEDOUT'));
    s.once('connect', () => done('connected'));
    s.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const memberListSchema = z.object({
  members: z
    .array(
      z.object({
        // Decimal, as a string (long ids are quoted below before parsing).
        ID: z.union([z.string(), z.number()]).transform(String),
        name: z.string().default(''),
        peerURLs: z.array(z.string()).default([]),
        isLearner: z.boolean().default(false),
      }),
    )
    .default([]),
});
export type EtcdctlMember = z.infer<typeof memberListSchema>['members'][number];

/** `etcdctl member list -w json` against `url` (a local forward); TLS files for mutual TLS, null for plain http. */
export async function etcdctlMemberList(
  url: string,
  tls: { cacert: string; cert: string; key: string } | null,
  dialTimeout = '5s',
): Promise<EtcdctlMember[]> {
  const { stdout } = await run(
    'etcdctl',
    [
      '--endpoints',
      url,
      ...(tls ? ['--cacert', tls.cacert, '--cert', tls.cert, '--key', tls.key] : []),
      '--dial-timeout',
      dialTimeout,
      '--command-timeout',
      dialTimeout === '5s' ? '10s' : '2s',
      'member',
      'list',
      '-w',
      'json',
    ],
    { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 },
  );
  // uint64 ids are bare JSON numbers; only names and URLs are read here, so quote long integers first.
  return memberListSchema.parse(JSON.parse(stdout.replace(/([:[,]\s*)(\d{16,})(?=\s*[,\]}])/g, '$1"$2"'))).members;
}

/**
 * One operator: an ed25519 key of its own (ssh-keygen), published for `user` on the masters it is given, and
 * OpenSSH with its own known_hosts (trust on first use, as an operator's first `ssh` to a new master).
 */
export class OperatorSsh {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'quorum-operator-ssh-'));
  private readonly keyFile = path.join(this.dir, 'id_ed25519');
  private readonly knownHosts = path.join(this.dir, 'known_hosts');
  private readonly children = new Set<ChildProcess>();
  private line: string | null = null;
  private keyMade: Promise<string> | null = null;

  constructor(
    readonly user: string,
    private readonly clients: { instances: InstancesClient; zoneOperations: ZoneOperationsClient },
  ) {}

  /** Whether `sshKeys` (a master's `ssh-keys` metadata) holds this operator's own line; false before the first publish. */
  holdsKey(sshKeys: string): boolean {
    return this.line !== null && sshKeys.split('\n').includes(this.line);
  }

  /** Makes the key (once) and publishes it in each master's instance metadata, valid for an hour. */
  async publish(masters: ReadonlyArray<{ project: string; zone: string; name: string }>): Promise<void> {
    // Made once, also when two callers publish at once: a second ssh-keygen on the same file would wait forever for
    // an answer to "Overwrite (y/n)?".
    this.keyMade ??= (async () => {
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${this.user}-test`, '-f', this.keyFile]);
      writeFileSync(this.knownHosts, '');
      const [type, key] = readFileSync(`${this.keyFile}.pub`, 'utf8').trim().split(/\s+/);
      const expireOn = new Date(Date.now() + 60 * 60_000).toISOString();
      this.line = `${this.user}:${type} ${key} google-ssh ${JSON.stringify({ userName: this.user, expireOn })}`;
      return this.line;
    })();
    const line = await this.keyMade;
    for (const m of masters)
      await editSshKeys(this.clients, m, (lines) => [...lines.filter((l) => !l.startsWith(`${this.user}:`)), line]);
  }

  /** Removes this operator's lines from each master's metadata (best effort). */
  async unpublish(masters: ReadonlyArray<{ project: string; zone: string; name: string }>): Promise<void> {
    for (const m of masters)
      await editSshKeys(this.clients, m, (lines) => lines.filter((l) => !l.startsWith(`${this.user}:`))).catch(
        () => undefined,
      );
  }

  sshOptions(): string[] {
    return [
      '-i',
      this.keyFile,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      `UserKnownHostsFile=${this.knownHosts}`,
      '-o',
      'LogLevel=ERROR',
    ];
  }

  /** `ssh <user>@<host> <command>`; stdout. */
  async exec(host: string, command: string, timeoutMs = 20_000): Promise<string> {
    const { stdout } = await run('ssh', [...this.sshOptions(), `${this.user}@${host}`, command], {
      timeout: timeoutMs,
    });
    return stdout;
  }

  /** `ssh -N -L` to `host`, a local port to each remote 127.0.0.1 port; resolves once they listen. */
  async forward(
    host: string,
    remotePorts: readonly number[],
    opts: { timeoutMs?: number; hostKeyAlias?: string } = {},
  ): Promise<{ local: number[]; close: () => void }> {
    const timeoutMs = opts.timeoutMs ?? 20_000;
    const local = await Promise.all(remotePorts.map(() => freePort()));
    // An alias (the instance name) keys known_hosts by machine, not by an internal IP a new VM may reuse.
    const alias = opts.hostKeyAlias ? ['-o', `HostKeyAlias=${opts.hostKeyAlias}`] : [];
    const args = [
      ...this.sshOptions(),
      ...alias,
      '-o',
      'ExitOnForwardFailure=yes',
      '-N',
      ...remotePorts.flatMap((p, i) => ['-L', `127.0.0.1:${local[i]}:127.0.0.1:${p}`]),
      `${this.user}@${host}`,
    ];
    const child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.children.add(child);
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    let exited = false;
    child.once('exit', () => {
      exited = true;
      this.children.delete(child);
    });
    const close = () => {
      if (!exited) child.kill('SIGTERM');
    };
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(local.map((p) => tcpConnect('127.0.0.1', p, 1_000)));
      if (states.every((s) => s === 'connected')) return { local, close };
      if (exited || Date.now() > deadline) {
        close();
        throw new Error(`ssh -L to ${host} did not come up: ${stderr.trim() || 'no forward'}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Ends every ssh this operator started and removes its key files (not its metadata lines: see unpublish). */
  close(): void {
    for (const child of this.children) child.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
