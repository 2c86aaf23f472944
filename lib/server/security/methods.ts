// Which HTTP methods each kind of path answers (issue 12, finding 11). Pages are read with GET/HEAD and take
// server actions as POSTs; route handlers are read-only JSON and event streams (Next answers OPTIONS for them
// with their Allow list); better-auth's endpoints read and post. Anything else gets 405 with an Allow header,
// from proxy.ts, or from lib/server/security/method-guard.ts for the methods Next cannot take at all. Pure, like
// headers.ts: proxy.ts runs outside the React server graph.

/** Methods the fetch standard forbids (`new Request()` throws for them): Next would fail on them with a 500 before proxy.ts runs. */
export const FORBIDDEN_FETCH_METHODS: readonly string[] = ['CONNECT', 'TRACE', 'TRACK'];

/** The methods `pathname` answers, in the order the Allow header lists them. */
export function allowedMethods(pathname: string): readonly string[] {
  if (pathname === '/api/auth' || pathname.startsWith('/api/auth/')) return ['GET', 'HEAD', 'POST', 'OPTIONS'];
  if (pathname === '/api' || pathname.startsWith('/api/')) return ['GET', 'HEAD', 'OPTIONS'];
  // Prometheus' scrape endpoint (app/metrics/route.ts) is a read-only route handler outside /api.
  if (pathname === '/metrics') return ['GET', 'HEAD', 'OPTIONS'];
  return ['GET', 'HEAD', 'POST'];
}

/** The Allow header's value when `method` is not one `pathname` answers, else null (the request goes on). */
export function refusedMethod(method: string, pathname: string): { allow: string } | null {
  const allowed = allowedMethods(pathname);
  return allowed.includes(method) ? null : { allow: allowed.join(', ') };
}
