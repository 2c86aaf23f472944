import 'server-only';
import type { PlanParams } from '@/lib/core/planner';
import { KeyedLimiter } from '@/lib/core/rate-limit';
import { serverRefusals } from '@/lib/core/server-refusals';
import { env as processEnv, type Env } from '@/lib/server/env';

// Per-user rate limits of server actions: mutating ones (issue 5; defineAction asks before it runs one) and plan
// previews (issue 12: each plans on a fresh Compute read; the preview actions ask). A refusal is the typed
// `RateLimited` error with the seconds to wait; sign-in attempts are limited by better-auth itself.

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
export function createMutationRateLimiter(
  limits: ActionRateLimits,
  now: () => number = () => performance.now(),
): (userId: string) => MutationRateCheck {
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

const PREVIEW_KEY = Symbol.for('quorum.server.preview-rate-limiter');
type PreviewHolder = { [PREVIEW_KEY]?: (userId: string) => MutationRateCheck };

/** Counts a plan preview of `userId`; refused when the user is over QUORUM_PREVIEW_RATE_PER_MINUTE / QUORUM_PREVIEW_BURST. */
export function checkPreviewRate(userId: string): MutationRateCheck {
  const holder = globalThis as PreviewHolder;
  holder[PREVIEW_KEY] ??= createMutationRateLimiter(previewRateLimits());
  return holder[PREVIEW_KEY](userId);
}

/** The typed refusal of a preview over the rate. */
export function previewRateRefusal(retryAfterSeconds: number): {
  ok: false;
  code: 'RateLimited';
  message: string;
  params: PlanParams;
  retryAfterSeconds: number;
} {
  const { message, params } = serverRefusals.tooManyPreviews(retryAfterSeconds);
  return { ok: false, code: 'RateLimited', message, params, retryAfterSeconds };
}

/** The per-user limits of plan previews in force in this process, for the settings page. */
export function previewRateLimits(): ActionRateLimits {
  return { perMinute: processEnv.QUORUM_PREVIEW_RATE_PER_MINUTE, burst: processEnv.QUORUM_PREVIEW_BURST };
}

/** The per-user limits in force in this process, for the settings page. */
export function actionRateLimits(): ActionRateLimits {
  return actionRateLimitsOf(processEnv);
}
