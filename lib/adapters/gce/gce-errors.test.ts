import { describe, expect, it } from 'vitest';
import { GCE_FAILED_OPERATIONS, GCE_HTTP_ERRORS } from './gce-error-fixtures';
import { classifyComputeFailure, failureOfHttpBody, failureOfOperation } from './gce-errors';
import { toProviderError } from './gce-mapping';

// What the REST client rejects with: a GaxiosError whose message is the answer's JSON.
const gaxios = (body: { error: { code: number } }) =>
  Object.assign(new Error(JSON.stringify(body)), { code: body.error.code, status: body.error.code });

describe('HTTP error answers', () => {
  it.each([
    ['rateLimitExceeded', 'RateLimited', true, /rate quota/],
    ['userRateLimitExceeded', 'RateLimited', true, /rate quota/],
    ['tooManyRequests', 'RateLimited', true, /rate quota/],
    ['backendError', 'ProviderUnavailable', true, /failed on its side/],
    ['internalError', 'ProviderUnavailable', true, /failed on its side/],
    ['resourceNotReady', 'ResourceNotReady', true, /still changing/],
    ['quotaExceeded', 'QuotaExceeded', false, /quota CPUS \(limit 24\) is used up in region us-central1/],
    ['forbiddenPermission', 'PermissionDenied', false, /lacks the IAM permission compute\.instances\.create/],
    ['forbidden', 'PermissionDenied', false, /not allowed/],
    ['notFound', 'NotFound', false, null],
    ['alreadyExists', 'AlreadyExists', false, null],
  ] as const)('%s -> %s', (name, code, transient, words) => {
    const body = GCE_HTTP_ERRORS[name];
    const failure = failureOfHttpBody(body);
    expect(failure).not.toBeNull();
    if (!failure) return;
    const c = classifyComputeFailure(failure);
    expect({ code: c.code, transient: c.transient }).toEqual({ code, transient });
    const pe = toProviderError(gaxios(body), 'instances.insert p/z/n');
    expect(pe.code).toBe(code);
    expect(pe.httpStatus).toBe(body.error.code);
    expect(pe.operation).toBeNull();
    expect(pe.message.startsWith(`instances.insert p/z/n: ${body.error.message}`)).toBe(true);
    if (words) expect(pe.message).toMatch(words);
  });

  it('a 403 without a body is a permission problem, a 429 without one a rate limit', () => {
    expect(toProviderError(Object.assign(new Error('Forbidden'), { code: 403 }), 'x').code).toBe('PermissionDenied');
    expect(toProviderError(Object.assign(new Error('8 RESOURCE_EXHAUSTED'), { code: 8 }), 'x').code).toBe(
      'RateLimited',
    );
  });
});

describe('failed Operations', () => {
  it.each([
    [
      'zoneResourcePoolExhausted',
      'ZoneExhausted',
      false,
      /zone us-central1-a has no capacity .*ZONE_RESOURCE_POOL_EXHAUSTED.*another zone/,
    ],
    [
      'zoneResourcePoolExhaustedWithDetails',
      'ZoneExhausted',
      false,
      /zone us-central1-a has no capacity .*ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS/,
    ],
    [
      'quotaExceeded',
      'QuotaExceeded',
      false,
      /quota SSD_TOTAL_GB \(limit 500\) is used up in region us-central1.*compute\.googleapis\.com\/ssd_total_storage/,
    ],
    ['resourceNotReady', 'ResourceNotReady', true, /still changing/],
  ] as const)('%s -> %s', (name, code, transient, words) => {
    const op = GCE_FAILED_OPERATIONS[name];
    const failure = failureOfOperation(op);
    expect(failure?.operation).toBe(op.name);
    if (!failure) return;
    const c = classifyComputeFailure(failure);
    expect({ code: c.code, transient: c.transient }).toEqual({ code, transient });
    expect(`${failure.message} (${c.explanation})`).toMatch(words);
  });

  it('an Operation without error is no failure', () => {
    expect(failureOfOperation({ name: 'op', status: 'DONE' })).toBeNull();
  });
});
