import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  googleKeyLine,
  judgeHostKey,
  keyTypeOfBlob,
  osLoginEnabled,
  parseSshKeyLine,
  planQuorumKey,
  publishedHostKeys,
  sshFingerprint,
} from './ssh-keys';

// Real keys (made by ssh-keygen) so fingerprints are checked against OpenSSH's own.
function sshKeygen(): { type: string; key: string; fingerprint: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'quorum-keys-'));
  try {
    const file = path.join(dir, 'k');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
    const [type = '', key = ''] = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
    const fingerprint =
      execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(/\s+/)[1] ??
      '';
    return { type, key, fingerprint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const A = sshKeygen();
const B = sshKeygen();
const NOW = new Date('2026-12-02T03:00:00Z');
const HOUR = 3_600_000;
const opts = { user: 'quorum', key: { type: A.type, key: A.key }, now: NOW, ttlMs: 24 * HOUR, renewBeforeMs: 6 * HOUR };

describe('fingerprints and blobs', () => {
  it("computes OpenSSH's SHA256 fingerprint and reads the key type from the blob", () => {
    expect(sshFingerprint(A.key)).toBe(A.fingerprint);
    expect(keyTypeOfBlob(Buffer.from(A.key, 'base64'))).toBe('ssh-ed25519');
    expect(keyTypeOfBlob(Buffer.from('not a key'))).toBeNull();
  });
});

describe('ssh-keys lines', () => {
  it.each([
    [
      'alice:ssh-ed25519 AAAA alice@laptop',
      { user: 'alice', type: 'ssh-ed25519', key: 'AAAA', expireOn: null, googleForm: false },
    ],
    ['bob:ssh-rsa BBBB', { user: 'bob', type: 'ssh-rsa', key: 'BBBB', expireOn: null, googleForm: false }],
    [
      'carol:ssh-ed25519 CCCC google-ssh {"userName":"carol@example.com","expireOn":"2018-12-04T20:12:00+0000"}',
      { user: 'carol', type: 'ssh-ed25519', key: 'CCCC', expireOn: new Date('2018-12-04T20:12:00Z'), googleForm: true },
    ],
    [
      'dave:ssh-ed25519 DDDD google-ssh {"userName":"dave","expireOn":"2026-12-03T03:00:00Z"}',
      { expireOn: new Date('2026-12-03T03:00:00Z'), googleForm: true },
    ],
    ['# a comment', null],
    ['', null],
  ])('%s', (line, expected) => {
    const parsed = parseSshKeyLine(line);
    if (expected === null) expect(parsed).toBeNull();
    else expect(parsed).toMatchObject(expected);
  });

  it("writes Google's form with an RFC 3339 expiry that reads back", () => {
    const line = googleKeyLine('quorum', { type: A.type, key: A.key }, new Date('2026-12-03T03:00:00.123Z'));
    expect(line).toBe(`quorum:ssh-ed25519 ${A.key} google-ssh {"userName":"quorum","expireOn":"2026-12-03T03:00:00Z"}`);
    expect(parseSshKeyLine(line)?.expireOn?.toISOString()).toBe('2026-12-03T03:00:00.000Z');
  });
});

describe('planQuorumKey', () => {
  const ours = (expireOn: string) => googleKeyLine('quorum', { type: A.type, key: A.key }, new Date(expireOn));
  const others = [
    `alice:ssh-ed25519 ${B.key} alice@laptop`,
    `quorum:ssh-ed25519 ${B.key} someone else's valid key for the same user`,
    `bob:ssh-ed25519 ${B.key} google-ssh {"userName":"bob","expireOn":"2020-01-01T00:00:00Z"}`,
  ];

  it.each([
    { name: 'no ssh-keys item', current: undefined, write: true },
    { name: 'other keys only', current: others.join('\n'), write: true },
    { name: 'ours, valid for 20 h', current: [...others, ours('2026-12-02T23:00:00Z')].join('\n'), write: false },
    { name: 'ours, valid for 5 h (renew)', current: [...others, ours('2026-12-02T08:00:00Z')].join('\n'), write: true },
    { name: 'ours, expired', current: [ours('2026-12-01T00:00:00Z'), ...others].join('\n'), write: true },
    { name: 'ours without expiry', current: `quorum:ssh-ed25519 ${A.key}`, write: false },
  ])('$name: write $write', ({ current, write }) => {
    const plan = planQuorumKey(current, opts);
    expect(plan.write).toBe(write);
    if (!plan.write) return;
    const lines = plan.value.split('\n');
    // Every line of someone else is kept as it was, other users' expired ones included (not ours to judge).
    for (const line of (current ?? '').split('\n').filter((l) => l !== '' && !l.includes(A.key)))
      expect(lines).toContain(line);
    const mine = lines.filter((l) => l.includes(A.key));
    expect(mine).toEqual([ours('2026-12-03T03:00:00Z')]);
    expect(plan.expireOn.toISOString()).toBe('2026-12-03T03:00:00.000Z');
  });

  it("drops expired Google-form lines of Quorum's own user (an older Quorum key) when it writes", () => {
    const stale = `quorum:ssh-ed25519 ${B.key} google-ssh {"userName":"quorum","expireOn":"2026-11-30T00:00:00Z"}`;
    const plan = planQuorumKey([stale, 'alice:ssh-rsa AAAA'].join('\n'), opts);
    expect(plan.write && plan.value.split('\n')).toEqual(['alice:ssh-rsa AAAA', ours('2026-12-03T03:00:00Z')]);
  });
});

describe('OS Login', () => {
  it.each([
    [{}, null, false],
    [{ 'enable-oslogin': 'TRUE' }, null, true],
    [{}, { 'enable-oslogin': 'TRUE' }, true],
    [{}, { 'enable-oslogin': 'true' }, true],
    // The instance's value wins over the project's, as in the guest agent.
    [{ 'enable-oslogin': 'FALSE' }, { 'enable-oslogin': 'TRUE' }, false],
    [{ 'enable-oslogin': 'TRUE' }, { 'enable-oslogin': 'FALSE' }, true],
    [{ 'enable-oslogin': 'maybe' }, { 'enable-oslogin': '1' }, true],
  ])(
    'instance %j, project %j -> %s',
    (instance: Record<string, string>, project: Record<string, string> | null, enabled) => {
      expect(osLoginEnabled(instance, project)).toBe(enabled);
    },
  );
});

describe('host keys', () => {
  const a = { type: A.type, key: A.key };
  const b = { type: B.type, key: B.key };

  it('reads guest attributes hostkeys/<type> = blob, ignoring other namespaces and malformed values', () => {
    expect(
      publishedHostKeys([
        { namespace: 'hostkeys', key: 'ssh-ed25519', value: A.key },
        { namespace: 'hostkeys', key: 'ssh-rsa', value: A.key },
        { namespace: 'other', key: 'ssh-ed25519', value: B.key },
      ]),
    ).toEqual([a]);
  });

  it.each([
    { name: 'pinned, same key', presented: a, pinned: a, published: null, verdict: { ok: true, pin: null } },
    {
      name: 'pinned, other key',
      presented: b,
      pinned: a,
      published: [b],
      verdict: {
        ok: false,
        code: 'HostKeyChanged',
        pinnedFingerprint: A.fingerprint,
        presentedFingerprint: B.fingerprint,
      },
    },
    {
      name: 'published, matching',
      presented: a,
      pinned: null,
      published: [b, a],
      verdict: { ok: true, pin: { source: 'guest-attributes' } },
    },
    {
      name: 'published, not matching',
      presented: b,
      pinned: null,
      published: [a],
      verdict: { ok: false, code: 'HostKeyUnknown', presentedFingerprint: B.fingerprint },
    },
    {
      name: 'nothing known: first use',
      presented: b,
      pinned: null,
      published: [],
      verdict: { ok: true, pin: { source: 'first-use' } },
    },
  ])('$name', ({ presented, pinned, published, verdict }) => {
    expect(judgeHostKey(presented, pinned, published)).toEqual(verdict);
  });
});
