import type { Plan, PlanParams, Refusal } from './planner';
// The closed set of expected failures an action can return (STYLE.md): the client shows them, it never parses
// messages. Bugs are thrown, not returned.

export const DOMAIN_ERROR_CODES = [
  'QuorumAtRisk',
  'TwoReplicaLayout',
  'ZoneOutsideRegion',
  'OperationInProgress',
  'NotFound',
  /** Nobody is signed in: sign in first. */
  'Unauthenticated',
  /** The account still has its one-time password: set one of your own first. */
  'PasswordChangeRequired',
  /** The password is too short, the email, or easy to guess (lib/core/password-policy.ts). */
  'WeakPassword',
  /** The change would leave no active admin. */
  'LastAdmin',
  /** Signed in, but the role does not allow it. */
  'Forbidden',
  /** Too many requests: `retryAfterSeconds` says when to try again. */
  'RateLimited',
  'ProviderUnavailable',
  'InvalidInput',
  'LastReplica',
  'VoterUnhealthy',
  /** The zone asked for is unreachable now (an outage): no new replica can be placed there. */
  'ZoneUnavailable',
  /** A resource of that name exists already (a new cluster's master name taken). */
  'AlreadyExists',
  /** etcd is older than 3.4: it has no learners, so an add would put a voter in at once. */
  'EtcdTooOld',
  /** The provider cannot do this through Quorum (creating a master on Compute Engine needs kube-up's boot scripts). */
  'Unsupported',
  /** Quorum cannot get into a replica the change needs (its SSH access): fix the access first. */
  'NoAccess',
  /** etcd's members report links cut between them (a partition): no membership change until the network is whole. */
  'NetworkPartition',
  /** The replica presents another SSH host key than the one the admin was shown (or the pin changed meanwhile): nothing was trusted. */
  'HostKeyMismatch',
  /** Compute Engine quota (which one, which region) is used up: free some or ask for more, then run it again. */
  'QuotaExceeded',
  /** The zone has no capacity for the instance now (ZONE_RESOURCE_POOL_EXHAUSTED): try another zone. */
  'ZoneExhausted',
  /** Quorum's identity lacks a Compute Engine permission (named): grant it, then run it again. */
  'PermissionDenied',
  /** Quorum's identity lacks an IAM permission the change needs (named, with the role that grants it): nothing was changed. */
  'PermissionMissing',
  /** The cluster changed since the plan was previewed: nothing ran, and the refusal carries the new plan to review. */
  'PlanChanged',
] as const;
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export type Result<T> =
  | { ok: true; data: T }
  | {
      ok: false;
      code: DomainErrorCode;
      message: string;
      fieldErrors?: Record<string, string[]>;
      retryAfterSeconds?: number;
      newPlan?: Plan;
      /** The planner's words for `message` (Refusal.params): the page says it in the reader's language with them. */
      params?: PlanParams;
    };

export function ok<T>(data: T): Result<T> {
  return { ok: true, data };
}

export function fail<T = never>(
  code: DomainErrorCode,
  message: string,
  fieldErrors?: Record<string, string[]>,
): Result<T> {
  return fieldErrors ? { ok: false, code, message, fieldErrors } : { ok: false, code, message };
}

/** The planner's refusal as an action's failure, with the params that word it in the reader's language. */
export function refused<T = never>(refusal: Refusal): Result<T> {
  const { code, message, params } = refusal;
  return params ? { ok: false, code, message, params } : { ok: false, code, message };
}

export function isDomainErrorCode(value: unknown): value is DomainErrorCode {
  return typeof value === 'string' && (DOMAIN_ERROR_CODES as readonly string[]).includes(value);
}
