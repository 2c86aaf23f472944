import 'server-only';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { z } from 'zod';
import type { EtcdMember, EtcdMemberStatus, EtcdPeerView } from '@/lib/core/topology';
import { noAccessError } from '@/lib/core/probe-errors';
import { endpointLabel, type EtcdAdminPort, type EtcdEndpoint, type EtcdTls } from '@/lib/ports/etcd-admin';
import { isReachError, type ReachPort } from '@/lib/ports/reach';
import { ProviderError } from '@/lib/ports/provider-error';
import { parsePeerMetrics, toPeerView } from './etcd-metrics';
import { MetricsReader } from './metrics-reader';
import { describeEtcdError, isConnectionFailure, isEtcdServerAnswer, toEtcdProviderError } from './etcd-errors';

// One etcd3 client per endpoint (instance id, port): a status call must reach exactly that member, and a
// learner must never sit in a client's host list (it refuses most RPCs). etcd listens on the master's own
// loopback only, so every client dials a local forward of the reach port (SSH, lib/adapters/reach):
// `https://127.0.0.1:<local port>` or `http://...`. A failure is explained by the reach port: an access
// problem (Quorum's key, host key, port 22) is `noaccess:`, a refused remote port is etcd being down. Clients are kept between observations so their
// connections are reused, and dropped after a while unused (replicas come and go). With TLS (etcd main of
// a cluster whose metadata has the ETCD_APISERVER_* set) the member must prove the name its kube-up server
// certificate carries, `etcd-<instance>`; without it (events, and main before ~1.16) the client speaks
// plain gRPC, as kube-up's API server does (--etcd-servers=http://127.0.0.1:...).

const uint64 = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String);
const count = z.union([z.string().regex(/^\d+$/), z.number()]).transform(Number);

const memberSchema = z.object({
  ID: uint64,
  name: z.string().default(''),
  peerURLs: z.array(z.string()).default([]),
  clientURLs: z.array(z.string()).default([]),
  isLearner: z.boolean().default(false),
});
const memberListSchema = z.object({ members: z.array(memberSchema) });
const memberAddSchema = z.object({ member: memberSchema });
const rangeHeaderSchema = z.object({ header: z.object({ revision: count }) });
const rangeKeysSchema = z.object({ kvs: z.array(z.unknown()).default([]) });
const snapshotChunkSchema = z.object({ blob: z.instanceof(Uint8Array) });

/** Default deadline of a membership change: etcd applies it through raft, a few round trips. */
const MUTATION_TIMEOUT_MS = 10_000;

const statusSchema = z.object({
  header: z.object({ member_id: uint64 }),
  leader: uint64,
  raftIndex: count,
  raftTerm: count,
  dbSize: count,
  isLearner: z.boolean().default(false),
  version: z.string(),
});

