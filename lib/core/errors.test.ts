import { describe, expect, it } from 'vitest';
import { DOMAIN_ERROR_CODES, fail, isDomainErrorCode, ok, type Result } from './errors';

describe('domain errors', () => {
  it.each([...DOMAIN_ERROR_CODES])('%s is a domain error code', (code) => {
    expect(isDomainErrorCode(code)).toBe(true);
  });

  it.each(['', 'quorumAtRisk', 'Error', 42, null, undefined])('%s is not', (value) => {
    expect(isDomainErrorCode(value)).toBe(false);
  });

  it('builds results the client can narrow on ok', () => {
    const good: Result<number> = ok(3);
    const bad: Result<number> = fail('InvalidInput', 'Zone is required.', { zone: ['Required'] });
    expect(good).toEqual({ ok: true, data: 3 });
    expect(bad).toEqual({
      ok: false,
      code: 'InvalidInput',
      message: 'Zone is required.',
      fieldErrors: { zone: ['Required'] },
    });
    expect(fail('NotFound', 'No such cluster.')).not.toHaveProperty('fieldErrors');
  });
});
