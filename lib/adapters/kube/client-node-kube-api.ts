import 'server-only';
import { createHash } from 'node:crypto';
import https from 'node:https';
import {
  CoordinationV1Api,
  CoreV1Api,
  createConfiguration,
  Health,
  KubeConfig,
  RequestContext,
  ResponseContext,
  ServerConfiguration,
  wrapHttpLibrary,
  type PromiseHttpLibrary,
} from '@kubernetes/client-node';
import type { ApiServerProbe, LeaseView, NodeView } from '@/lib/core/topology';
import { noAccessError } from '@/lib/core/probe-errors';
import type { ApiServerEndpoint, KubeApiPort, KubeCredentials } from '@/lib/ports/kube-api';
import { isReachError, type ReachError, type ReachPort } from '@/lib/ports/reach';
import { describeKubeError, toLeaseViews, toNodeViews } from './kube-mapping';

// The Kubernetes API of one replica, through @kubernetes/client-node. The KubeConfig is built in code
// from the PEMs in the master's metadata. The generated API clients cannot time out a request, so they
// get an HTTP library that can, on a keep-alive agent per (server, credentials). The API server is reached
// through the reach port's local forward (`https://127.0.0.1:<local port>`, SSH to the replica's :443) and
// verified as `kubernetes`; a failure the reach port explains as an access problem reads `noaccess:`.

type Entry = { kc: KubeConfig; agent: https.Agent; lastUsed: number; server: string };

/** Sends the generated client's requests over our agent with a hard deadline. */
class DeadlineHttpLibrary implements PromiseHttpLibrary {
  constructor(
    private readonly agent: https.Agent,
    private readonly timeoutMs: number,
    /** KUBE_BEARER_TOKEN when the credentials are a token: the agent carries a client certificate otherwise. */
    private readonly bearerToken: string | null,
  ) {}

