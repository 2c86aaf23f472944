// HTTPS stand-in for a replica's kube-apiserver: the serving cert configure-helper picks (MASTER_CERT,
// shared by every replica, or APISERVER_SERVER_CERT when set), clients authenticated by certificates of the
// cluster CA (the admin cert from kube-env) or by KUBE_BEARER_TOKEN (known_tokens.csv), and only the handful
// of endpoints the dashboard reads, answered from the replica's LOCAL etcd main as the real API server does.

import { randomUUID, timingSafeEqual } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import {
  LEASE_PREFIX,
  NODE_PREFIX,
  dns1123Subdomain,
  kubeTime,
  nodeInputSchema,
  statusFailure,
  type KubeStatus,
} from './kube-objects';
import { toStoredObject, type LocalEtcd } from './local-etcd';

// kube-apiserver's own readiness check of etcd (--etcd-readycheck-timeout, default 2s since Kubernetes 1.26; the
// healthcheck had 2 s before): a slow etcd makes /readyz slow first, and "not ready" only after that.
const READY_PROBE_DEADLINE_MS = 2_000;
const MAX_BODY_BYTES = 1 << 20;

export type ApiServer = {
  address: string;
  port: number;
  /**
   * Chaos: while frozen, requests are held unanswered (a SIGSTOPped kube-apiserver: the kernel still
   * accepts the connection, nothing answers); they proceed when thawed, if their client still waits.
   */
  setFrozen(frozen: boolean): void;
  close(): Promise<void>;
};

class HttpError extends Error {
  constructor(readonly status: KubeStatus) {
    super(status.message);
  }
}

export async function startApiServer(opts: {
  ip: string;
  port: number;
  caCert: string;
  servingCert: string;
  servingKey: string;
  /** KUBE_BEARER_TOKEN; null: certificates only. */
  bearerToken?: string | null;
  etcd: LocalEtcd;
  log: (msg: string) => void;
}): Promise<ApiServer> {
  const token = opts.bearerToken ? Buffer.from(opts.bearerToken) : null;
  function bearerMatches(req: IncomingMessage): boolean {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!token || !m?.[1]) return false;
    const given = Buffer.from(m[1]);
    return given.length === token.length && timingSafeEqual(given, token);
  }
  const { client, quorumReads } = opts.etcd;
  const serializable = !quorumReads;
  // One etcd probe at a time: concurrent /readyz requests share its answer.
  let probe: Promise<string | undefined> | undefined;

  function probeEtcd(): Promise<string | undefined> {
    probe ??= client
      .get('health')
      .options({ deadline: Date.now() + READY_PROBE_DEADLINE_MS })
      .exec()
      .then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      )
      .finally(() => {
        probe = undefined;
      });
    return probe;
  }

  async function health(res: ServerResponse, check: 'readyz' | 'healthz', verbose: boolean): Promise<void> {
    const failure = await probeEtcd();
    if (failure === undefined) {
      sendText(res, 200, verbose ? `[+]ping ok\n[+]etcd ok\n${check} check passed\n` : 'ok');
    } else {
      sendText(res, 500, `[+]ping ok\n[-]etcd failed: ${failure}\n${check} check failed\n`);
    }
  }

  async function list(prefix: string, kind: 'NodeList' | 'LeaseList', apiVersion: string): Promise<unknown> {
    const res = await client.getAll().prefix(prefix).serializable(serializable).exec();
    return {
      kind,
      apiVersion,
      metadata: { resourceVersion: String(res.header.revision) },
      items: res.kvs.map((kv) => withResourceVersion(toStoredObject(kv))),
    };
  }

  async function getOne(key: string, notFound: HttpError): Promise<unknown> {
    const res = await client.get(key).serializable(serializable).exec();
    const kv = res.kvs[0];
    if (kv === undefined) throw notFound;
    return withResourceVersion(toStoredObject(kv));
  }

  async function createNode(req: IncomingMessage): Promise<unknown> {
    const body = await readJson(req);
    const parsed = nodeInputSchema.safeParse(body);
    if (!parsed.success) {
      const name = nameOf(body);
      const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join(', ');
      throw new HttpError(
        statusFailure(422, 'Invalid', `Node "${name}" is invalid: ${detail}`, { name, kind: 'Node' }),
      );
    }
    const input = parsed.data;
    const name = input.metadata.name;
    const { resourceVersion: _rv, ...metadata } = input.metadata;
    const node = {
      ...input,
      kind: 'Node',
      apiVersion: 'v1',
      metadata: { ...metadata, uid: randomUUID(), creationTimestamp: kubeTime(new Date()) },
    };
    const key = `${NODE_PREFIX}${name}`;
    const txn = await client
      .if(key, 'Create', '==', 0)
      .then(client.put(key).value(JSON.stringify(node)))
      .commit();
    if (!txn.succeeded) {
      throw new HttpError(
        statusFailure(409, 'AlreadyExists', `nodes "${name}" already exists`, { name, kind: 'nodes' }),
      );
    }
    return { ...node, metadata: { ...node.metadata, resourceVersion: String(txn.header.revision) } };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://apiserver');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const verbose = url.searchParams.has('verbose');

    if (path === '/livez')
      return onlyGet(method, () => sendText(res, 200, verbose ? '[+]ping ok\nlivez check passed\n' : 'ok'));
    if (path === '/readyz' || path === '/healthz') {
      if (method !== 'GET') throw methodNotAllowed(method);
      return health(res, path === '/readyz' ? 'readyz' : 'healthz', verbose);
    }
    if (path === '/version') return onlyGet(method, () => sendJson(res, 200, VERSION));

    if (path === '/api/v1/nodes') {
      if (method === 'GET') return sendJson(res, 200, await list(NODE_PREFIX, 'NodeList', 'v1'));
      if (method === 'POST') return sendJson(res, 201, await createNode(req));
      throw methodNotAllowed(method);
    }
    const node = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path);
    if (node) {
      const name = decodeURIComponent(node[1] ?? '');
      if (method !== 'GET') throw methodNotAllowed(method);
      if (!dns1123Subdomain.safeParse(name).success) throw notFound('nodes', '', name);
      return sendJson(res, 200, await getOne(`${NODE_PREFIX}${name}`, notFound('nodes', '', name)));
    }

    const leasesPath = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';
    if (path === leasesPath) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return sendJson(res, 200, await list(LEASE_PREFIX, 'LeaseList', 'coordination.k8s.io/v1'));
    }
    if (path.startsWith(`${leasesPath}/`)) {
      const name = decodeURIComponent(path.slice(leasesPath.length + 1));
      if (method !== 'GET') throw methodNotAllowed(method);
      const missing = notFound('leases', 'coordination.k8s.io', name);
      if (!dns1123Subdomain.safeParse(name).success) throw missing;
      return sendJson(res, 200, await getOne(`${LEASE_PREFIX}${name}`, missing));
    }

    throw new HttpError(statusFailure(404, 'NotFound', 'the server could not find the requested resource'));
  }

  // Resolved (and cleared) when thawed.
  let frozen: Promise<void> | undefined;
  let thaw = () => {};

  const server = https.createServer(
    {
      cert: opts.servingCert,
      key: opts.servingKey,
      ca: opts.caCert,
      requestCert: true,
      // Let the handshake finish without a client cert so the refusal is a Kubernetes 401, not a TLS alert.
      rejectUnauthorized: false,
    },
    (req, res) => {
      if (frozen) {
        void frozen.then(() => answer(req, res));
        return;
      }
      answer(req, res);
    },
  );

  function answer(req: IncomingMessage, res: ServerResponse): void {
    if (res.destroyed) return;
    const socket = req.socket as TLSSocket;
    if (!socket.authorized && !bearerMatches(req)) {
      req.resume();
      sendJson(res, 401, statusFailure(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    route(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        sendJson(res, err.status.code, err.status);
        return;
      }
      sendJson(res, ...storageFailure(err));
    });
  }
  server.on('tlsClientError', () => {
    // Scanners and clients that give up mid-handshake: nothing to report.
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.ip, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => opts.log(`API server: ${err.message}`));
  const address = server.address() as AddressInfo;

  return {
    address: address.address,
    port: address.port,
    setFrozen(value) {
      if (value && !frozen) {
        frozen = new Promise<void>((resolve) => {
          thaw = resolve;
        });
      } else if (!value && frozen) {
        frozen = undefined;
        thaw();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive clients would hold close() open; a stopped VM drops its connections anyway.
        server.closeAllConnections();
      }),
  };
}

const VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-quorum-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function withResourceVersion(stored: { value: string; modRevision: string }): unknown {
  const obj: unknown = JSON.parse(stored.value);
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  const record = obj as Record<string, unknown>;
  const metadata = record.metadata;
  const meta = metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata) ? metadata : {};
  return { ...record, metadata: { ...meta, resourceVersion: stored.modRevision } };
}

