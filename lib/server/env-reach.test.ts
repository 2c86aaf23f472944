import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';

describe('reach settings', () => {
  it('defaults to the internal address, user quorum, a 3 s connect deadline and 24 h keys', () => {
    expect(parseEnv({}, '/repo')).toMatchObject({
      QUORUM_SSH_ADDRESS: 'internal',
      QUORUM_SSH_USER: 'quorum',
      QUORUM_SSH_CONNECT_TIMEOUT_MS: 3_000,
      QUORUM_SSH_KEY_TTL_HOURS: 24,
    });
  });

  it('takes the external address and another user', () => {
    expect(parseEnv({ QUORUM_SSH_ADDRESS: 'external', QUORUM_SSH_USER: 'ops_quorum' }, '/repo')).toMatchObject({
      QUORUM_SSH_ADDRESS: 'external',
      QUORUM_SSH_USER: 'ops_quorum',
    });
  });

  it.each([
    [{ QUORUM_SSH_ADDRESS: 'public' }, 'QUORUM_SSH_ADDRESS'],
    [{ QUORUM_SSH_USER: 'Root' }, 'QUORUM_SSH_USER'],
    [{ QUORUM_SSH_USER: 'a:b' }, 'QUORUM_SSH_USER'],
    [{ QUORUM_SSH_CONNECT_TIMEOUT_MS: '10' }, 'QUORUM_SSH_CONNECT_TIMEOUT_MS'],
    [{ QUORUM_SSH_KEY_TTL_HOURS: '0' }, 'QUORUM_SSH_KEY_TTL_HOURS'],
  ])('rejects %j naming the variable', (source, name) => {
    expect(() => parseEnv(source, '/repo')).toThrow(name);
  });
});
