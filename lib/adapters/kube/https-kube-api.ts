import 'server-only';
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import type { ApiServerProbe, LeaseView, NodeView } from '@/lib/core/topology';
import { noAccessError } from '@/lib/core/probe-errors';
import type { ApiServerEndpoint, KubeApiPort, KubeCredentials } from '@/lib/ports/kube-api';
import { isReachError, type ReachError, type ReachPort } from '@/lib/ports/reach';
import { describeKubeError, toLeaseViews, toNodeViews } from './kube-mapping';
import { isConnectionReset } from '@/lib/adapters/connection-reset';

// The Kubernetes API of one replica, over plain HTTPS: Quorum reads three things (/readyz and /livez, the
// kube-system Leases, the Nodes), which need no generated client (@kubernetes/client-node needed two shims for
// them: an HTTP library with a deadline and a KubeConfig with a pooled agent). Requests go on a keep-alive agent per (local forward, credentials) with a hard
// deadline; the API server is reached through the reach port's local forward (SSH to the replica's :443) and
// verified as `kubernetes`, with the admin client certificate or bearer token of kube-up's kubeconfig. A
// failure the reach port explains as an access problem reads `noaccess:`.

type Entry = { agent: https.Agent; bearerToken: string | null; lastUsed: number };

type KubeAnswer = { status: number; body: string };

/** A non-2xx answer: its status code and Kubernetes' reason (describeKubeError words it `HTTP <code> <reason>`). */
class KubeHttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`HTTP ${code} ${reason}`);
    this.name = 'KubeHttpError';
  }
}

const statusSchema = z.object({ message: z.string() });

/** Kubernetes' own reason for a refusal (a Status object's message), else the HTTP reason phrase. */
function refusalReason(answer: KubeAnswer, statusText: string): string {
  try {
    const parsed = statusSchema.safeParse(JSON.parse(answer.body));
    if (parsed.success && parsed.data.message !== '') return parsed.data.message;
  } catch {
    // Not JSON: the reason phrase says it.
  }
  return statusText;
}

export type HttpsKubeApiOptions = { idleMs?: number };

export class HttpsKubeApi implements KubeApiPort {
  private readonly entries = new Map<string, Entry>();
  private readonly idleMs: number;

  constructor(
    private readonly reach: ReachPort,
    opts: HttpsKubeApiOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? 10 * 60_000;
  }

  async probe(server: ApiServerEndpoint, creds: KubeCredentials, timeoutMs: number): Promise<ApiServerProbe> {
    let entry: Entry;
    try {
      entry = await this.entry(server, creds);
    } catch (e) {
      if (isReachError(e)) return { ready: null, live: null, error: reachReason(e) };
      throw e;
    }
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const [ready, live] = await Promise.all([
        healthCheck(entry, '/readyz', signal),
        healthCheck(entry, '/livez', signal),
      ]);
      return { ready, live };
    } catch (e) {
      const why = this.reach.lastError(server.target, server.port);
      if (why) return { ready: null, live: null, error: reachReason(why) };
      return { ready: null, live: null, error: describeKubeError(e, timeoutMs) };
    }
  }

  async leases(server: ApiServerEndpoint, creds: KubeCredentials, timeoutMs: number): Promise<LeaseView[]> {
    try {
      return toLeaseViews(
        await this.getJson(server, creds, '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', timeoutMs),
      );
    } catch (e) {
      throw new Error(`leases from ${label(server)}: ${this.explain(server, e, timeoutMs)}`, { cause: e });
    }
  }

  async nodes(server: ApiServerEndpoint, creds: KubeCredentials, timeoutMs: number): Promise<NodeView[]> {
    try {
      return toNodeViews(await this.getJson(server, creds, '/api/v1/nodes', timeoutMs));
    } catch (e) {
      throw new Error(`nodes from ${label(server)}: ${this.explain(server, e, timeoutMs)}`, { cause: e });
    }
  }

  private async getJson(
    server: ApiServerEndpoint,
    creds: KubeCredentials,
    path: string,
    timeoutMs: number,
  ): Promise<unknown> {
    const entry = await this.entry(server, creds);
    const answer = await get(entry, path, AbortSignal.timeout(timeoutMs));
    if (answer.status < 200 || answer.status > 299)
      throw new KubeHttpError(answer.status, refusalReason(answer, http.STATUS_CODES[answer.status] ?? ''));
    return JSON.parse(answer.body);
  }

  private explain(server: ApiServerEndpoint, e: unknown, timeoutMs: number): string {
    if (isReachError(e)) return reachReason(e);
    const why = this.reach.lastError(server.target, server.port);
    return why ? reachReason(why) : describeKubeError(e, timeoutMs);
  }

  close(): void {
    for (const e of this.entries.values()) e.agent.destroy();
    this.entries.clear();
  }

  /** Rejects with a ReachError when the replica's SSH connection cannot be made. */
  private async entry(endpoint: ApiServerEndpoint, creds: KubeCredentials): Promise<Entry> {
    const local = await this.reach.forward(endpoint.target, endpoint.port);
    const now = Date.now();
    for (const [key, e] of this.entries) {
      if (now - e.lastUsed > this.idleMs) {
        e.agent.destroy();
        this.entries.delete(key);
      }
    }
    // Keyed by the local forward, which the reach port keeps per (instance id, port).
    const key = `${local.socketPath}|${fingerprint(creds)}`;
    const found = this.entries.get(key);
    if (found) {
      found.lastUsed = now;
      return found;
    }
    const entry = {
      agent: agentFor(creds, local.socketPath),
      bearerToken: 'bearerToken' in creds ? creds.bearerToken : null,
      lastUsed: now,
    };
    this.entries.set(key, entry);
    return entry;
  }
}

