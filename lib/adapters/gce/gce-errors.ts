import 'server-only';
import { z } from 'zod';
import { computeWhyText, type ComputeWhy } from '@/lib/core/compute-why';
import { ProviderError, type ProviderErrorCode } from '@/lib/ports/provider-error';

// Compute Engine's failures, classified: which are transient (sent again later, the same call may succeed)
// and which need a person, said in words with what to do. Compute reports a failure in two places: the HTTP
// answer to the call (`{ error: { code, message, errors: [{ reason, domain, message }] } }`), and, for a call
// it accepted, the Operation's `error.errors[]` (`{ code: 'QUOTA_EXCEEDED', message, errorDetails }`) with
// `httpErrorStatusCode`. Both go through classifyComputeFailure. Fixtures: gce-error-fixtures.ts.

/** One entry of `error.errors[]`: `reason` in an HTTP answer, `code` in an Operation. */
export type ComputeErrorItem = {
  reason?: string | null;
  code?: string | null;
  message?: string | null;
  domain?: string | null;
  errorDetails?: unknown;
};

/** A failure as Compute reported it, before classification. */
export type ComputeFailure = {
  httpStatus: number | null;
  message: string;
  errors: readonly ComputeErrorItem[];
  /** The failed Operation's name, when the failure is an Operation's result. */
  operation?: string | null;
};

export type ComputeErrorClass = {
  code: ProviderErrorCode;
  transient: boolean;
  /** Google's own code or reason this was recognised by (`QUOTA_EXCEEDED`, `rateLimitExceeded`...), when any. */
  reason: string | null;
  /** What happened and what to do, in words, after Google's message ('' when nothing is said). */
  explanation: string;
  /** The same as a key and params (lib/core/compute-why.ts), so a page can say it in the reader's language. */
  why: ComputeWhy | null;
};

/** A class whose words are `why` (the explanation is its English). */
function explained(
  code: ProviderErrorCode,
  transient: boolean,
  reason: string | null,
  why: ComputeWhy,
): ComputeErrorClass {
  return { code, transient, reason, explanation: computeWhyText(why), why };
}

function unexplained(code: ProviderErrorCode, reason: string | null): ComputeErrorClass {
  return { code, transient: false, reason, explanation: '', why: null };
}

const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED']);
const NOT_READY_REASONS = new Set(['resourceNotReady', 'RESOURCE_NOT_READY']);
const QUOTA_REASONS = new Set(['QUOTA_EXCEEDED', 'quotaExceeded']);
const STOCKOUT_REASONS = new Set([
  'ZONE_RESOURCE_POOL_EXHAUSTED',
  'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
  'resourcePoolExhausted',
]);
const FORBIDDEN_REASONS = new Set([
  'forbidden',
  'PERMISSION_DENIED',
  'insufficientPermissions',
  'IAM_PERMISSION_DENIED',
]);
const ALREADY_EXISTS_REASONS = new Set(['alreadyExists', 'RESOURCE_ALREADY_EXISTS']);
const NOT_FOUND_REASONS = new Set(['notFound', 'RESOURCE_NOT_FOUND']);

const quotaInfoSchema = z.object({
  quotaInfo: z.object({
    metricName: z.string().nullish(),
    limitName: z.string().nullish(),
    dimensions: z.record(z.string(), z.string()).nullish(),
    limit: z.number().nullish(),
  }),
});

/** Which quota and where: from `errorDetails[].quotaInfo` when given, else from Google's message. */
export function quotaOf(
  f: ComputeFailure,
): { quota: string; region: string | null; limit: number | null; metric: string | null } | null {
  for (const item of f.errors) {
    for (const detail of Array.isArray(item.errorDetails) ? item.errorDetails : []) {
      const parsed = quotaInfoSchema.safeParse(detail);
      if (!parsed.success) continue;
      const q = parsed.data.quotaInfo;
      const metric = q.metricName ?? null;
      const quota = quotaNameIn(item.message ?? f.message) ?? q.limitName ?? metric ?? 'unknown';
      return {
        quota,
        region: q.dimensions?.region ?? regionIn(item.message ?? f.message),
        limit: q.limit ?? null,
        metric,
      };
    }
  }
  const text = [f.message, ...f.errors.map((e) => e.message ?? '')].join(' ');
  const quota = quotaNameIn(text);
  if (quota === null) return null;
  const limit = /Limit:\s*([\d.]+)/.exec(text)?.[1];
  return { quota, region: regionIn(text), limit: limit === undefined ? null : Number(limit), metric: null };
}

function quotaNameIn(text: string): string | null {
  return /Quota '([^']+)' exceeded/.exec(text)?.[1] ?? null;
}

function regionIn(text: string): string | null {
  return /in region ([a-z]+-[a-z]+\d+)/.exec(text)?.[1] ?? null;
}

/** The zone a stockout names (`The zone 'projects/p/zones/us-central1-a' does not have...`, or `in the us-central1-a zone`). */
export function stockoutZoneOf(f: ComputeFailure): string | null {
  const text = [f.message, ...f.errors.map((e) => e.message ?? '')].join(' ');
  return (
    /zones\/([a-z]+-[a-z]+\d+-[a-z])/.exec(text)?.[1] ?? /in the ([a-z]+-[a-z]+\d+-[a-z]) zone/.exec(text)?.[1] ?? null
  );
}

