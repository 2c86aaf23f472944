import 'server-only';
import { createHash, timingSafeEqual } from 'node:crypto';

// Who may read /metrics: whoever presents QUORUM_METRICS_TOKEN as a bearer token (Prometheus'
// `authorization: { credentials_file: ... }`). No session: a scraper has none, and the metrics hold no secret
// beyond the fleet's names and health.

/** Whether `authorization` is `Bearer <token>`. Constant time: both sides are hashed first, so neither length nor content leaks. */
export function bearerTokenMatches(authorization: string | null, token: string): boolean {
  const given = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1] ?? '';
  const same = timingSafeEqual(
    createHash('sha256').update(given).digest(),
    createHash('sha256').update(token).digest(),
  );
  return same && given !== '';
}

export type MetricsAccess =
  { ok: true } | { ok: false; status: 401 | 404; body: string; headers: Record<string, string> };

const TEXT = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };

/** The answer /metrics gives before rendering anything: off without a token (404), 401 without the right one. */
export function metricsAccess(authorization: string | null, token: string | undefined): MetricsAccess {
  if (token === undefined || token === '') {
    return {
      ok: false,
      status: 404,
      body: 'Metrics are off on this dashboard: set QUORUM_METRICS_TOKEN (at least 16 characters) and scrape /metrics with it as a bearer token.\n',
      headers: TEXT,
    };
  }
  if (!bearerTokenMatches(authorization, token)) {
    return {
      ok: false,
      status: 401,
      body:
        authorization === null
          ? 'Send the metrics token: Authorization: Bearer <QUORUM_METRICS_TOKEN>.\n'
          : 'Wrong metrics token.\n',
      headers: { ...TEXT, 'www-authenticate': 'Bearer realm="quorum-metrics"' },
    };
  }
  return { ok: true };
}