/**
 * GET on the entry's agent (which dials the forward's socket whatever the URL says; the host is the name the
 * serving cert is checked for), with the bearer token when the credentials are one.
 */
function get(entry: Entry, path: string, signal: AbortSignal, retried = false): Promise<KubeAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (entry.bearerToken) headers.authorization = `Bearer ${entry.bearerToken}`;
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: KUBE_API_SERVER_NAME, port: 443, path, method: 'GET', headers, agent: entry.agent, signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', (e) => {
      // A kept-alive connection the API server closed as idle just as this GET went out on it (Node's documented
      // race, `request.reusedSocket`): not an answer of the server's; asked once more, on a new connection.
      if (!retried && req.reusedSocket && isConnectionReset(e) && !signal.aborted)
        resolve(get(entry, path, signal, true));
      else reject(e);
    });
    req.end();
  });
}

/**
 * /readyz or /livez as kubectl and client-go's health checks read them: 200 is true, another answer false; a
 * server too old to have the endpoint (404) is asked /healthz, and one without that either counts as up.
 */
async function healthCheck(
  entry: Entry,
  path: '/readyz' | '/livez' | '/healthz',
  signal: AbortSignal,
): Promise<boolean> {
  const { status } = await get(entry, path, signal);
  if (status === 200) return true;
  if (status === 404) return path === '/healthz' ? true : healthCheck(entry, '/healthz', signal);
  return false;
}

/**
 * The name every replica's serving cert carries: kube-up's MASTER_CERT (shared by the replicas) names the
 * static IP and the `kubernetes` service names, no replica address; Node takes no IP as SNI.
 */
export const KUBE_API_SERVER_NAME = 'kubernetes';

/** An agent whose every connection goes to one Unix socket (the reach port's forward to the replica's :443). */
class SocketAgent extends https.Agent {
  constructor(
    private readonly socketPath: string,
    opts: https.AgentOptions,
  ) {
    super(opts);
  }

  override createConnection(
    options: Parameters<https.Agent['createConnection']>[0],
    callback?: Parameters<https.Agent['createConnection']>[1],
  ) {
    return super.createConnection({ ...options, path: this.socketPath }, callback);
  }
}

function agentFor(creds: KubeCredentials, socketPath: string): https.Agent {
  const client = 'bearerToken' in creds ? {} : { cert: creds.clientCert, key: creds.clientKey };
  return new SocketAgent(socketPath, {
    ca: creds.caCert,
    ...client,
    servername: KUBE_API_SERVER_NAME,
    keepAlive: true,
    maxSockets: 4,
  });
}

function fingerprint(creds: KubeCredentials): string {
  const parts =
    'bearerToken' in creds
      ? [creds.caCert, 'token', creds.bearerToken]
      : [creds.caCert, 'cert', creds.clientCert, creds.clientKey];
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

function label(server: ApiServerEndpoint): string {
  return `${server.target.instance}:${server.port}`;
}

/** An access problem reads `noaccess: why`; the API server's port refusing behind an open channel reads as refused. */
function reachReason(e: ReachError): string {
  return e.accessProblem ? noAccessError(e.message, e.code) : `connection refused (${e.message})`;
}
