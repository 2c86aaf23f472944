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
] as const;
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export type Result<T> =
  | { ok: true; data: T }
  | { ok: false; code: DomainErrorCode; message: string; fieldErrors?: Record<string, string[]>; retryAfterSeconds?: number };

export function ok<T>(data: T): Result<T> {
  return { ok: true, data };
}

export function fail<T = never>(code: DomainErrorCode, message: string, fieldErrors?: Record<string, string[]>): Result<T> {
  return fieldErrors ? { ok: false, code, message, fieldErrors } : { ok: false, code, message };
}

export function isDomainErrorCode(value: unknown): value is DomainErrorCode {
  return typeof value === 'string' && (DOMAIN_ERROR_CODES as readonly string[]).includes(value);
}
