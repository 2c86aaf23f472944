import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, newNonce, routeHandlerCacheHeaders, securityHeaders, servedOverHttps } from './headers';

/** The CSP as directive -> sources, so a test names what it checks instead of matching one long string. */
function directives(csp: string): Record<string, string[]> {
  return Object.fromEntries(
    csp.split(';').map((d) => {
      const [name = '', ...sources] = d.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

describe('contentSecurityPolicy', () => {
  const prod = directives(contentSecurityPolicy({ nonce: 'abc123==', dev: false, https: false }));

  it('lets only scripts with this request nonce run (and what they load), never eval in production', () => {
    expect(prod['script-src']).toEqual(["'self'", "'nonce-abc123=='", "'strict-dynamic'"]);
    expect(prod['script-src']).not.toContain("'unsafe-inline'");
  });

  it('takes style elements with the nonce or from our origin, and style attributes (server-rendered widths)', () => {
    expect(prod['style-src']).toEqual(["'self'", "'nonce-abc123=='"]);
    expect(prod['style-src-attr']).toEqual(["'unsafe-inline'"]);
  });

  it('cannot be framed, posts forms and connects (SSE, fetch, actions) only to our origin, loads no plugins', () => {
    expect(prod).toMatchObject({
      'default-src': ["'self'"],
      'frame-ancestors': ["'none'"],
      'form-action': ["'self'"],
      'connect-src': ["'self'"],
      'object-src': ["'none'"],
      'base-uri': ["'self'"],
      'img-src': ["'self'", 'data:', 'blob:'],
      'font-src': ["'self'"],
    });
  });

  it.each([
    { https: false, upgrade: false },
    { https: true, upgrade: true },
  ])('upgrade-insecure-requests only over https ($https)', ({ https, upgrade }) => {
    expect('upgrade-insecure-requests' in directives(contentSecurityPolicy({ nonce: 'n', dev: false, https }))).toBe(
      upgrade,
    );
  });

  it('in dev allows eval, inline styles (the overlay) and the hot-reload websocket', () => {
    const dev = directives(contentSecurityPolicy({ nonce: 'n', dev: true, https: false }));
    expect(dev['script-src']).toContain("'unsafe-eval'");
    expect(dev['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
    expect(dev['connect-src']).toEqual(["'self'", 'ws:', 'wss:']);
  });
});

describe('securityHeaders', () => {
  it('sets nosniff, the referrer policy, DENY framing, a minimal permissions policy and COOP', () => {
    const headers = securityHeaders({ nonce: 'n', dev: false, https: false });
    expect(headers).toMatchObject({
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'strict-origin-when-cross-origin',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    });
    expect(headers['Content-Security-Policy']).toContain("'nonce-n'");
    expect(headers).not.toHaveProperty('Strict-Transport-Security');
  });

  it('pins https (HSTS) only when served over https', () => {
    expect(securityHeaders({ nonce: 'n', dev: false, https: true })['Strict-Transport-Security']).toBe(
      'max-age=31536000',
    );
  });
});

describe('newNonce', () => {
  it('is 128 random bits in base64, different every time', () => {
    const nonces = Array.from({ length: 200 }, newNonce);
    for (const n of nonces) expect(n).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(new Set(nonces).size).toBe(nonces.length);
  });
});

describe('servedOverHttps', () => {
  it.each([
    ['http://127.0.0.1:3000/', null, false],
    ['https://quorum.example.com/', null, true],
    ['http://10.0.0.5:3000/', 'https', true],
    ['http://10.0.0.5:3000/', 'https, http', true],
    ['http://10.0.0.5:3000/', 'http', false],
  ])('%s with X-Forwarded-Proto %s -> %s', (url, proto, https) => {
    expect(servedOverHttps(url, proto)).toBe(https);
  });
});

describe('routeHandlerCacheHeaders', () => {
  it.each([
    ['/api/health', 'private, no-store'],
    ['/api/clusters/sandbox-project~europe-west1~prod-master', 'private, no-store'],
    ['/api/auth/get-session', 'private, no-store'],
    ['/api/fleet/events', 'private, no-store, no-transform'],
    ['/api/operations/00000000-0000-4000-8000-000000000000/events', 'private, no-store, no-transform'],
  ])('%s: %s, varying on the cookie', (path, cacheControl) => {
    expect(routeHandlerCacheHeaders(path)).toEqual({ 'Cache-Control': cacheControl, Vary: 'Cookie' });
  });

  it.each(['/', '/clusters/x', '/apiary', '/users'])('%s is a page: Next sets its own', (path) => {
    expect(routeHandlerCacheHeaders(path)).toBeNull();
  });
});
