import { describe, expect, it } from 'vitest';
import { hostKeyChangeOf, noAccessError, parseNoAccess } from './probe-errors';
import { REACH_WHY_KEYS, reachWhyOf, reachWhyText } from './reach-why';
import { REACH_WHY_CASES } from './testing/reach-why-cases';

describe('why the way into a replica failed, as a sentence read back', () => {
  it('has a case of every sentence', () => {
    expect(REACH_WHY_CASES.map((c) => c.key)).toEqual(REACH_WHY_KEYS);
  });

  it.each(REACH_WHY_CASES.map((c) => [c.key, c.text, c] as const))('%s: %s', (_key, text, c) => {
    expect(reachWhyOf(text)).toEqual({ key: c.key, params: c.params });
    // As it travels: inside a probe's error, read back by the core.
    expect(reachWhyOf(parseNoAccess(noAccessError(text, 'SshUnreachable')).reason)).toEqual({
      key: c.key,
      params: c.params,
    });
  });

  it('writes the English the reach always wrote', () => {
    expect(reachWhyText('noAnswer', { address: '198.18.0.5', ms: 3000 })).toBe(
      'no SSH answer from 198.18.0.5 within 3000 ms',
    );
    expect(reachWhyText('noAddress', { kind: 'external' })).toBe(
      'the instance has no external IP to reach port 22 on (QUORUM_SSH_ADDRESS=external)',
    );
    expect(reachWhyText('closedByPeer')).toBe('SSH connection closed by the replica or the network');
  });

  it('keeps a quoted message whole, even one with parentheses and colons of its own', () => {
    const error = 'Handshake failed: no matching host key format (ssh-rsa): see (1)';
    expect(reachWhyOf(reachWhyText('keyRefused', { address: '10.0.0.2', error }))).toEqual({
      key: 'keyRefused',
      params: { address: '10.0.0.2', error },
    });
    expect(reachWhyOf(reachWhyText('connectionLost', { error: 'a\nsecond line' }))?.params).toEqual({
      error: 'a\nsecond line',
    });
  });

  it('reads no sentence into what is none of them', () => {
    expect(reachWhyOf('connect ECONNREFUSED 127.0.0.1:22')).toBeNull();
    expect(reachWhyOf('no SSH answer from 198.18.0.5 within 3000 ms, then more')).toBeNull();
    expect(reachWhyOf('')).toBeNull();
    // A name used twice must be the same text both times.
    expect(reachWhyOf('the instance has no external IP to reach port 22 on (QUORUM_SSH_ADDRESS=internal)')).toBeNull();
  });

  it('names both fingerprints of a changed host key, as the finding reads them', () => {
    const c = REACH_WHY_CASES.find((x) => x.key === 'hostKeyChanged');
    expect(c && hostKeyChangeOf(c.text)).toEqual({
      pinnedFingerprint: c?.params.pinned,
      presentedFingerprint: c?.params.presented,
    });
  });
});
