import { describe, expect, it, vi } from 'vitest';
import { allowedOriginsSchema, checkRequestOrigin, hostsOf, type OriginRequest } from './origins';

describe('allowedOriginsSchema (QUORUM_ALLOWED_ORIGINS)', () => {
  it('normalises origins as browsers send them and drops blanks and duplicates', () => {
    expect(
      allowedOriginsSchema.parse(' https://Quorum.Example.com , http://10.0.0.5:3000,,https://quorum.example.com:443'),
    ).toEqual(['https://quorum.example.com', 'http://10.0.0.5:3000']);
    expect(allowedOriginsSchema.parse('')).toEqual([]);
  });

  it.each([
    'quorum.example.com',
    'https://quorum.example.com/',
    'https://quorum.example.com/path',
    'ftp://quorum.example.com',
    'https://user:pw@quorum.example.com',
    'https://x.example.com?a=1',
    '*',
  ])('refuses %j', (raw) => {
    expect(allowedOriginsSchema.safeParse(raw).success).toBe(false);
  });

  it('gives Next the hosts (with port) it compares the Origin header with', () => {
    expect(hostsOf(['https://quorum.example.com', 'http://10.0.0.5:3000'])).toEqual([
      'quorum.example.com',
      '10.0.0.5:3000',
    ]);
  });
});

describe('checkRequestOrigin', () => {
  const allowed = ['https://quorum.example.com'];
  const request = (over: Partial<OriginRequest>): OriginRequest => ({
    method: 'POST',
    origin: null,
    host: '127.0.0.1:3000',
    forwardedHost: null,
    ...over,
  });

  it.each<[string, Partial<OriginRequest>, boolean]>([
    ['a GET from anywhere', { method: 'GET', origin: 'https://evil.example' }, true],
    ['a HEAD from anywhere', { method: 'head', origin: 'https://evil.example' }, true],
    ['a POST without Origin (curl, not a browser)', {}, true],
    ['a POST from our own page', { origin: 'http://127.0.0.1:3000' }, true],
    [
      'a POST from our own page, host header in capitals',
      { origin: 'http://localhost:3000', host: 'LOCALHOST:3000' },
      true,
    ],
    ['a POST over https on the default port', { origin: 'https://dash.internal', host: 'dash.internal:443' }, true],
    [
      'a POST through a reverse proxy that sets X-Forwarded-Host',
      { origin: 'https://dash.example.org', host: '10.0.0.5:3000', forwardedHost: 'dash.example.org' },
      true,
    ],
    ['a POST from an allowed origin', { origin: 'https://quorum.example.com', host: '10.0.0.5:3000' }, true],
    ['a POST from another site', { origin: 'https://evil.example' }, false],
    ['a PUT from another site', { method: 'PUT', origin: 'https://evil.example' }, false],
    ['a DELETE from another site', { method: 'DELETE', origin: 'https://evil.example' }, false],
    ['a POST from another port of our host', { origin: 'http://127.0.0.1:3001' }, false],
    ['a POST from a subdomain of an allowed origin', { origin: 'https://a.quorum.example.com' }, false],
    ['a POST from the allowed host over http', { origin: 'http://quorum.example.com' }, false],
    ['a POST with Origin "null" (sandboxed frame)', { origin: 'null' }, false],
    ['a POST with a garbage Origin', { origin: '$(rm -rf /)' }, false],
    ['a POST with a non-http Origin', { origin: 'file:///etc/passwd' }, false],
    ['a POST from another site without any Host header', { origin: 'https://evil.example', host: null }, false],
  ])('%s -> %s', (_what, over, ok) => {
    expect(checkRequestOrigin(request(over), allowed).ok).toBe(ok);
  });

  it('says why, naming the origin but never more than 100 characters of it', () => {
    const verdict = checkRequestOrigin(request({ origin: `https://${'a'.repeat(5_000)}.example` }), allowed);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.message).toMatch(/may not change anything here/);
    expect(verdict.message).toContain('QUORUM_ALLOWED_ORIGINS');
    expect(verdict.message.length).toBeLessThan(250);
  });
});

describe('next.config.js', () => {
  it("gives Next's server-action check the hosts of the same origins proxy.ts allows", async () => {
    const raw = 'https://quorum.example.com, http://10.0.0.5:3000';
    vi.stubEnv('QUORUM_ALLOWED_ORIGINS', raw);
    try {
      vi.resetModules();
      // A path in a variable: next.config.js is plain JavaScript, outside the type-checked graph.
      const configPath = '../../../next.config.js';
      const { default: config } = (await import(/* @vite-ignore */ configPath)) as {
        default: { experimental?: { serverActions?: { allowedOrigins?: string[] } } };
      };
      expect(config.experimental?.serverActions?.allowedOrigins).toEqual(hostsOf(allowedOriginsSchema.parse(raw)));
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
