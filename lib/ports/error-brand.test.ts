// Each port error is known by its is* check when a second copy of its module made it, as happens across Next's
// bundles (the container's adapters and store come from instrumentation.ts's bundle; actions check in theirs).
import { describe, expect, it, vi } from 'vitest';
import { isProviderError, isTransientProviderError, ProviderError } from './provider-error';
import { isReachError, ReachError } from './reach';
import { isOperationInProgress, OperationInProgress } from './store';

async function otherCopies() {
  vi.resetModules();
  return { provider: await import('./provider-error'), reach: await import('./reach'), store: await import('./store') };
}

describe('port errors across bundles', () => {
  it('a ProviderError, a ReachError and an OperationInProgress from another copy of their modules are known', async () => {
    const other = await otherCopies();
    expect(other.provider.ProviderError).not.toBe(ProviderError);

    const rate = new other.provider.ProviderError('RateLimited', 'listing instances: Rate Limit Exceeded', {
      httpStatus: 429,
    });
    expect(rate instanceof ProviderError).toBe(false);
    expect(isProviderError(rate)).toBe(true);
    expect(isTransientProviderError(rate)).toBe(true);
    expect(isTransientProviderError(new other.provider.ProviderError('QuotaExceeded', 'quota'))).toBe(false);

    const refused = new other.reach.ReachError('SshAuthRefused', 'p/z/i', 'the login was refused');
    expect(refused instanceof ReachError).toBe(false);
    expect(isReachError(refused)).toBe(true);

    const busy = new other.store.OperationInProgress('p~r~m', { id: 'op-1', kind: 'add-replica', status: 'running' });
    expect(busy instanceof OperationInProgress).toBe(false);
    expect(isOperationInProgress(busy)).toBe(true);
    // Each brand is its own class's.
    expect(isProviderError(busy)).toBe(false);
    expect(isReachError(rate)).toBe(false);
  });

  it.each([
    new Error('ProviderError'),
    Object.assign(new Error('x'), { name: 'ProviderError', code: 'NotFound' }),
    { name: 'ReachError', code: 'SshAuthRefused' },
    null,
    'OperationInProgress',
  ])('a look-alike is none of them: %s', (value) => {
    expect([isProviderError(value), isReachError(value), isOperationInProgress(value)]).toEqual([false, false, false]);
  });
});
