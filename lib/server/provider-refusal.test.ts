import { describe, expect, it } from 'vitest';
import { PROVIDER_ERROR_CODES, ProviderError } from '@/lib/ports/provider-error';
import { providerRefusal } from './provider-refusal';

describe('providerRefusal', () => {
  it.each([
    ['QuotaExceeded', 'QuotaExceeded', /quota of the project is used up/],
    ['ZoneExhausted', 'ZoneExhausted', /no capacity/],
    ['PermissionDenied', 'PermissionDenied', /not allowed to do this/],
    ['Forbidden', 'PermissionDenied', /not allowed to do this/],
    ['RateLimited', 'RateLimited', /Try again in 60 s/],
    ['NotFound', 'NotFound', /does not exist/],
    ['NoAccess', 'NoAccess', /cannot get into a replica/],
    ['Timeout', 'ProviderUnavailable', /did not answer in time/],
    ['ProviderUnavailable', 'ProviderUnavailable', /could not answer now/],
    ['ResourceNotReady', 'ProviderUnavailable', /could not answer now/],
    ['Unknown', 'ProviderUnavailable', /could not answer now/],
  ] as const)('%s -> %s', (providerCode, code, says) => {
    const refusal = providerRefusal(new ProviderError(providerCode, 'reading forwarding rule prod-master: the answer'));
    expect(refusal.code).toBe(code);
    expect(refusal.message).toMatch(says);
    expect(refusal.retryAfterSeconds).toBe(code === 'RateLimited' ? 60 : undefined);
  });

  it.each(PROVIDER_ERROR_CODES)(
    '%s: a sentence that says nothing was changed and quotes the answer in one line, without secrets',
    (providerCode) => {
      const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----';
      const { message } = providerRefusal(
        new ProviderError(
          providerCode,
          `Internal error. Please try again; quoting ${key}\n    at GceCompute.get (gce-compute.ts:12:3)`,
        ),
      );
      expect(message).toMatch(
        /^[A-Z].*; nothing was changed\. .*The answer was: Internal error\. Please try again; quoting .*\.$/,
      );
      expect(message).not.toMatch(/\n|MIIEow|PRIVATE KEY-----\n|gce-compute\.ts/);
    },
  );
});