/** The IAM permission Google's message names (`Required 'compute.instances.create' permission for ...`). */
export function permissionOf(f: ComputeFailure): string | null {
  const text = [f.message, ...f.errors.map((e) => e.message ?? '')].join(' ');
  return (
    /Required '([a-z]+\.[A-Za-z]+\.[A-Za-z]+)' permission/.exec(text)?.[1] ??
    /permission '?([a-z]+\.[A-Za-z]+\.[A-Za-z]+)'?/.exec(text)?.[1] ??
    null
  );
}

function reasonsOf(f: ComputeFailure): string[] {
  return f.errors.flatMap((e) => [e.reason, e.code]).filter((r): r is string => typeof r === 'string' && r !== '');
}

/** Classifies a failure Compute reported (HTTP answer or failed Operation). */
export function classifyComputeFailure(f: ComputeFailure): ComputeErrorClass {
  const reasons = reasonsOf(f);
  const has = (set: ReadonlySet<string>) => reasons.find((r) => set.has(r)) ?? null;
  const status = f.httpStatus;

  const quota = has(QUOTA_REASONS);
  if (quota) {
    const q = quotaOf(f);
    return explained('QuotaExceeded', false, quota, {
      key: 'quota',
      params: {
        quota: q?.quota ?? 'none',
        limit: q?.limit !== null && q?.limit !== undefined ? String(q.limit) : 'none',
        region: q?.region ?? 'none',
        metric: q?.metric ?? 'none',
      },
    });
  }
  const stockout = has(STOCKOUT_REASONS);
  if (stockout) {
    return explained('ZoneExhausted', false, stockout, {
      key: 'stockout',
      params: { zone: stockoutZoneOf(f) ?? 'none', reason: stockout },
    });
  }
  const rate = has(RATE_LIMIT_REASONS);
  if (rate || status === 429) {
    return explained('RateLimited', true, rate, { key: 'rateLimited', params: {} });
  }
  const notReady = has(NOT_READY_REASONS);
  if (notReady) {
    return explained('ResourceNotReady', true, notReady, { key: 'notReady', params: {} });
  }
  if (status !== null && status >= 500) {
    return explained(status === 504 ? 'Timeout' : 'ProviderUnavailable', true, reasons[0] ?? null, {
      key: 'serverSide',
      params: {},
    });
  }
  const forbidden = has(FORBIDDEN_REASONS);
  if (status === 403 || forbidden) {
    return explained('PermissionDenied', false, forbidden, {
      key: 'permission',
      params: { permission: permissionOf(f) ?? 'none' },
    });
  }
  const exists = has(ALREADY_EXISTS_REASONS);
  if (exists) return unexplained('AlreadyExists', exists);
  const notFound = has(NOT_FOUND_REASONS);
  if (notFound || status === 404) return unexplained('NotFound', notFound);
  const reason = reasons[0] ?? null;
  switch (status) {
    case 400:
      return unexplained('InvalidArgument', reason);
    case 401:
      return unexplained('Forbidden', reason);
    case 409:
    case 412:
      return unexplained('Conflict', reason);
    default:
      return unexplained('Unknown', reason);
  }
}

/** The ProviderError for a failure: `<context>: <Google's message>` then, for what needs a person or is retried, the words. */
export function computeProviderError(f: ComputeFailure, context: string, cause?: unknown): ProviderError {
  const c = classifyComputeFailure(f);
  const text = `${context}: ${f.message}${c.explanation ? ` (${c.explanation})` : ''}`;
  return new ProviderError(c.code, text, {
    httpStatus: f.httpStatus,
    reason: c.reason ?? f.errors[0]?.reason ?? f.errors[0]?.code ?? null,
    operation: f.operation ?? null,
    why: c.why,
    cause,
  });
}

const itemSchema = z.object({
  reason: z.string().nullish(),
  code: z.string().nullish(),
  message: z.string().nullish(),
  domain: z.string().nullish(),
  errorDetails: z.array(z.unknown()).nullish(),
});

const httpBodySchema = z.object({
  error: z.object({
    code: z.number().nullish(),
    message: z.string().nullish(),
    errors: z.array(itemSchema).nullish(),
    details: z.array(z.object({ reason: z.string().nullish() }).passthrough()).nullish(),
  }),
});

/** An HTTP error answer's body (GCE's `{ error: {...} }`) as a failure; null when it is not one. */
export function failureOfHttpBody(body: unknown): ComputeFailure | null {
  const parsed = httpBodySchema.safeParse(body);
  if (!parsed.success) return null;
  const e = parsed.data.error;
  const errors: ComputeErrorItem[] = [...(e.errors ?? [])];
  // Newer answers add google.rpc.ErrorInfo details (reason RATE_LIMIT_EXCEEDED) beside errors[].
  for (const d of e.details ?? []) if (d.reason) errors.push({ reason: d.reason });
  return { httpStatus: e.code ?? null, message: e.message ?? errors[0]?.message ?? 'unknown error', errors };
}

const operationErrorSchema = z.object({
  name: z.string().nullish(),
  error: z.object({ errors: z.array(itemSchema).nullish() }).nullish(),
  httpErrorStatusCode: z.number().nullish(),
});

/** A DONE Operation's error as a failure; null when it succeeded. */
export function failureOfOperation(op: unknown): ComputeFailure | null {
  const parsed = operationErrorSchema.safeParse(op);
  if (!parsed.success) return null;
  const errors = parsed.data.error?.errors ?? [];
  const first = errors[0];
  if (!first) return null;
  return {
    httpStatus: parsed.data.httpErrorStatusCode ?? null,
    message: errors.map((e) => e.message ?? e.code ?? 'unknown error').join('; '),
    errors,
    operation: parsed.data.name ?? null,
  };
}