  send(request: RequestContext): Promise<ResponseContext> {
    if (this.bearerToken) request.setHeaderParam('Authorization', `Bearer ${this.bearerToken}`);
    const body = request.getBody();
    if (body !== undefined && typeof body !== 'string') {
      return Promise.reject(new Error('only string request bodies are supported'));
    }
    return new Promise((resolve, reject) => {
      const req = https.request(
        request.getUrl(),
        {
          method: request.getHttpMethod(),
          headers: request.getHeaders(),
          agent: this.agent,
          signal: AbortSignal.timeout(this.timeoutMs),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const data = Buffer.concat(chunks);
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) {
              if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
            }
            resolve(
              new ResponseContext(res.statusCode ?? 0, headers, {
                text: async () => data.toString('utf8'),
                binary: async () => data,
              }),
            );
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

/**
 * A KubeConfig whose fetch options carry one keep-alive agent. The client's Health API otherwise builds a
 * new agent, hence a new mutual-TLS handshake, for every request (~30 ms per replica and probe here).
 */
class PooledKubeConfig extends KubeConfig {
  constructor(private readonly pooledAgent: https.Agent) {
    super();
  }

  override async applyToFetchOptions(opts: https.RequestOptions): ReturnType<KubeConfig['applyToFetchOptions']> {
    const init = await super.applyToFetchOptions(opts);
    return { ...init, agent: this.pooledAgent };
  }
}

export type ClientNodeKubeApiOptions = { idleMs?: number };

export class ClientNodeKubeApi implements KubeApiPort {
  private readonly entries = new Map<string, Entry>();
  private readonly idleMs: number;

  constructor(
    private readonly reach: ReachPort,
    opts: ClientNodeKubeApiOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? 10 * 60_000;
  }

  async probe(server: ApiServerEndpoint, creds: KubeCredentials, timeoutMs: number): Promise<ApiServerProbe> {
    let kc: KubeConfig;
    try {
      ({ kc } = await this.entry(server, creds));
    } catch (e) {
      if (isReachError(e)) return { ready: null, live: null, error: reachReason(e) };
      throw e;
    }
    const health = new Health(kc);
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const [ready, live] = await Promise.all([health.readyz({ signal }), health.livez({ signal })]);
      return { ready, live };
    } catch (e) {
      const why = this.reach.lastError(server.target, server.port);
      if (why) return { ready: null, live: null, error: reachReason(why) };
      const reason = describeKubeError(e, timeoutMs);
      // Health swallows the cause of a failed request; say what is known.
      return { ready: null, live: null, error: reason === 'Error occurred in health request' ? 'API server unreachable' : reason };
    }
  }

  async leases(server: ApiServerEndpoint, creds: KubeCredentials, timeoutMs: number): Promise<LeaseView[]> {
    try {
      const api = new CoordinationV1Api(await this.configuration(server, creds, timeoutMs));
      return toLeaseViews(await api.listNamespacedLease({ namespace: 'kube-system' }));
    } catch (e) {
      throw new Error(`leases from ${label(server)}: ${this.explain(server, e, timeoutMs)}`, { cause: e });
    }
  }

  async nodes(server: ApiServerEndpoint, creds: KubeCredentials, timeoutMs: number): Promise<NodeView[]> {
    try {
      const api = new CoreV1Api(await this.configuration(server, creds, timeoutMs));
      return toNodeViews(await api.listNode());
    } catch (e) {
      throw new Error(`nodes from ${label(server)}: ${this.explain(server, e, timeoutMs)}`, { cause: e });
    }
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

  private async configuration(server: ApiServerEndpoint, creds: KubeCredentials, timeoutMs: number) {
    const { agent, server: url } = await this.entry(server, creds);
    return createConfiguration({
      baseServer: new ServerConfiguration(url, {}),
      httpApi: wrapHttpLibrary(new DeadlineHttpLibrary(agent, timeoutMs, 'bearerToken' in creds ? creds.bearerToken : null)),
    });
  }

  /** Rejects with a ReachError when the replica's SSH connection cannot be made. */
  private async entry(endpoint: ApiServerEndpoint, creds: KubeCredentials): Promise<Entry> {
    const local = await this.reach.forward(endpoint.target, endpoint.port);
    // The agent dials the forward's socket whatever the URL says; the URL names what the cert is checked for.
    const server = `https://${KUBE_API_SERVER_NAME}`;
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
    const agent = agentFor(creds, local.socketPath);
    const entry = { kc: kubeConfigFor(server, creds, new PooledKubeConfig(agent)), agent, lastUsed: now, server };
    this.entries.set(key, entry);
    return entry;
  }
}

/** A KubeConfig for one API server and the admin credentials (client certificate or bearer token), as kubectl would hold it. */
export function kubeConfigFor(server: string, creds: KubeCredentials, kc: KubeConfig = new KubeConfig()): KubeConfig {
  const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');
  kc.loadFromOptions({
    clusters: [{ name: 'replica', server, caData: b64(creds.caCert), skipTLSVerify: false, tlsServerName: KUBE_API_SERVER_NAME }],
    users: [{ name: 'admin', ...('bearerToken' in creds ? { token: creds.bearerToken } : { certData: b64(creds.clientCert), keyData: b64(creds.clientKey) }) }],
    contexts: [{ name: 'replica', cluster: 'replica', user: 'admin' }],
    currentContext: 'replica',
  });
  return kc;
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

  override createConnection(options: Parameters<https.Agent['createConnection']>[0], callback?: Parameters<https.Agent['createConnection']>[1]) {
    return super.createConnection({ ...options, path: this.socketPath }, callback);
  }
}

function agentFor(creds: KubeCredentials, socketPath: string): https.Agent {
  const client = 'bearerToken' in creds ? {} : { cert: creds.clientCert, key: creds.clientKey };
  return new SocketAgent(socketPath, { ca: creds.caCert, ...client, servername: KUBE_API_SERVER_NAME, keepAlive: true, maxSockets: 4 });
}

function fingerprint(creds: KubeCredentials): string {
  const parts = 'bearerToken' in creds ? [creds.caCert, 'token', creds.bearerToken] : [creds.caCert, 'cert', creds.clientCert, creds.clientKey];
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
