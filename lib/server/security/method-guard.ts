// Next turns every request into a fetch Request before proxy.ts runs, and the fetch standard forbids TRACE, TRACK
// and CONNECT: `new Request()` throws, so Next answered a TRACE with a bare 500 (none of our headers) and logged
// the stack (issue 12, finding 11). Node announces each request on the `http.server.request.start` diagnostics
// channel just before it calls the server's 'request' listeners; at the first announcement of a server, a guard
// goes in front of those listeners and answers the forbidden methods itself, as proxy.ts answers the others: 405,
// the Allow list, the security headers, nothing logged. The server is Next's own (`next start`), not one of ours.
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { newNonce, routeHandlerCacheHeaders, securityHeaders, servedOverHttps } from './headers';
import { allowedMethods, FORBIDDEN_FETCH_METHODS } from './methods';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const KEY = Symbol.for('quorum.server.method-guard');

function pathnameOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return '/';
  }
}

/** Answers `req` with 405 when Next could not take its method; false when the request should go on to Next. */
export function answerForbiddenMethod(req: IncomingMessage, res: ServerResponse): boolean {
  if (!FORBIDDEN_FETCH_METHODS.includes(req.method ?? '')) return false;
  const pathname = pathnameOf(req.url);
  const forwardedProto = req.headers['x-forwarded-proto'];
  const encrypted = 'encrypted' in req.socket && req.socket.encrypted === true;
  const headers = {
    ...securityHeaders({
      nonce: newNonce(),
      dev: process.env.NODE_ENV === 'development',
      https: servedOverHttps(
        encrypted ? 'https:' : 'http:',
        typeof forwardedProto === 'string' ? forwardedProto : null,
      ),
    }),
    ...routeHandlerCacheHeaders(pathname),
    Allow: allowedMethods(pathname).join(', '),
  };
  res.writeHead(405, headers).end();
  return true;
}

/** Puts `answerForbiddenMethod` in front of `server`'s request listeners. */
export function guardServer(server: Server): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (answerForbiddenMethod(req, res)) return;
    for (const listener of listeners) listener.call(server, req, res);
  });
}

/** Once per process (instrumentation.ts, at the server's start): every HTTP server of the process gets the guard before its first request is handled. */
export function guardForbiddenMethods(): void {
  const holder = globalThis as typeof globalThis & { [KEY]?: true };
  if (holder[KEY]) return;
  holder[KEY] = true;
  const guarded = new WeakSet<Server>();
  subscribe('http.server.request.start', (message) => {
    const server =
      typeof message === 'object' && message !== null && 'server' in message ? (message.server as Server) : null;
    if (!server || guarded.has(server)) return;
    guarded.add(server);
    guardServer(server);
  });
}
