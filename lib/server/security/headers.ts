// The security headers of every response (issue 5, hardening), built by a pure function so proxy.ts stays a
// few lines and the policy is unit-tested. No `server-only` import: proxy.ts runs outside the React server
// graph, and nothing here is secret.

export type SecurityHeaderOptions = {
  /** This request's nonce (newNonce()): Next puts it on its own scripts when it finds it in the request's CSP. */
  nonce: string;
  /** `next dev`: React rebuilds server error stacks with eval and the dev overlay injects styles without a nonce. */
  dev: boolean;
  /** Served over https (directly or behind a proxy that says so): browsers may then upgrade and pin. */
  https: boolean;
};

/** 128 random bits, base64: unguessable, one per request. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * Scripts: only those carrying this request's nonce, and what they load ('strict-dynamic'; 'self' is the
 * fallback for browsers without it). Styles: elements need the nonce or come from our own origin; style
 * attributes are allowed (style-src-attr) because server-rendered markup carries a few (zone grid columns,
 * the quorum gauge's marker, progress bars) and an attribute cannot hold a nonce. In dev the overlay's styles
 * have no nonce, so dev allows inline styles and eval.
 */
export function contentSecurityPolicy({ nonce, dev, https }: SecurityHeaderOptions): string {
  const directives: Array<[string, ...string[]]> = [
    ['default-src', "'self'"],
    ['script-src', "'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(dev ? ["'unsafe-eval'"] : [])],
    ['style-src', "'self'", ...(dev ? ["'unsafe-inline'"] : [`'nonce-${nonce}'`])],
    ['style-src-attr', "'unsafe-inline'"],
    ['img-src', "'self'", 'data:', 'blob:'],
    ['font-src', "'self'"],
    // EventSource (the live feeds), fetch (TanStack Query) and server actions all go to our own origin; dev's
    // hot reload uses a websocket, which older browsers do not count as 'self'.
    ['connect-src', "'self'", ...(dev ? ['ws:', 'wss:'] : [])],
    ['object-src', "'none'"],
    ['base-uri', "'self'"],
    ['form-action', "'self'"],
    ['frame-ancestors', "'none'"],
    ...(https ? [['upgrade-insecure-requests'] as [string]] : []),
  ];
  return directives.map((d) => d.join(' ')).join('; ');
}

/** Every header proxy.ts sets on a response, the CSP included. */
export function securityHeaders(options: SecurityHeaderOptions): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(options),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'strict-origin-when-cross-origin',
    // frame-ancestors 'none' says the same to browsers that read CSP; this is for those that do not.
    'X-Frame-Options': 'DENY',
    // Features a Kubernetes dashboard never uses; only names every current browser knows (an unknown one is a console error).
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    'Cross-Origin-Opener-Policy': 'same-origin',
    ...(options.https ? { 'Strict-Transport-Security': 'max-age=31536000' } : {}),
  };
}

/**
 * Route handlers answer per user (the session cookie decides what, and whether, they answer), with live state or
 * an account's data: no cache, shared or the browser's, may keep or reuse a response (issue 12, finding 8). Their
 * event streams (`.../events`) may not be transformed either: a proxy that buffers or recompresses one holds the
 * live feed back. Null for any other path: pages get Next's own `private, no-cache, no-store`. proxy.ts sets these
 * and they win over a route's own, so this is the one place they are decided.
 */
export function routeHandlerCacheHeaders(pathname: string): Record<string, string> | null {
  if (pathname !== '/api' && !pathname.startsWith('/api/')) return null;
  return {
    'Cache-Control': pathname.endsWith('/events') ? 'private, no-store, no-transform' : 'private, no-store',
    Vary: 'Cookie',
  };
}

/** Whether the browser reached us over https: the URL's scheme, or what a TLS-terminating proxy in front says. */
export function servedOverHttps(url: string, forwardedProto: string | null): boolean {
  return url.startsWith('https:') || forwardedProto?.split(',')[0]?.trim().toLowerCase() === 'https';
}
