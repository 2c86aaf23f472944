import { env } from '@/lib/server/env';
import { metricsAccess } from '@/lib/server/monitor/metrics-auth';
import { monitoring } from '@/lib/server/monitor/runtime';

export const dynamic = 'force-dynamic';

/** Prometheus metrics (lib/server/monitor/metrics.ts) for whoever holds QUORUM_METRICS_TOKEN; no session needed. */
export async function GET(request: Request) {
  const access = metricsAccess(request.headers.get('authorization'), env.QUORUM_METRICS_TOKEN);
  if (!access.ok) return new Response(access.body, { status: access.status, headers: access.headers });
  const { metrics } = monitoring();
  return new Response(await metrics.render(), {
    headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' },
  });
}
