// The write-safety harness (issue 4): a writer puts sequential keys into a cluster's etcd while something
// (a recovery, a chaos control) runs; afterwards every acknowledged key must read back with its value. It
// measures what a client of the cluster (an API server) would notice: per-write latency and the longest
// stall, the longest time in which no write was acknowledged.
//
// Plain Node and etcd3, no 'server-only': Playwright specs, tsx benches and vitest import it alike. The
// caller says where etcd is (`endpoints`, read again after a connection failure or a time-out, so a replica
// replaced mid-run is picked up) and with which client certificate.
//
// One key at a time, in order: `<prefix>/<seq>` = `<runId>:<seq>`. A put that fails is tried again with the
// same key and value until it is acknowledged (a timed-out put may have applied; putting the same value again
// changes nothing a reader can see), then the next key. The writer sticks to the endpoint that last
// answered and moves on when it fails, as etcd's own client pins one endpoint.
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import type { EtcdClientPems } from './etcd-client-pems';

export type { EtcdClientPems } from './etcd-client-pems';

export type WriterOptions = {
  /** The cluster's etcd client URLs (`https://<ip>:2379`), read now; called again after connection failures. */
  endpoints: () => Promise<WriterEndpoint[]>;
  tls: EtcdClientPems;
  /** Keys go under `<prefix>/`; use a prefix of its own per run. */
  prefix: string;
  /** Deadline of one put attempt (default 2000 ms). */
  attemptTimeoutMs?: number;
  /** Pause after each acknowledged write, to keep the load modest (default 0). */
  pauseMs?: number;
};

export type StallWindow = { ms: number; fromMs: number; toMs: number; seq: number | null };

export type WriteStats = {
  prefix: string;
  runId: string;
  /** Sequence numbers acknowledged by etcd, in order (0, 1, 2, ...). */
  acknowledgedSeqs: number[];
  /** When each of them was acknowledged, in ms since the writer started. */
  ackAtMs: number[];
  /** Longest time without an acknowledgement: from the start or the previous ack to an ack (or to the stop, when the last writes were failing). */
  longestStall: StallWindow;
  /** Per acknowledged write, from its first attempt to its acknowledgement (retries included). */
  latencyMs: { p50: number; p99: number; max: number };
  attemptsFailed: number;
  /** Failed attempts by kind: `timeout`, `connection`, `etcdserver: <etcd's words>`, `other: ...`. */
  failures: Record<string, number>;
  /** How many times the endpoint list was read again from the caller. */
  endpointRefreshes: number;
  durationMs: number;
};

export type MemberCheck = {
  endpoint: string;
  /** Acknowledged seqs this member's own (serializable) read lacks or holds with another value; null when it could not be read. */
  missing: number[] | null;
  error?: string;
};

export type Verification = {
  /** Acknowledged but missing, or holding another value, in a linearizable read of the prefix. */
  lost: number[];
  /** The endpoint that answered the linearizable read. */
  readThrough: string;
  /** Each member's own copy, after giving them `convergeMs` to catch up. */
  members: MemberCheck[];
};

export type WriteSafetyReport = WriteStats & Verification & { acknowledged: number };

export type Writer = {
  /** Stops after the write in flight, then reads every acknowledged key back. */
  stop(): Promise<WriteSafetyReport>;
  /** Stops without reading back (for a caller that verifies itself, later). */
  halt(): Promise<WriteStats>;
  /** Acknowledged so far. */
  readonly acknowledged: number;
  /** Milliseconds since the writer started, on the clock of `ackAtMs` (to mark phases of a run). */
  elapsedMs(): number;
};

const DEFAULT_ATTEMPT_TIMEOUT_MS = 2_000;
/** The JS-side guard fires this long after the gRPC deadline, in case a call hangs before the deadline applies. */
const GUARD_GRACE_MS = 250;
/** At most one endpoint refresh (a Compute list call) per this long. */
const REFRESH_EVERY_MS = 1_000;
const BACKOFF_STEP_MS = 25;
const BACKOFF_MAX_MS = 250;
const SEQ_DIGITS = 8;

export const keyOf = (prefix: string, seq: number) => `${prefix}/${String(seq).padStart(SEQ_DIGITS, '0')}`;
export const valueOf = (runId: string, seq: number) => `${runId}:${seq}`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
}

