import { describe, expect, it } from 'vitest';
import { checkMutationRate, checkPreviewRate, createMutationRateLimiter, previewRateRefusal } from './actions';

function limiterAt(perMinute: number, burst: number) {
  const clock = { now: 0 };
  return { clock, check: createMutationRateLimiter({ perMinute, burst }, () => clock.now) };
}

describe('createMutationRateLimiter', () => {
  it('allows the burst, then refuses saying when to retry (the defaults: 10 in a row, then 30 a minute)', () => {
    const { clock, check } = limiterAt(30, 10);
    expect(Array.from({ length: 10 }, () => check('alice'))).toEqual(Array(10).fill({ ok: true }));
    expect(check('alice')).toEqual({ ok: false, retryAfterSeconds: 2 });
    clock.now = 1_500;
    expect(check('alice')).toEqual({ ok: false, retryAfterSeconds: 1 });
    clock.now = 2_000;
    expect(check('alice')).toEqual({ ok: true });
  });

  it('counts each user on their own', () => {
    const { check } = limiterAt(1, 1);
    expect(check('alice')).toEqual({ ok: true });
    expect(check('alice')).toEqual({ ok: false, retryAfterSeconds: 60 });
    expect(check('bob')).toEqual({ ok: true });
  });

  it('rounds a wait of less than a second up to one', () => {
    const { clock, check } = limiterAt(600, 1);
    check('alice');
    clock.now = 99;
    expect(check('alice')).toEqual({ ok: false, retryAfterSeconds: 1 });
  });
});

describe('checkMutationRate', () => {
  it('is one limiter for the process, with the configured burst', () => {
    const user = `test-user-${Math.random()}`;
    const results = Array.from({ length: 11 }, () => checkMutationRate(user));
    expect(results.slice(0, 10).every((r) => r.ok)).toBe(true);
    expect(results[10]).toMatchObject({ ok: false });
  });
});

describe('checkPreviewRate', () => {
  it('is a limiter of its own (previews do not use up changes), with the configured burst, and refuses in words', () => {
    const user = `preview-user-${Math.random()}`;
    const results = Array.from({ length: 11 }, () => checkPreviewRate(user));
    expect(results.slice(0, 10).every((r) => r.ok)).toBe(true);
    expect(results[10]).toMatchObject({ ok: false });
    expect(checkMutationRate(user)).toEqual({ ok: true });
    const refusal = previewRateRefusal(2);
    expect(refusal).toEqual({
      ok: false,
      code: 'RateLimited',
      message: 'Too many plan previews in a short time; try again in 2 s.',
      params: { what: 'previews', retryAfterSeconds: 2 },
      retryAfterSeconds: 2,
    });
  });
});
