// A front for the Compute emulator that answers a few GET paths itself, with GCE's documented JSON, and passes
// everything else through. For answers only a booted VM could make the emulator give (e.g. getGuestAttributes
// with host keys, published from inside the VM), in tests whose instances have no VM: the real
// @google-cloud/compute client still makes the calls.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ComputeFront = {
  readonly port: number;
  /** Every request that reached the front, as `METHOD /path` (no query), in order. */
  readonly requests: string[];
  /** The same requests with their query (a list's filter names what it asks for), as `METHOD /path?query`. */
  readonly urls: string[];
  /** Answer GET <path> (no query) with this status and JSON; null removes the answer. */
  answer(path: string, reply: { status: number; body: unknown } | null): void;
  close(): Promise<void>;
};

export async function startComputeFront(upstreamPort: number): Promise<ComputeFront> {
  const answers = new Map<string, { status: number; body: unknown }>();
  const requests: string[] = [];
  const urls: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    requests.push(`${req.method ?? '?'} ${url.pathname}`);
    urls.push(`${req.method ?? '?'} ${url.pathname}${url.search}`);
    const own = req.method === 'GET' ? answers.get(url.pathname) : undefined;
    if (own) {
      res.writeHead(own.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(own.body));
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  // Idle keep-alive connections stay open as Google's front ends and the emulator keep them (65 s), not Node's
  // default 5 s: a client reusing a socket just as the front closed it got ECONNRESET (one CI run's
  // stream-flood add was refused at its first Compute read, regions.get, after the previous test's idle pause).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    urls,
    answer(path, reply) {
      if (reply === null) answers.delete(path);
      else answers.set(path, reply);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