/** One client per endpoint (a single host, no retries or breaker of etcd3's own): the writer decides where the next attempt goes. */
function clientFor(endpoint: string, tls: EtcdClientPems, serverName: string | undefined): Etcd3 {
  return new Etcd3({
    hosts: endpoint,
    credentials: {
      rootCertificate: Buffer.from(tls.ca),
      certChain: Buffer.from(tls.cert),
      privateKey: Buffer.from(tls.key),
    },
    faultHandling: { host: () => noop, global: noop },
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
      // kube-up's etcd server cert names `etcd-<instance>` and 127.0.0.1, not the address dialled.
      ...(serverName ? { 'grpc.ssl_target_name_override': serverName } : {}),
    },
  });
}

/** Where a member's etcd main answers (`host:port`) and the name its server certificate carries. */
export type WriterEndpoint = { address: string; serverName: string };

/** Runs `call` with a gRPC deadline of `ms` and a guard just after it. */
async function withDeadline<T>(ms: number, call: (deadline: Date) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeout(`no answer within ${ms} ms`)), ms + GUARD_GRACE_MS);
  });
  try {
    return await Promise.race([call(new Date(Date.now() + ms)), guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** What kind of failure an attempt met: `timeout`, `connection`, etcd's own answer (`etcdserver: ...`) or `other: <message>`. */
export function failureKind(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const name = e instanceof Error ? e.constructor.name : '';
  if (e instanceof AttemptTimeout || name === 'GRPCDeadlineExceededError' || /DEADLINE_EXCEEDED/.test(message))
    return 'timeout';
  const server = /etcdserver: [^.\n]*/.exec(message)?.[0];
  if (server !== undefined) return server;
  if (
    /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ECONNRESET|socket hang up|No connection established|UNAVAILABLE|Connection dropped/i.test(
      message,
    )
  )
    return 'connection';
  const compact = message.replace(/^\d+ [A-Z_]+: /, '').trim();
  return `other: ${compact.length > 80 ? `${compact.slice(0, 77)}...` : compact}`;
}

/** Anything but an answer of etcd itself (a refused, dropped, silent or stopped member) may mean the replicas changed. */
const needsRefresh = (kind: string) => !kind.startsWith('etcdserver:');

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

/** Keeps one client per endpoint; a client whose endpoint failed is closed and made afresh on next use. */
class Clients {
  private readonly byEndpoint = new Map<string, Etcd3>();
  private readonly serverNames = new Map<string, string>();
  constructor(private readonly tls: EtcdClientPems) {}
  /** An endpoint list -> the URLs the writer works with, remembering each one's server name. */
  learn(list: readonly WriterEndpoint[]): string[] {
    return list.map((e) => {
      const url = `https://${e.address}`;
      this.serverNames.set(url, e.serverName);
      return url;
    });
  }
  get(endpoint: string): Etcd3 {
    let client = this.byEndpoint.get(endpoint);
    if (!client) {
      client = clientFor(endpoint, this.tls, this.serverNames.get(endpoint));
      this.byEndpoint.set(endpoint, client);
    }
    return client;
  }
  drop(endpoint: string): void {
    this.byEndpoint.get(endpoint)?.close();
    this.byEndpoint.delete(endpoint);
  }
  closeAll(): void {
    for (const endpoint of [...this.byEndpoint.keys()]) this.drop(endpoint);
  }
}

/** Starts writing at once; the first endpoint list is read before the first put. */
export function startWriter(opts: WriterOptions): Writer {
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const runId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const clients = new Clients(opts.tls);
  const acknowledgedSeqs: number[] = [];
  const ackAtMs: number[] = [];
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let attemptsFailed = 0;
  let endpointRefreshes = 0;
  let stopping = false;

  let endpoints: string[] = [];
  let pinned = 0;
  let lastRefresh = -Infinity;
  /** Reads the endpoint list; after a failure (`afterFailure`) at most once per REFRESH_EVERY_MS. */
  const refresh = async (afterFailure: boolean) => {
    if (afterFailure && performance.now() - lastRefresh < REFRESH_EVERY_MS) return;
    if (afterFailure) lastRefresh = performance.now();
    try {
      const fresh = clients.learn(await opts.endpoints());
      endpointRefreshes++;
      if (fresh.length === 0) return;
      const current = endpoints[pinned];
      for (const gone of endpoints.filter((e) => !fresh.includes(e))) clients.drop(gone);
      endpoints = fresh;
      pinned = current !== undefined && fresh.includes(current) ? fresh.indexOf(current) : 0;
    } catch (e) {
      // Compute not answering is no reason to stop writing: keep the list we have.
      const kind = `endpoints: ${failureKind(e)}`;
      failures[kind] = (failures[kind] ?? 0) + 1;
    }
  };

  const start = performance.now();
  let lastAck = start;
  let longestStall: StallWindow = { ms: 0, fromMs: 0, toMs: 0, seq: null };
  let failingSinceAck = false;

  const noteGap = (now: number, seq: number | null) => {
    if (now - lastAck > longestStall.ms)
      longestStall = { ms: now - lastAck, fromMs: lastAck - start, toMs: now - start, seq };
  };

  const loop = async () => {
    await refresh(false);
    for (let seq = 0; !stopping; seq++) {
      const key = keyOf(opts.prefix, seq);
      const value = valueOf(runId, seq);
      const firstTry = performance.now();
      let consecutive = 0;
      for (;;) {
        if (stopping) return;
        const endpoint = endpoints[pinned % Math.max(1, endpoints.length)];
        if (endpoint === undefined) {
          await sleep(BACKOFF_MAX_MS);
          await refresh(false);
          continue;
        }
        try {
          const client = clients.get(endpoint);
          await withDeadline(attemptTimeoutMs, (deadline) => client.put(key).value(value).options({ deadline }).exec());
          const now = performance.now();
          acknowledgedSeqs.push(seq);
          ackAtMs.push(now - start);
          latencies.push(now - firstTry);
          noteGap(now, seq);
          lastAck = now;
          failingSinceAck = false;
          break;
        } catch (e) {
          const kind = failureKind(e);
          attemptsFailed++;
          failures[kind] = (failures[kind] ?? 0) + 1;
          failingSinceAck = true;
          consecutive++;
          // The next attempt goes to the next endpoint; unless etcd itself answered, the failed one also gets a
          // new client and the list is read again (the replica may have been replaced, at a new address).
          pinned = (pinned + 1) % Math.max(1, endpoints.length);
          if (needsRefresh(kind)) {
            clients.drop(endpoint);
            await refresh(true);
          }
          await sleep(Math.min(BACKOFF_MAX_MS, BACKOFF_STEP_MS * consecutive));
        }
      }
      if (opts.pauseMs) await sleep(opts.pauseMs);
    }
  };

  let ended: Promise<WriteStats> | null = null;
  const running = loop();
  const halt = (): Promise<WriteStats> => {
    ended ??= (async () => {
      stopping = true;
      await running;
      const now = performance.now();
      // Writes failing right up to the stop are a stall that had not ended yet.
      if (failingSinceAck) noteGap(now, null);
      clients.closeAll();
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        prefix: opts.prefix,
        runId,
        acknowledgedSeqs: [...acknowledgedSeqs],
        ackAtMs: [...ackAtMs],
        longestStall,
        latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN },
        attemptsFailed,
        failures: { ...failures },
        endpointRefreshes,
        durationMs: now - start,
      };
    })();
    return ended;
  };

  return {
    halt,
    async stop() {
      const stats = await halt();
      const verification = await verifyAcknowledged({
        endpoints: opts.endpoints,
        tls: opts.tls,
        prefix: stats.prefix,
        runId: stats.runId,
        acknowledgedSeqs: stats.acknowledgedSeqs,
      });
      return { ...stats, ...verification, acknowledged: stats.acknowledgedSeqs.length };
    },
    get acknowledged() {
      return acknowledgedSeqs.length;
    },
    elapsedMs: () => performance.now() - start,
  };
}

/**
 * The longest stall that began inside [fromMs, toMs) (ms since the writer started): the gap after each
 * acknowledgement in that window, counted in full even when it runs past `toMs` (the last one runs to the
 * end of the run). A stall that a fault began before the window is the fault's, not the next phase's. With
 * `inProgress` the gap already open at `fromMs` counts too: for a fault's phase, whose stall starts at the
 * last write acknowledged before the fault was set off.
 */
export function longestStallWithin(
  stats: Pick<WriteStats, 'ackAtMs' | 'durationMs'>,
  fromMs: number,
  toMs: number,
  opts: { inProgress?: boolean } = {},
): number {
  let longest = 0;
  for (const [i, at] of stats.ackAtMs.entries()) {
    const next = stats.ackAtMs[i + 1] ?? stats.durationMs;
    const inWindow = at >= fromMs && at < toMs;
    const openAtStart = opts.inProgress === true && at < fromMs && next >= fromMs;
    if (inWindow || openAtStart) longest = Math.max(longest, next - at);
  }
  return longest;
}

export type VerifyOptions = {
  endpoints: () => Promise<WriterEndpoint[]>;
  tls: EtcdClientPems;
  prefix: string;
  runId: string;
  acknowledgedSeqs: readonly number[];
  /** How long to keep trying the linearizable read through each endpoint in turn (default 30 s). */
  readTimeoutMs?: number;
  /** How long the members get to hold every acknowledged key in their own copy (default 15 s). */
  convergeMs?: number;
};

/** The acknowledged seqs that `kvs` (key -> value) lacks or holds with another value. */
function missingFrom(kvs: Record<string, string>, prefix: string, runId: string, seqs: readonly number[]): number[] {
  return seqs.filter((seq) => kvs[keyOf(prefix, seq)] !== valueOf(runId, seq));
}

/**
 * Reads the prefix back: once linearizably through the first member that answers (the verdict: `lost`),
 * then each member's own copy with serializable reads, polled until it holds every acknowledged key or
 * `convergeMs` passes (a member that lags or was just replaced gets time to catch up).
 */
export async function verifyAcknowledged(opts: VerifyOptions): Promise<Verification> {
  const clients = new Clients(opts.tls);
  const callMs = 5_000;
  const range = (endpoint: string, serializable: boolean) =>
    withDeadline(callMs, (deadline) =>
      clients
        .get(endpoint)
        .getAll()
        .prefix(`${opts.prefix}/`)
        .serializable(serializable)
        .options({ deadline })
        .strings(),
    );
  try {
    const readUntil = performance.now() + (opts.readTimeoutMs ?? 30_000);
    let verdict: { lost: number[]; readThrough: string } | null = null;
    const errors: string[] = [];
    let endpoints: string[] = [];
    while (verdict === null) {
      endpoints = clients.learn(await opts.endpoints());
      for (const endpoint of endpoints) {
        try {
          verdict = {
            lost: missingFrom(await range(endpoint, false), opts.prefix, opts.runId, opts.acknowledgedSeqs),
            readThrough: endpoint,
          };
          break;
        } catch (e) {
          errors.push(`${endpoint}: ${failureKind(e)}`);
          clients.drop(endpoint);
        }
      }
      if (verdict === null && performance.now() > readUntil)
        throw new Error(`no member answered a linearizable read of ${opts.prefix}/: ${errors.slice(-6).join('; ')}`);
      if (verdict === null) await sleep(500);
    }

    const convergeUntil = performance.now() + (opts.convergeMs ?? 15_000);
    const members = await Promise.all(
      endpoints.map(async (endpoint): Promise<MemberCheck> => {
        for (;;) {
          let check: MemberCheck;
          try {
            check = {
              endpoint,
              missing: missingFrom(await range(endpoint, true), opts.prefix, opts.runId, opts.acknowledgedSeqs),
            };
          } catch (e) {
            clients.drop(endpoint);
            check = { endpoint, missing: null, error: failureKind(e) };
          }
          if (check.missing?.length === 0 || performance.now() > convergeUntil) return check;
          await sleep(500);
        }
      }),
    );
    return { ...verdict, members };
  } finally {
    clients.closeAll();
  }
}

const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : '-');

