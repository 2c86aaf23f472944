import { describe, expect, it } from 'vitest';
import { isConnectionReset } from './connection-reset';

describe('isConnectionReset', () => {
  it.each([
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    [Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), true],
    [{ code: 'ECONNRESET' }, true],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), false],
    [Object.assign(new Error('HTTP 503'), { code: 503 }), false],
    [new Error('no code'), false],
    ['ECONNRESET', false],
    [null, false],
  ])('%s -> %s', (e, reset) => {
    expect(isConnectionReset(e)).toBe(reset);
  });
});
