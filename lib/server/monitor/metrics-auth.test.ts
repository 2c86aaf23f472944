import { describe, expect, it } from 'vitest';
import { bearerTokenMatches, metricsAccess } from './metrics-auth';

const TOKEN = 'f3a9c1d27e5b4a60';

describe('bearerTokenMatches', () => {
  it.each<[string | null, boolean]>([
    [`Bearer ${TOKEN}`, true],
    [`bearer ${TOKEN}`, true],
    [`Bearer  ${TOKEN} `, true],
    [null, false],
    ['', false],
    ['Bearer', false],
    ['Bearer ', false],
    [TOKEN, false],
    [`Basic ${TOKEN}`, false],
    [`Bearer ${TOKEN}x`, false],
    [`Bearer ${TOKEN.slice(0, -1)}`, false],
    [`Bearer ${TOKEN.toUpperCase()}`, false],
    [`Bearer ${TOKEN} extra`, false],
  ])('%j -> %s', (header, matches) => {
    expect(bearerTokenMatches(header, TOKEN)).toBe(matches);
  });
});

describe('metricsAccess', () => {
  it('is off (404, saying how to turn it on) without a configured token, whatever is sent', () => {
    for (const header of [null, `Bearer ${TOKEN}`]) {
      const access = metricsAccess(header, undefined);
      expect(access).toMatchObject({ ok: false, status: 404 });
      if (!access.ok) expect(access.body).toContain('QUORUM_METRICS_TOKEN');
    }
  });

  it('answers 401 with WWW-Authenticate: Bearer without the token or with a wrong one', () => {
    for (const header of [null, 'Bearer wrong-token-123456', `Basic ${TOKEN}`]) {
      const access = metricsAccess(header, TOKEN);
      expect(access, String(header)).toMatchObject({
        ok: false,
        status: 401,
        headers: { 'www-authenticate': 'Bearer realm="quorum-metrics"' },
      });
    }
  });

  it('lets the right token through', () => {
    expect(metricsAccess(`Bearer ${TOKEN}`, TOKEN)).toEqual({ ok: true });
  });
});
