import { describe, expect, it } from 'vitest';
import {
  hostKeyChangeOf,
  isNoAccessError,
  isTimeoutError,
  noAccessError,
  parseNoAccess,
  timeoutError,
} from './probe-errors';
import { reachWhyText } from './reach-why';

describe('probe error prefixes', () => {
  it.each([
    [timeoutError('no answer from 10.0.0.2:2379 within 1500 ms'), { timeout: true, noAccess: false }],
    ['4 DEADLINE_EXCEEDED: deadline exceeded', { timeout: true, noAccess: false }],
    ['connection refused', { timeout: false, noAccess: false }],
    // Port 22 timing out is Quorum's access, not a slow member.
    [
      noAccessError('no SSH answer from 198.18.0.5 within 3000 ms', 'SshUnreachable'),
      { timeout: false, noAccess: true },
    ],
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

describe('host key change reasons', () => {
  const pinned = `SHA256:${'a'.repeat(43)}`;
  const presented = `SHA256:${'B/+9'.repeat(10)}xyz`;

  it('reads both fingerprints back from the wording the reach uses', () => {
    const reason = reachWhyText('hostKeyChanged', { pinned, presented });
    expect(parseNoAccess(noAccessError(reason, 'HostKeyChanged'))).toMatchObject({ kind: 'host-key' });
    expect(hostKeyChangeOf(reason)).toEqual({ pinnedFingerprint: pinned, presentedFingerprint: presented });
  });

  it.each([
    ['a reason without fingerprints', 'the host no longer offers its pinned ssh-ed25519 key; refused'],
    ['a truncated fingerprint', `the host key changed: SHA256:abc was pinned, ${presented} is presented now`],
  ])('names no change for %s', (_, reason) => {
    expect(hostKeyChangeOf(reason)).toBeNull();
  });
});