export function toEtcdMembers(raw: unknown): EtcdMember[] {
  const parsed = memberListSchema.parse(raw);
  return parsed.members
    .map((m) => ({ id: m.ID, name: m.name, peerUrls: m.peerURLs, clientUrls: m.clientURLs, isLearner: m.isLearner }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

export function toEtcdStatus(raw: unknown): EtcdMemberStatus {
  const s = statusSchema.parse(raw);
  return {
    ok: true,
    memberId: s.header.member_id,
    leaderId: s.leader,
    raftIndex: s.raftIndex,
    raftTerm: s.raftTerm,
    dbSize: s.dbSize,
    isLearner: s.isLearner,
    version: s.version,
  };
}

type CachedClient = { client: Etcd3; lastUsed: number; socketPath: string };

export type Etcd3AdminOptions = {
  /** Close a cached client after this long unused. */
  idleMs?: number;
  /** gRPC reconnect backoff cap: a member that comes back is seen within about this long. */
  maxReconnectBackoffMs?: number;
};

/** Extra time given to the gRPC deadline before the call is abandoned from here. */
const GRACE_MS = 150;

export class Etcd3Admin implements EtcdAdminPort {
  private readonly clients = new Map<string, CachedClient>();
  private readonly metrics = new MetricsReader();
  private readonly idleMs: number;
  private readonly maxReconnectBackoffMs: number;
  private closed = false;

  constructor(
    private readonly reach: ReachPort,
    opts: Etcd3AdminOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? 10 * 60_000;
    this.maxReconnectBackoffMs = opts.maxReconnectBackoffMs ?? 1_000;
  }

  async memberList(endpoints: EtcdEndpoint[], creds: EtcdTls, timeoutMs: number): Promise<EtcdMember[]> {
    const unique = uniqueEndpoints(endpoints);
    if (unique.length === 0) throw new ProviderError('ProviderUnavailable', 'no etcd endpoint to ask');
    const attempts = unique.map(async (endpoint) => {
      try {
        const raw = await this.call(endpoint, creds, timeoutMs, (client, deadline) =>
          client.cluster.memberList({}, { deadline }),
        );
        return toEtcdMembers(raw);
      } catch (e) {
        if (isReachError(e) && e.accessProblem) throw new NoAccessAttempt(`${endpointLabel(endpoint)}: ${e.message}`);
        // The SSH channel opened but nothing accepts on the port: worded as status() words it.
        if (isReachError(e)) throw new Error(`${endpointLabel(endpoint)}: connection refused (${e.message})`);
        throw new Error(`${endpointLabel(endpoint)}: ${describeEtcdError(e, timeoutMs)}`);
      }
    });
    try {
      return await Promise.any(attempts);
    } catch (e) {
      const reasons =
        e instanceof AggregateError
          ? e.errors.map((x: unknown) => (x instanceof Error ? x.message : String(x)))
          : [String(e)];
      const errors: unknown[] = e instanceof AggregateError ? e.errors : [e];
      const allTimedOut = reasons.every((r) => r.includes(': timeout:'));
      const summary = reasons.join('; ');
      // Quorum could not get into any replica: say so, rather than "etcd down" (nothing was asked).
      if (errors.every((x) => x instanceof NoAccessAttempt)) {
        throw new ProviderError('NoAccess', noAccessError(`Quorum cannot reach any replica over SSH (${summary})`));
      }
      // The core reads a `timeout:` prefix as "unknown"; keep it when nobody answered at all.
      throw allTimedOut
        ? new ProviderError('Timeout', `timeout: no member answered within ${timeoutMs} ms (${summary})`)
        : new ProviderError('ProviderUnavailable', `no member answered: ${summary}`);
    }
  }

  async status(endpoint: EtcdEndpoint, creds: EtcdTls, timeoutMs: number): Promise<EtcdMemberStatus> {
    try {
      const raw = await this.call(endpoint, creds, timeoutMs, (client, deadline) =>
        client.maintenance.status({ deadline }),
      );
      return toEtcdStatus(raw);
    } catch (e) {
      if (isReachError(e))
        return {
          ok: false,
          error: e.accessProblem ? noAccessError(e.message, e.code) : `connection refused (${e.message})`,
        };
      return { ok: false, error: describeEtcdError(e, timeoutMs) };
    }
  }

  async peers(endpoint: EtcdEndpoint, creds: EtcdTls, timeoutMs: number): Promise<EtcdPeerView> {
    try {
      const local = await this.reach.forward(endpoint.target, endpoint.port);
      if (this.closed) throw new Error('etcd admin is closed');
      const lines = await this.metrics.read(local, creds, endpoint.serverName, timeoutMs);
      return toPeerView(parsePeerMetrics(lines.join('\n')));
    } catch (e) {
      // Through a forward, a refused or reset socket is explained by the reach port (as in call()).
      const why = isReachError(e)
        ? e
        : isConnectionFailure(e)
          ? this.reach.lastError(endpoint.target, endpoint.port)
          : null;
      if (why)
        return {
          ok: false,
          error: why.accessProblem ? noAccessError(why.message, why.code) : `connection refused (${why.message})`,
        };
      const message = e instanceof Error ? e.message : String(e);
      return {
        ok: false,
        error: message.startsWith('timeout:') ? message : `metrics: ${describeEtcdError(e, timeoutMs)}`,
      };
    }
  }

  async revision(endpoint: EtcdEndpoint, creds: EtcdTls, timeoutMs: number): Promise<number> {
    try {
      // A count-only range of one key: linearizable by default, and the header carries the store's revision.
      const raw = await this.call(endpoint, creds, timeoutMs, (client, deadline) =>
        client.kv.range({ key: Buffer.from('/quorum/revision-probe'), count_only: true }, { deadline }),
      );
      return rangeHeaderSchema.parse(raw).header.revision;
    } catch (e) {
      throw toEtcdProviderError(e, `revision via ${endpointLabel(endpoint)}`, timeoutMs);
    }
  }

  async hasKeyModifiedIn(
    endpoint: EtcdEndpoint,
    creds: EtcdTls,
    revisions: { from: number; to: number },
    timeoutMs: number,
  ): Promise<boolean> {
    try {
      // Not count_only: etcd counts before it applies the mod-revision filters. keys_only and limit 1 keep it small.
      const raw = await this.call(endpoint, creds, timeoutMs, (client, deadline) =>
        client.kv.range(
          {
            key: Buffer.from([0]),
            range_end: Buffer.from([0]),
            keys_only: true,
            limit: 1,
            min_mod_revision: revisions.from,
            max_mod_revision: revisions.to,
          },
          { deadline },
        ),
      );
      return rangeKeysSchema.parse(raw).kvs.length > 0;
    } catch (e) {
      throw toEtcdProviderError(e, `range by revision via ${endpointLabel(endpoint)}`, timeoutMs);
    }
  }

  async *snapshot(
    endpoint: EtcdEndpoint,
    creds: EtcdTls,
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): AsyncIterable<Uint8Array> {
    const { timeoutMs, signal } = opts;
    const what = `snapshot via ${endpointLabel(endpoint)}`;
    let client: Etcd3;
    try {
      client = await this.clientFor(endpoint, creds);
    } catch (e) {
      throw toEtcdProviderError(e, what, timeoutMs);
    }
    let stream: unknown;
    try {
      stream = await client.maintenance.snapshot({ deadline: new Date(Date.now() + timeoutMs) });
    } catch (e) {
      throw toEtcdProviderError(e, what, timeoutMs);
    }
    // grpc-js hands back a Readable (ClientReadableStream): iterating it keeps back-pressure towards etcd.
    if (!(stream instanceof Readable))
      throw new ProviderError('Unknown', `${what}: the etcd client returned no readable stream`);
    const readable = stream;
    const onAbort = () => readable.destroy(new Error('snapshot cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) onAbort();
      for await (const message of readable) yield snapshotChunkSchema.parse(message).blob;
    } catch (e) {
      throw toEtcdProviderError(e, what, timeoutMs);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      readable.destroy();
    }
  }

  async memberAddLearner(
    endpoints: EtcdEndpoint[],
    creds: EtcdTls,
    peerUrls: string[],
    timeoutMs = MUTATION_TIMEOUT_MS,
  ): Promise<EtcdMember> {
    const raw = await this.mutate(
      `member add (learner) ${peerUrls.join(',')}`,
      endpoints,
      creds,
      timeoutMs,
      (client, deadline) => client.cluster.memberAdd({ peerURLs: peerUrls, isLearner: true }, { deadline }),
    );
    const { member: m } = memberAddSchema.parse(raw);
    return { id: m.ID, name: m.name, peerUrls: m.peerURLs, clientUrls: m.clientURLs, isLearner: m.isLearner };
  }

  async memberPromote(
    endpoints: EtcdEndpoint[],
    creds: EtcdTls,
    memberId: string,
    timeoutMs = MUTATION_TIMEOUT_MS,
  ): Promise<void> {
    await this.mutate(`member promote ${memberId}`, endpoints, creds, timeoutMs, (client, deadline) =>
      client.cluster.memberPromote({ ID: memberId }, { deadline }),
    );
  }

  async memberRemove(
    endpoints: EtcdEndpoint[],
    creds: EtcdTls,
    memberId: string,
    timeoutMs = MUTATION_TIMEOUT_MS,
  ): Promise<void> {
    await this.mutate(`member remove ${memberId}`, endpoints, creds, timeoutMs, (client, deadline) =>
      client.cluster.memberRemove({ ID: memberId }, { deadline }),
    );
  }

  async moveLeader(
    leaderEndpoint: EtcdEndpoint,
    creds: EtcdTls,
    targetMemberId: string,
    timeoutMs = MUTATION_TIMEOUT_MS,
  ): Promise<void> {
    await this.mutate(`move leader to ${targetMemberId}`, [leaderEndpoint], creds, timeoutMs, (client, deadline) =>
      client.maintenance.moveLeader({ targetID: targetMemberId }, { deadline }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.metrics.close();
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
  }

  /** Number of cached clients (for tests and diagnostics). */
  get cachedClients(): number {
    return this.clients.size;
  }

  /**
   * A membership change through the first endpoint that answers. Endpoints are tried one after another,
   * never at once: the change must be sent once. An answer of etcd (a refusal) ends the attempts; only an
   * endpoint that could not be reached is passed over. A time-out also ends them: the change may have
   * been applied, and the caller must observe before it tries again.
   */
  private async mutate<T>(
    what: string,
    endpoints: EtcdEndpoint[],
    creds: EtcdTls,
    timeoutMs: number,
    run: (client: Etcd3, deadline: Date) => Promise<T>,
  ): Promise<T> {
    const unique = uniqueEndpoints(endpoints);
    if (unique.length === 0) throw new ProviderError('ProviderUnavailable', `${what}: no etcd endpoint to ask`);
    const failures: string[] = [];
    let noAccess = 0;
    for (const endpoint of unique) {
      try {
        return await this.call(endpoint, creds, timeoutMs, run);
      } catch (e) {
        const err = toEtcdProviderError(e, `${what} via ${endpointLabel(endpoint)}`, timeoutMs);
        if (isEtcdServerAnswer(e) || err.code === 'Timeout') throw err;
        if (err.code === 'NoAccess') noAccess++;
        failures.push(err.message);
      }
    }
    if (noAccess === unique.length) {
      throw new ProviderError(
        'NoAccess',
        noAccessError(`${what}: Quorum cannot reach any replica over SSH, nothing was sent (${failures.join('; ')})`),
      );
    }
    throw new ProviderError('ProviderUnavailable', `${what}: no endpoint answered (${failures.join('; ')})`);
  }

  private async call<T>(
    endpoint: EtcdEndpoint,
    creds: EtcdTls,
    timeoutMs: number,
    run: (client: Etcd3, deadline: Date) => Promise<T>,
  ): Promise<T> {
    const client = await this.clientFor(endpoint, creds);
    let timer: NodeJS.Timeout | undefined;
    // gRPC enforces the deadline; the timer only guards against a call that never settles.
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('DEADLINE_EXCEEDED (client guard)')), timeoutMs + GRACE_MS);
    });
    try {
      return await Promise.race([run(client, new Date(Date.now() + timeoutMs)), guard]);
    } catch (e) {
      // A channel that could not connect backs off (up to maxReconnectBackoffMs) before trying again, so a
      // member that has just come up (a new replica on a reused internal IP, a restarted etcd) would be
      // seen up to a second late: the next call gets a fresh client instead.
      if (isConnectionFailure(e)) {
        this.drop(endpoint, creds, client);
        // Through a forward, "connection refused/reset" is the tunnel's local socket closing: the reach
        // port knows whether the SSH path failed (an access problem) or etcd's port refused (etcd down).
        const why = this.reach.lastError(endpoint.target, endpoint.port);
        if (why) throw why;
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private drop(endpoint: EtcdEndpoint, creds: EtcdTls, client: Etcd3): void {
    const key = clientKey(endpoint, creds);
    if (this.clients.get(key)?.client !== client) return;
    this.clients.delete(key);
    client.close();
  }

  /** Rejects with a ReachError when the replica's SSH connection cannot be made. */
  private async clientFor(endpoint: EtcdEndpoint, creds: EtcdTls): Promise<Etcd3> {
    if (this.closed) throw new Error('etcd admin is closed');
    const local = await this.reach.forward(endpoint.target, endpoint.port);
    if (this.closed) throw new Error('etcd admin is closed');
    const now = Date.now();
    this.evictIdle(now);
    const key = clientKey(endpoint, creds);
    const cached = this.clients.get(key);
    // The reach port keeps one socket per (instance id, port) until the instance is released; a new one
    // (after a release) needs a new client.
    if (cached && cached.socketPath === local.socketPath) {
      cached.lastUsed = now;
      return cached.client;
    }
    if (cached) {
      cached.client.close();
      this.clients.delete(key);
    }
    const client = new Etcd3({
      // gRPC's own scheme for a Unix socket; TLS or not follows from the credentials below.
      hosts: [`unix:${local.socketPath}`],
      ...(creds
        ? {
            credentials: {
              rootCertificate: Buffer.from(creds.caCert),
              certChain: Buffer.from(creds.clientCert),
              privateKey: Buffer.from(creds.clientKey),
            },
          }
        : {}),
      // No retries and no breaker: a probe must report what happened now, and a refused call must
      // not make the next one fail without being tried.
      faultHandling: { host: () => noop, global: noop },
      grpcOptions: {
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': this.maxReconnectBackoffMs,
        // Verify (and send as SNI) the name kube-up's server cert carries, not the forward's address.
        ...(creds ? { 'grpc.ssl_target_name_override': endpoint.serverName } : {}),
      },
    });
    this.clients.set(key, { client, lastUsed: now, socketPath: local.socketPath });
    return client;
  }

  private evictIdle(now: number): void {
    for (const [key, entry] of this.clients) {
      if (now - entry.lastUsed > this.idleMs) {
        entry.client.close();
        this.clients.delete(key);
      }
    }
  }
}

function fingerprint(creds: EtcdTls): string {
  if (creds === null) return 'plaintext';
  return createHash('sha256')
    .update(creds.caCert)
    .update('\0')
    .update(creds.clientCert)
    .update('\0')
    .update(creds.clientKey)
    .digest('hex')
    .slice(0, 16);
}

function clientKey(endpoint: EtcdEndpoint, creds: EtcdTls): string {
  return `${endpoint.target.instanceId}|${endpoint.port}|${creds ? endpoint.serverName : ''}|${fingerprint(creds)}`;
}

function uniqueEndpoints(endpoints: readonly EtcdEndpoint[]): EtcdEndpoint[] {
  const seen = new Map<string, EtcdEndpoint>();
  for (const e of endpoints) {
    const key = `${e.target.instanceId}|${e.port}|${e.serverName}`;
    if (!seen.has(key)) seen.set(key, e);
  }
  return [...seen.values()];
}

/** One endpoint of a member list that Quorum could not get into (an access problem, not etcd's answer). */
class NoAccessAttempt extends Error {
  override readonly name = 'NoAccessAttempt';
}
