import { describe, expect, it } from 'vitest';
import { isNoAccessError, isTimeoutError, noAccessError, parseNoAccess, timeoutError } from './probe-errors';

describe('probe error prefixes', () => {
  it.each([
    [timeoutError('no answer from 10.0.0.2:2379 within 1500 ms'), { timeout: true, noAccess: false }],
    ['4 DEADLINE_EXCEEDED: deadline exceeded', { timeout: true, noAccess: false }],
    ['connection refused', { timeout: false, noAccess: false }],
    // Port 22 timing out is Quorum's access, not a slow member.
    [noAccessError('no SSH answer from 198.18.0.5 within 3000 ms', 'SshUnreachable'), { timeout: false, noAccess: true }],
    [noAccessError("sshd at 198.18.0.5 refused Quorum's key"), { timeout: false, noAccess: true }],
    ['  NOACCESS: x', { timeout: false, noAccess: true }],
  ])('%s', (error, expected) => {
    expect({ timeout: isTimeoutError(error), noAccess: isNoAccessError(error) }).toEqual(expected);
  });
});

describe('parseNoAccess', () => {
  it.each([
    ['SshAuthRefused', 'key'],
    ['KeyNotPublished', 'key'],
    ['SshUnreachable', 'network'],
    ['NoAddress', 'network'],
    ['ForwardingRefused', 'network'],
    ['HostKeyChanged', 'host-key'],
    ['HostKeyUnknown', 'host-key'],
    ['OsLoginUnsupported', 'os-login'],
    ['SomethingNew', 'other'],
  ])('%s -> %s, the reason without the code', (code, kind) => {
    expect(parseNoAccess(noAccessError('why it failed', code))).toEqual({ kind, reason: 'why it failed' });
  });

  it('reads a reason without a code as other', () => {
    expect(parseNoAccess('noaccess: just words')).toEqual({ kind: 'other', reason: 'just words' });
  });
});
