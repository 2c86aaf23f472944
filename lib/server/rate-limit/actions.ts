import 'server-only';
import { KeyedLimiter } from '@/lib/core/rate-limit';
import { env as processEnv, type Env } from '@/lib/server/env';

// Per-user rate limit of mutating server actions (issue 5). defineAction asks before it runs a mutating action
// and turns a refusal into the typed `RateLimited` error; sign-in attempts are limited by better-auth itself.

export type MutationRateCheck = { ok: true } | { ok: false; retryAfterSeconds: number };

/** The limits in force: `burst` actions in a row, then `perMinute` on average. */
export type ActionRateLimits = { perMinute: number; burst: number };

export function actionRateLimitsOf(env: Env): ActionRateLimits {
  return { perMinute: env.QUORUM_ACTION_RATE_PER_MINUTE, burst: env.QUORUM_ACTION_BURST };
}

/**
 * A check of one user's mutating actions against `limits`: each call that is allowed counts. The process has one
 * (checkMutationRate); tests make their own with a fake clock. Time comes from a monotonic clock, so a wall clock
 * set back cannot lock users out.
 */
export function createMutationRateLimiter(limits: ActionRateLimits, now: () => number = () => performance.now()): (userId: string) => MutationRateCheck {
  const limiter = new KeyedLimiter({ capacity: limits.burst, refillPerSecond: limits.perMinute / 60 });
  return (userId) => {
    const result = limiter.take(userId, now());
    return result.ok ? { ok: true } : { ok: false, retryAfterSeconds: Math.ceil(result.retryAfterMs / 1000) };
  };
}

// One limiter per server process, on globalThis because Next's dev server re-evaluates modules on every edit.
const KEY = Symbol.for('quorum.server.mutation-rate-limiter');
type Holder = { [KEY]?: (userId: string) => MutationRateCheck };

/** Counts a mutating action of `userId`; refused when the user is over QUORUM_ACTION_RATE_PER_MINUTE / QUORUM_ACTION_BURST. */
export function checkMutationRate(userId: string): MutationRateCheck {
  const holder = globalThis as Holder;
  holder[KEY] ??= createMutationRateLimiter(actionRateLimitsOf(processEnv));
  return holder[KEY](userId);
}

/** The per-user limits in force in this process, for the settings page. */
export function actionRateLimits(): ActionRateLimits {
  return actionRateLimitsOf(processEnv);
}
