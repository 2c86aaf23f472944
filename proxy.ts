// Runs before every route (Next 16's successor of middleware.ts): refuses methods a path does not answer and
// mutating requests from foreign origins, and sets the security headers with a fresh CSP nonce (and, on route
// handlers, the no-store cache headers). The policy lives in lib/server/security.
import { NextResponse, type NextRequest } from 'next/server';
import { env } from '@/lib/server/env';
import { newNonce, routeHandlerCacheHeaders, securityHeaders, servedOverHttps } from '@/lib/server/security/headers';
import { refusedMethod } from '@/lib/server/security/methods';
import { checkRequestOrigin } from '@/lib/server/security/origins';

export function proxy(request: NextRequest) {
  const nonce = newNonce();
  const headers = securityHeaders({
    nonce,
    dev: process.env.NODE_ENV === 'development',
    https: servedOverHttps(request.url, request.headers.get('x-forwarded-proto')),
  });
  const { pathname } = request.nextUrl;
  Object.assign(headers, routeHandlerCacheHeaders(pathname));

  const verdict = checkRequestOrigin(
    {
      method: request.method,
      origin: request.headers.get('origin'),
      host: request.headers.get('host'),
      forwardedHost: request.headers.get('x-forwarded-host'),
    },
    env.QUORUM_ALLOWED_ORIGINS,
  );
  if (!verdict.ok) return NextResponse.json({ code: 'Forbidden', message: verdict.message }, { status: 403, headers });

  // Every path refuses a method it does not answer alike, before Next picks a handler: 405, the Allow list and these
  // headers (TRACE never gets here: lib/server/security/method-guard.ts).
  const refused = refusedMethod(request.method, pathname);
  if (refused) return new NextResponse(null, { status: 405, headers: { ...headers, Allow: refused.allow } });

  // Next reads the nonce from the request's CSP and puts it on its own scripts; a server component that adds
  // a script of its own reads `x-nonce`. Whatever the client sent under these names is overwritten.
  const forwarded = new Headers(request.headers);
  forwarded.set('Content-Security-Policy', headers['Content-Security-Policy'] ?? '');
  forwarded.set('x-nonce', nonce);
  const response = NextResponse.next({ request: { headers: forwarded } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const config = {
  // Everything but build assets (hashed, immutable, no markup): pages, RSC payloads, server actions and the
  // API routes, whose non-GET requests the origin check covers too.
  matcher: ['/((?!_next/static|_next/image|favicon\\.ico).*)'],
};
