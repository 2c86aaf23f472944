import { describe, expect, it } from 'vitest';
import {
  desiredAccess,
  guestAttributesEnabled,
  ownAuthorizedKeys,
  parseAuthorizedKey,
  parseGoBool,
  parseGoTime,
  parseKeyLine,
  renderAuthorizedKeys,
  type MetadataAttributes,
} from './ssh-keys';

// Real public keys made by ssh-keygen (public halves only).
const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIaIFGomeWmt1wFGkbJW9WdWP2LuE2bJPDt2kuTnGkiA';
const ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNgy9ZbsqAvJPHbi6q/DZ7kfVh+VTei1U9vIRMUb1toFcNNLZNCB6q35hqzTUYEACsNzP1GKXvHWuHFpkS8Qkhs=';
const RSA =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDfWBW1/s6mHPNTjhgW1TDDhAoy/XoeTz2SO6k4ECwxJd0i5vHdBDffZ4CtwB9xbqnZru44EVaPXeVPiKc0EfGPdkUvBPtMuuiH99oym5fmP7KPihtRW8/lRvOaaLvsNXDzous4IAFjgmHpzxkq/s2m+VI5gZbYBJkBJZA7B/13ww==';
/** Another valid ed25519 key: the same blob layout with other bytes. */
function edKey(fill: number): string {
  const name = Buffer.from('ssh-ed25519');
  const blob = Buffer.alloc(4 + name.length + 4 + 32, fill);
  blob.writeUInt32BE(name.length, 0);
  name.copy(blob, 4);
  blob.writeUInt32BE(32, 4 + name.length);
  return `ssh-ed25519 ${blob.toString('base64')}`;
}
const ED2 = edKey(7);
const ED3 = edKey(9);

const NOW = new Date('2026-12-02T03:00:00Z');
const google = (key: string, user: string, expireOn: string) =>
  `${key} google-ssh {"userName":"${user}","expireOn":"${expireOn}"}`;

