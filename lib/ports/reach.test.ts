import { describe, expect, it } from 'vitest';
import { isReachError, REACH_ERROR_CODES, ReachError, reachTargetLabel } from './reach';

describe('ReachError', () => {
  it.each(REACH_ERROR_CODES.map((code) => [code, code !== 'ServiceDown'] as const))(
    '%s is an access problem: %s',
    (code, access) => {
      const e = new ReachError(code, reachTargetLabel({ project: 'p', zone: 'z', instance: 'm' }), 'why');
      expect(e.accessProblem).toBe(access);
      expect(e.target).toBe('p/z/m');
      expect(isReachError(e)).toBe(true);
    },
  );

  it('is told apart from other errors', () => {
    expect(isReachError(new Error('x'))).toBe(false);
  });
});
