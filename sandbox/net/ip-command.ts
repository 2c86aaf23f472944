// Every change the twin makes to the host's network goes through iproute2's `ip`, so what it does
// can be replayed by hand; a failure names the command and carries ip's own stderr.
import { spawn } from 'node:child_process';
import { z } from 'zod';

export class IpCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      `\`ip ${args.join(' ')}\` failed (${exitCode === null ? 'killed' : `exit ${exitCode}`}): ${stderr.trim() || '(no stderr)'}`,
    );
    this.name = 'IpCommandError';
  }
}

/** Runs `ip <args>` (with `input` on stdin, for `-batch -`) and resolves to its stdout. */
export function runIp(args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new IpCommandError(args, null, err.message)));
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new IpCommandError(args, code, stderr))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** `ip -batch -` in a namespace (or on the host when ns is undefined); nothing to do, nothing run. */
export async function runIpBatch(ns: string | undefined, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await runIp([...(ns === undefined ? [] : ['-n', ns]), '-batch', '-'], `${lines.join('\n')}\n`);
}

/**
 * Loads an nftables ruleset into a namespace (`ip netns exec <ns> nft -f -`). nft applies one file as one
 * transaction: all of it or, on any error, nothing.
 */
export async function runNftIn(ns: string, ruleset: string): Promise<void> {
  await runIp(['netns', 'exec', ns, 'nft', '-f', '-'], ruleset);
}

/** Runs `ip` and tolerates the answers that mean "already gone". */
export async function runIpIgnoringAbsent(args: readonly string[]): Promise<void> {
  try {
    await runIp(args);
  } catch (err) {
    if (err instanceof IpCommandError && ABSENT.test(err.stderr)) return;
    throw err;
  }
}

const ABSENT =
  /Cannot find device|No such file or directory|No such process|does not exist|Cannot assign requested address|not found/i;

const netnsList = z.array(z.object({ name: z.string() }));
const linkList = z.array(z.object({ ifname: z.string() }));
const addrList = z.array(
  z.object({
    ifname: z.string(),
    addr_info: z.array(z.object({ family: z.string(), local: z.string(), prefixlen: z.number() })).default([]),
  }),
);
const ruleList = z.array(z.object({ priority: z.number() }));
const routeList = z.array(z.object({ dst: z.string(), type: z.string().optional() }));

// `ip -j` prints nothing at all (not `[]`) for an empty list on some versions.
const json = (text: string): unknown => (text.trim() === '' ? [] : JSON.parse(text));

export async function listNamespaces(): Promise<string[]> {
  return netnsList.parse(json(await runIp(['-j', 'netns', 'list']))).map((n) => n.name);
}

export async function listLinks(): Promise<string[]> {
  return linkList.parse(json(await runIp(['-j', 'link', 'show']))).map((l) => l.ifname);
}

export async function listIpv4Addresses(): Promise<{ ifname: string; ip: string; prefixLength: number }[]> {
  return addrList
    .parse(json(await runIp(['-j', '-4', 'addr', 'show'])))
    .flatMap((l) =>
      l.addr_info
        .filter((a) => a.family === 'inet')
        .map((a) => ({ ifname: l.ifname, ip: a.local, prefixLength: a.prefixlen })),
    );
}

export async function listRulePriorities(): Promise<number[]> {
  return ruleList.parse(json(await runIp(['-j', '-4', 'rule', 'show']))).map((r) => r.priority);
}

export async function listRoutes(table: 'main' | 'local' = 'main'): Promise<{ dst: string; type: string }[]> {
  return routeList
    .parse(json(await runIp(['-j', '-4', 'route', 'show', 'table', table])))
    .map((r) => ({ dst: r.dst, type: r.type ?? 'unicast' }));
}

/** Process ids inside a namespace (`ip netns pids`); none when the namespace is gone. */
export async function namespacePids(ns: string): Promise<number[]> {
  try {
    const out = await runIp(['netns', 'pids', ns]);
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
  } catch (err) {
    if (err instanceof IpCommandError && ABSENT.test(err.stderr)) return [];
    throw err;
  }
}