describe('parseKeyLine', () => {
  it.each([
    ['plain key, no comment', `alice:${ED}`, { user: 'alice', key: ED }],
    ['plain key with comment', `alice:${RSA} alice@laptop`, { user: 'alice', key: `${RSA} alice@laptop` }],
    ['ecdsa', `bob:${ECDSA}`, { user: 'bob', key: ECDSA }],
    ['surrounding spaces trimmed', `  alice:${ED}  `, { user: 'alice', key: ED }],
    [
      'options before the key',
      `alice:no-pty,from="10.0.0.1 x" ${ED}`,
      { user: 'alice', key: `no-pty,from="10.0.0.1 x" ${ED}` },
    ],
    [
      'google-ssh not yet expired',
      `quorum:${google(ED, 'quorum', '2026-12-02T03:05:00+00:00')}`,
      {
        user: 'quorum',
        key: google(ED, 'quorum', '2026-12-02T03:05:00+00:00'),
        expireOn: new Date('2026-12-02T03:05:00Z'),
      },
    ],
    [
      "google-ssh, the agent's second layout (-0700 without colon)",
      `q:${google(ED, 'q', '2026-12-01T20:05:00-0700')}`,
      { user: 'q', expireOn: new Date('2026-12-02T03:05:00Z') },
    ],
    [
      'expireOn matched case-insensitively, as Go decodes JSON',
      `q:${ED} google-ssh {"ExpireOn":"2027-01-01T00:00:00Z"}`,
      { user: 'q', expireOn: new Date('2027-01-01T00:00:00Z') },
    ],
  ])('accepts %s', (_name, line, expected) => {
    const parsed = parseKeyLine(line, NOW);
    expect(parsed).toMatchObject({ ok: true, ...expected });
  });

  it.each([
    ['empty', '   ', 'empty key'],
    ['no colon', ED, 'unrecognized format'],
    ['no user', `:${ED}`, 'user missing'],
    ['no key', 'alice:', 'key missing'],
    ['whitespace in user', `al ice:${ED}`, 'whitespace'],
    ['not a key', 'alice:hello world', 'not an SSH public key'],
    ['unknown key type', 'alice:ssh-foo AAAAB3Nz', 'unsupported key type'],
    ['bad base64', 'alice:ssh-ed25519 AAAA!!!!', 'base64'],
    ['blob of another type', `alice:ssh-rsa ${ED.split(' ')[1]}`, 'not ssh-rsa'],
    ['truncated blob', 'alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIaIFGom', 'truncated'],
    ['expired', `q:${google(ED, 'q', '2026-12-02T02:59:59Z')}`, 'expired'],
    ['google-ssh without JSON', `q:${ED} google-ssh`, 'without expiration'],
    ['google-ssh with bad JSON', `q:${ED} google-ssh {expireOn:1}`, 'not JSON'],
    ['google-ssh without expireOn', `q:${ED} google-ssh {"userName":"q"}`, 'bad expireOn'],
    ['google-ssh with a date only', `q:${google(ED, 'q', '2027-01-01')}`, 'bad expireOn'],
    ['google-ssh with an impossible date', `q:${google(ED, 'q', '2027-02-30T00:00:00Z')}`, 'bad expireOn'],
  ])('drops %s', (_name, line, reason) => {
    const parsed = parseKeyLine(line, NOW);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  it('counts a key as expired only strictly after expireOn', () => {
    const line = `q:${google(ED, 'q', '2026-12-02T03:00:00Z')}`;
    expect(parseKeyLine(line, NOW).ok).toBe(true);
    expect(parseKeyLine(line, new Date(NOW.getTime() + 1)).ok).toBe(false);
  });
});

describe('parseGoTime / parseGoBool', () => {
  it.each([
    ['2026-12-02T03:00:00Z', '2026-12-02T03:00:00.000Z'],
    ['2026-12-02T03:00:00.250Z', '2026-12-02T03:00:00.250Z'],
    ['2026-12-02T04:30:00+01:30', '2026-12-02T03:00:00.000Z'],
    ['2026-12-02T04:30:00+0130', '2026-12-02T03:00:00.000Z'],
  ])('parses %s', (text, iso) => {
    expect(parseGoTime(text)?.toISOString()).toBe(iso);
  });
  it.each(['2026-12-02 03:00:00Z', '2026-12-02T03:00:00', '2026-13-01T00:00:00Z', '2026-12-02T24:00:00Z', ''])(
    'rejects %j',
    (text) => {
      expect(parseGoTime(text)).toBeUndefined();
    },
  );
  it.each([
    ['TRUE', true],
    ['true', true],
    ['1', true],
    ['T', true],
    ['FALSE', false],
    ['0', false],
    ['yes', undefined],
    ['TRUE ', undefined],
    [undefined, undefined],
  ])('ParseBool(%j) = %j', (text, value) => {
    expect(parseGoBool(text)).toBe(value);
  });
});

describe('desiredAccess', () => {
  const at = (instance: Record<string, string>, project: Record<string, string> = {}): MetadataAttributes => ({
    instance,
    project,
  });
  const users = (attrs: MetadataAttributes, now = NOW) => Object.fromEntries(desiredAccess(attrs, now).users);

  it.each<[string, MetadataAttributes, Record<string, string[]>]>([
    ['no keys anywhere', at({}), {}],
    [
      'instance keys and project keys merged, instance first',
      at({ 'ssh-keys': `alice:${ED}` }, { 'ssh-keys': `alice:${ED2}\nbob:${ED3}` }),
      { alice: [ED, ED2], bob: [ED3] },
    ],
    [
      'block-project-ssh-keys=TRUE on the instance drops project keys',
      at({ 'ssh-keys': `alice:${ED}`, 'block-project-ssh-keys': 'TRUE' }, { 'ssh-keys': `bob:${ED3}` }),
      { alice: [ED] },
    ],
    [
      'block-project-ssh-keys=false keeps them',
      at({ 'block-project-ssh-keys': 'false' }, { 'ssh-keys': `bob:${ED3}` }),
      { bob: [ED3] },
    ],
    [
      'block-project-ssh-keys on the project is not read',
      at({}, { 'ssh-keys': `bob:${ED3}`, 'block-project-ssh-keys': 'TRUE' }),
      { bob: [ED3] },
    ],
    [
      'an unparsable block value counts as unset',
      at({ 'block-project-ssh-keys': 'yes' }, { 'ssh-keys': `bob:${ED3}` }),
      { bob: [ED3] },
    ],
    [
      'legacy sshKeys on the instance count and block project keys',
      at({ sshKeys: `carol:${ED2}` }, { 'ssh-keys': `bob:${ED3}` }),
      { carol: [ED2] },
    ],
    ['legacy sshKeys on the project count', at({}, { sshKeys: `carol:${ED2}` }), { carol: [ED2] }],
    [
      'blank and malformed lines skipped',
      at({ 'ssh-keys': `\nalice:${ED}\n\nnonsense\nbob:ssh-rsa xyz\n` }),
      { alice: [ED] },
    ],
    [
      'an expired key drops, the user keeps the others',
      at({ 'ssh-keys': `q:${google(ED, 'q', '2026-01-01T00:00:00Z')}\nq:${ED2}` }),
      { q: [ED2] },
    ],
    [
      'a user whose only key expired is not wanted',
      at({ 'ssh-keys': `q:${google(ED, 'q', '2026-01-01T00:00:00Z')}` }),
      {},
    ],
    [
      'enable-oslogin=TRUE on the project ignores every metadata key',
      at({ 'ssh-keys': `alice:${ED}` }, { 'enable-oslogin': 'TRUE', 'ssh-keys': `bob:${ED3}` }),
      {},
    ],
    ['enable-oslogin=TRUE on the instance', at({ 'ssh-keys': `alice:${ED}`, 'enable-oslogin': 'true' }), {}],
    [
      'enable-oslogin=FALSE on the instance overrides TRUE on the project',
      at({ 'ssh-keys': `alice:${ED}`, 'enable-oslogin': 'FALSE' }, { 'enable-oslogin': 'TRUE' }),
      { alice: [ED] },
    ],
    [
      'an unparsable instance value does not override the project',
      at({ 'ssh-keys': `alice:${ED}`, 'enable-oslogin': 'no' }, { 'enable-oslogin': 'TRUE' }),
      {},
    ],
  ])('%s', (_name, attrs, expected) => {
    expect(users(attrs)).toEqual(expected);
  });

  it('reports rejected lines and the next expiry', () => {
    const soon = '2026-12-02T03:00:05Z';
    const later = '2026-12-02T04:00:00Z';
    const access = desiredAccess(
      at({ 'ssh-keys': `q:${google(ED, 'q', later)}\nr:${google(ED2, 'r', soon)}\nbad` }),
      NOW,
    );
    expect(access.nextExpiry?.toISOString()).toBe(new Date(soon).toISOString());
    expect(access.rejected).toEqual([{ line: 'bad', reason: expect.stringContaining('unrecognized') }]);
    // Five seconds later the key that expired is gone and nothing else changed.
    expect(
      Object.keys(
        users(
          at({ 'ssh-keys': `q:${google(ED, 'q', later)}\nr:${google(ED2, 'r', soon)}` }),
          new Date('2026-12-02T03:00:06Z'),
        ),
      ),
    ).toEqual(['q']);
  });

  it('reads guest attributes as enabled on either level, the instance overriding', () => {
    expect(guestAttributesEnabled(at({}, {}))).toBe(false);
    expect(guestAttributesEnabled(at({}, { 'enable-guest-attributes': 'TRUE' }))).toBe(true);
    expect(guestAttributesEnabled(at({ 'enable-guest-attributes': 'TRUE' }))).toBe(true);
    expect(
      guestAttributesEnabled(at({ 'enable-guest-attributes': 'FALSE' }, { 'enable-guest-attributes': 'TRUE' })),
    ).toBe(false);
  });
});

describe('authorized_keys', () => {
  it("keeps the user's own lines and replaces Google's", () => {
    const file = `# my laptop\n${ED3} me@laptop\n# Added by Google\n${ED}\n\n# Added by Google\n${ED2} google-ssh {}\n`;
    const own = ownAuthorizedKeys(file);
    expect(own).toEqual(['# my laptop', `${ED3} me@laptop`]);
    expect(renderAuthorizedKeys(own, [RSA])).toBe(`# my laptop\n${ED3} me@laptop\n# Added by Google\n${RSA}\n`);
    expect(renderAuthorizedKeys(own, [])).toBe(`# my laptop\n${ED3} me@laptop\n`);
    expect(ownAuthorizedKeys(renderAuthorizedKeys(own, [ED, ED2]))).toEqual(own);
  });

  it('parses keys with options and comments', () => {
    expect(parseAuthorizedKey(`command="echo a b" ${ED} c d`)).toEqual({
      ok: true,
      type: 'ssh-ed25519',
      comment: 'c d',
    });
    expect(parseAuthorizedKey(`${ECDSA}`)).toEqual({ ok: true, type: 'ecdsa-sha2-nistp256', comment: '' });
    expect(parseAuthorizedKey('ecdsa-sha2-nistp384 ' + ECDSA.split(' ')[1]).ok).toBe(false);
  });
});
