import 'server-only';
import type { DomainErrorCode } from '@/lib/core/errors';
import type { PlanParams } from '@/lib/core/planner';
import type { ProviderError } from '@/lib/ports/provider-error';
import { describeError } from '@/lib/server/describe-error';

/** What an action answers when a provider failed under it: a domain code, words, and for a rate limit when to try again. */
export type ProviderRefusal = {
  code: DomainErrorCode;
  message: string;
  retryAfterSeconds?: number;
  /** The words for the page (plans' `serverRefusals.provider`): which case, and the provider's answer as it came. */
  params: PlanParams;
};

/** Compute Engine's API rate quotas are per minute. */
const RATE_LIMIT_RETRY_SECONDS = 60;

/**
 * A provider failure met while an action ran (issue 12, finding 10), as the action's typed refusal: the code an
 * operator can act on, what to do in words, and the provider's own one-line answer (redacted, no stack). Whatever
 * the action would have changed, nothing was: failures while an operation runs are the runner's, not these.
 */
export function providerRefusal(error: ProviderError): ProviderRefusal {
  const answer = describeError(error).replace(/\.?$/, '.');
  const said = ` The answer was: ${answer}`;
  const params = (variant: string): PlanParams => ({
    refusal: 'provider',
    variant,
    answer,
    retryAfterSeconds: RATE_LIMIT_RETRY_SECONDS,
  });
  switch (error.code) {
    case 'QuotaExceeded':
      return {
        code: 'QuotaExceeded',
        message: `A Compute Engine quota of the project is used up; nothing was changed. Free some of it or ask Google for more, then try again.${said}`,
        params: params('quota'),
      };
    case 'ZoneExhausted':
      return {
        code: 'ZoneExhausted',
        message: `The zone has no capacity for this now (a stockout); nothing was changed. Pick another zone, or try this one later.${said}`,
        params: params('stockout'),
      };
    case 'PermissionDenied':
    case 'Forbidden':
      return {
        code: 'PermissionDenied',
        message: `Quorum's service account is not allowed to do this; nothing was changed. Grant it the permission named below (a role that holds it), then try again.${said}`,
        params: params('permission'),
      };
    case 'RateLimited':
      return {
        code: 'RateLimited',
        message: `The project's Compute Engine API rate quota is used up for this minute; nothing was changed. Try again in ${RATE_LIMIT_RETRY_SECONDS} s.${said}`,
        params: params('rateLimited'),
        retryAfterSeconds: RATE_LIMIT_RETRY_SECONDS,
      };
    case 'NotFound':
      return {
        code: 'NotFound',
        message: `Something this needs does not exist (any more); nothing was changed. Reload the page and try again.${said}`,
        params: params('notFound'),
      };
    case 'NoAccess':
      return {
        code: 'NoAccess',
        message: `Quorum cannot get into a replica this needs; nothing was changed. Fix its access first.${said}`,
        params: params('noAccess'),
      };
    case 'Timeout':
      return {
        code: 'ProviderUnavailable',
        message: `Compute Engine or the cluster's etcd did not answer in time, or Quorum's own budget of Compute calls for the project is spent; nothing was changed. Try again in a minute.${said}`,
        params: params('timeout'),
      };
    default:
      return {
        code: 'ProviderUnavailable',
        message: `Compute Engine or the cluster's etcd could not answer now; nothing was changed. Try again in a minute; if it lasts, check the provider's status.${said}`,
        params: params('other'),
      };
  }
}
