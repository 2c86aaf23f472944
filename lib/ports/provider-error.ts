// The one error type adapters reject with, so services and actions can map provider failures to the
// domain's result codes without knowing which client library produced them.

export const PROVIDER_ERROR_CODES = [
  'NotFound',
  'AlreadyExists',
  'InvalidArgument',
  'Forbidden',
  'Conflict',
  'Timeout',
  'ProviderUnavailable',
  /** etcd: a learner cannot be promoted yet ("in sync with leader"); retry later. */
  'LearnerNotReady',
  /** etcd refused a membership change (e.g. `unhealthy cluster` under --strict-reconfig-check). */
  'EtcdRefused',
  /** Quorum could not get to the replica at all (its SSH key, the pinned host key, port 22): nothing was sent. */
  'NoAccess',
  'Unknown',
] as const;
export type ProviderErrorCode = (typeof PROVIDER_ERROR_CODES)[number];

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code: ProviderErrorCode;
  /** HTTP status of the provider's answer, when there was one. */
  readonly httpStatus: number | null;
  /** The provider's machine-readable reason (GCE `errors[0].reason`, e.g. `notFound`), when given. */
  readonly reason: string | null;

  constructor(code: ProviderErrorCode, message: string, opts: { httpStatus?: number | null; reason?: string | null; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.httpStatus = opts.httpStatus ?? null;
    this.reason = opts.reason ?? null;
  }
}

export function isProviderError(e: unknown): e is ProviderError {
  return e instanceof ProviderError;
}
