import 'server-only';
import { DEFAULT_PACE, type RateLimitsView } from '@/lib/core/rate-limit';
import { container, type Container } from '@/lib/server/container';
import { actionRateLimits, previewRateLimits } from './actions';

/** The rate limits in force in this server process and the Compute budget of every project called so far. */
export function rateLimitsView(c: Container = container()): RateLimitsView {
  const { ratePerSecond, burst, maxWaitMs, operationShare, perMinute } = c.computeBudget.config;
  return {
    observedAt: c.clock.now().toISOString(),
    compute: {
      ratePerSecond,
      burst,
      maxWaitMs,
      operationShare: operationShare ?? 0,
      perMinute: perMinute ?? null,
      budgets: c.computeBudget.snapshot(),
    },
    pace: DEFAULT_PACE,
    actions: actionRateLimits(),
    previews: previewRateLimits(),
  };
}