/** Lines for a console: the counts, the longest stall and where it fell, latency, failures by kind, each member's copy. */
export function formatWriteSafetyReport(r: WriteSafetyReport): string[] {
  const seqs = (xs: readonly number[]) =>
    xs.length <= 10 ? xs.join(', ') : `${xs.slice(0, 10).join(', ')}, ... (${xs.length})`;
  const stall = r.longestStall;
  const kinds = Object.entries(r.failures).sort((a, b) => b[1] - a[1]);
  return [
    `acknowledged ${r.acknowledged} writes in ${(r.durationMs / 1_000).toFixed(1)} s; lost ${r.lost.length}${r.lost.length ? ` (seq ${seqs(r.lost)})` : ''} (read back through ${r.readThrough})`,
    `longest stall ${ms(stall.ms)} (from ${ms(stall.fromMs)} to ${ms(stall.toMs)} into the run${stall.seq === null ? ', still failing at the stop' : `, ended by seq ${stall.seq}`})`,
    `latency per write: p50 ${ms(r.latencyMs.p50)}, p99 ${ms(r.latencyMs.p99)}, max ${ms(r.latencyMs.max)}`,
    `failed attempts ${r.attemptsFailed}${kinds.length ? `: ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}` : ''}; endpoint lists read ${r.endpointRefreshes}`,
    ...r.members.map(
      (m) =>
        `member ${m.endpoint}: ${m.missing === null ? `unreadable (${m.error ?? '?'})` : m.missing.length === 0 ? 'holds every acknowledged key' : `lacks ${m.missing.length} (seq ${seqs(m.missing)})`}`,
    ),
  ];
}