function notFound(resource: string, group: string, name: string): HttpError {
  const qualified = group === '' ? resource : `${resource}.${group}`;
  return new HttpError(
    statusFailure(404, 'NotFound', `${qualified} "${name}" not found`, {
      name,
      ...(group ? { group } : {}),
      kind: resource,
    }),
  );
}

function methodNotAllowed(method: string): HttpError {
  return new HttpError(
    statusFailure(
      405,
      'MethodNotAllowed',
      `the server does not allow this method on the requested resource (${method})`,
    ),
  );
}

function onlyGet(method: string, handler: () => void): void {
  if (method !== 'GET') throw methodNotAllowed(method);
  handler();
}

function storageFailure(err: unknown): [number, KubeStatus] {
  const message = err instanceof Error ? err.message : String(err);
  if (/deadline|timed? ?out/i.test(message)) {
    return [
      504,
      statusFailure(504, 'Timeout', `Timeout: request did not complete within the allowed duration: ${message}`),
    ];
  }
  return [500, statusFailure(500, 'InternalError', `Internal error occurred: ${message}`)];
}

function nameOf(body: unknown): string {
  if (body !== null && typeof body === 'object' && 'metadata' in body) {
    const meta = (body as { metadata: unknown }).metadata;
    if (meta !== null && typeof meta === 'object' && 'name' in meta) {
      const name = (meta as { name: unknown }).name;
      if (typeof name === 'string') return name;
    }
  }
  return '';
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(statusFailure(413, 'RequestEntityTooLarge', 'the request body is too large'));
    }
    chunks.push(buf);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new HttpError(
      statusFailure(400, 'BadRequest', `the body of the request was in an unknown format: ${detail}`),
    );
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: ServerResponse, code: number, text: string): void {
  if (res.headersSent) return;
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
