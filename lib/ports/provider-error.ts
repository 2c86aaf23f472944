// The one error type adapters reject with, so services and actions can map provider failures to the
// domain's result codes without knowing which client library produced them.
import type { ComputeWhy } from '@/lib/core/compute-why';
import { errorBrand, hasErrorBrand } from './error-brand';

export const PROVIDER_ERROR_CODES = [
  'NotFound',
  'AlreadyExists',
  'InvalidArgument',
  'Forbidden',
  'Conflict',
  'Timeout',
  /** 5xx (backendError, internalError) or the endpoint unreachable: transient, try again. */
  'ProviderUnavailable',
  /** 429, or 403 rateLimitExceeded / userRateLimitExceeded: the project's API rate quota, transient. */
  'RateLimited',
  /** 400 resourceNotReady: what the call acts on is still changing (a disk being made), transient. */
  'ResourceNotReady',
  /** QUOTA_EXCEEDED: a resource quota of the project (CPUs, disks, addresses in a region) is used up. */
  'QuotaExceeded',
  /** ZONE_RESOURCE_POOL_EXHAUSTED(_WITH_DETAILS): the zone has no capacity for this now (a stockout). */
  'ZoneExhausted',
  /** 403 forbidden / IAM: the caller's identity lacks a permission (named when Google names it). */
  'PermissionDenied',
  /** etcd: a learner cannot be promoted yet ("in sync with leader"); retry later. */
  'LearnerNotReady',
  /** etcd refused a membership change (e.g. `unhealthy cluster` under --strict-reconfig-check). */
  'EtcdRefused',
  /** Quorum could not get to the replica at all (its SSH key, the pinned host key, port 22): nothing was sent. */
  'NoAccess',
  'Unknown',
] as const;
export type ProviderErrorCode = (typeof PROVIDER_ERROR_CODES)[number];

/** Every ProviderError carries it, so one made by another bundle's copy of this class is still known (error-brand.ts). */
const PROVIDER_ERROR_BRAND = errorBrand('ProviderError');

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly [PROVIDER_ERROR_BRAND] = true;
  readonly code: ProviderErrorCode;
  /** HTTP status of the provider's answer, when there was one. */
  readonly httpStatus: number | null;
  /** The provider's machine-readable reason (GCE `errors[0].reason`, e.g. `notFound`), when given. */
  readonly reason: string | null;
  /**
   * The Operation whose result this failure is (it was accepted, then failed), or null when the request itself
   * failed. A retry of a failed Operation needs a new requestId: Compute answers a re-sent one with the same
   * failed Operation.
   */
  readonly operation: string | null;
  /** Quorum's words after Compute's message (at the end of `message`, in parentheses), as a key and params. */
  readonly why: ComputeWhy | null;

  constructor(
    code: ProviderErrorCode,
    message: string,
    opts: {
      httpStatus?: number | null;
      reason?: string | null;
      operation?: string | null;
      why?: ComputeWhy | null;
      cause?: unknown;
    } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.httpStatus = opts.httpStatus ?? null;
    this.reason = opts.reason ?? null;
    this.operation = opts.operation ?? null;
    this.why = opts.why ?? null;
  }
}

/** Provider failures that go away by themselves: the same call, sent again a little later, may succeed. */
export const TRANSIENT_PROVIDER_ERROR_CODES: readonly ProviderErrorCode[] = [
  'ProviderUnavailable',
  'RateLimited',
  'ResourceNotReady',
  'Timeout',
];

export function isTransientProviderError(e: unknown): e is ProviderError {
  return isProviderError(e) && TRANSIENT_PROVIDER_ERROR_CODES.includes(e.code);
}

/** Quorum's words after Compute's message in `e`'s, when `e` is a ProviderError that has them. */
export function computeWhyOf(e: unknown): ComputeWhy | null {
  return isProviderError(e) ? (e.why ?? null) : null;
}

/** A ProviderError, from this module's class or another bundle's copy of it. */
export function isProviderError(e: unknown): e is ProviderError {
  return e instanceof ProviderError || hasErrorBrand(e, PROVIDER_ERROR_BRAND);
}
