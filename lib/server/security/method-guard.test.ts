// A real HTTP server whose listener does what Next does first with every request (build a fetch Request, which
// throws for TRACE), started after the guard is installed, as instrumentation.ts installs it before Next serves.
import { createServer, type Server } from 'node:http';
import { rawRequest } from '@/tests/support/raw-http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardForbiddenMethods } from './method-guard';

let server: Server;
let port: number;
const seen: string[] = [];

const send = (method: string, path: string) => rawRequest(port, method, path);

beforeAll(async () => {
  guardForbiddenMethods();
  // Installing it twice (a dev-mode reload of instrumentation) must not put two guards in front.
  guardForbiddenMethods();
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    try {
      new Request(`http://localhost${req.url}`, { method: req.method });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('served');
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('guardForbiddenMethods', () => {
  it.each([
    { path: '/', allow: 'GET, HEAD, POST', routeHandler: false },
    { path: '/api/fleet', allow: 'GET, HEAD, OPTIONS', routeHandler: true },
    { path: '/api/auth/get-session', allow: 'GET, HEAD, POST, OPTIONS', routeHandler: true },
  ])(
    'answers TRACE $path with 405, the Allow list and the security headers; the server never sees it',
    async ({ path, allow, routeHandler }) => {
      seen.length = 0;
      const res = await send('TRACE', path);
      expect(res.status).toBe(405);
      expect(res.body).toBe('');
      expect(res.headers).toMatchObject({ allow, 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' });
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      if (routeHandler) expect(res.headers).toMatchObject({ 'cache-control': 'private, no-store', vary: 'Cookie' });
      expect(seen).toEqual([]);
    },
  );

  it('passes every other method on to the server, once', async () => {
    seen.length = 0;
    expect((await send('GET', '/x')).status).toBe(200);
    expect((await send('PROPFIND', '/y')).body).toBe('served');
    expect(seen).toEqual(['GET /x', 'PROPFIND /y']);
  });
});
