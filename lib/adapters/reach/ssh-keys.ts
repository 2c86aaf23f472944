// Metadata `ssh-keys` and host keys as Compute Engine and its guest agent read them
// (reference/kube-up-wire.md "Getting in"). Pure: no I/O, so the rules are unit-tested by table.
import { createHash } from 'node:crypto';

/** An SSH public key: its type (`ssh-ed25519`) and blob (base64, the second field of a `.pub` line). */
export type SshPublicKey = { type: string; key: string };

/** `SHA256:<base64 without padding>` of a key blob, as OpenSSH prints fingerprints. */
export function sshFingerprint(blobBase64: string): string {
  const digest = createHash('sha256').update(Buffer.from(blobBase64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/**
 * The key type a public key blob names (its first field: uint32 length + ASCII name), or null when the blob
 * is not an SSH public key.
 */
export function keyTypeOfBlob(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return null;
  const type = blob.subarray(4, 4 + len).toString('latin1');
  return /^[a-z0-9@.-]+$/.test(type) ? type : null;
}

/** One line of `ssh-keys`: `user:type key [comment]`; Google's form has `google-ssh {json}` as comment. */
export type SshKeyLine = {
  user: string;
  type: string;
  key: string;
  /** expireOn of Google's form; null when the line has none (a key valid until removed). */
  expireOn: Date | null;
  /** The line carries Google's `google-ssh {...}` comment. */
  googleForm: boolean;
};

/** RFC 3339 (`Z` or `+00:00`) and gcloud's `+0000`; null when unreadable. */
function parseExpireOn(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const normalized = value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
  const ms = Date.parse(normalized);
  return Number.isNaN(ms) ? null : new Date(ms);
}

export function parseSshKeyLine(line: string): SshKeyLine | null {
  const m = /^([^:\s]+):(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line.trim());
  if (!m) return null;
  const [, user = '', type = '', key = '', comment = ''] = m;
  const google = /^google-ssh\s+(\{.*\})\s*$/.exec(comment);
  if (!google) return { user, type, key, expireOn: null, googleForm: false };
  let expireOn: Date | null = null;
  try {
    const json: unknown = JSON.parse(google[1] ?? '');
    if (typeof json === 'object' && json !== null && 'expireOn' in json) expireOn = parseExpireOn(json.expireOn);
  } catch {
    // An unreadable comment leaves the key without expiry, as the guest agent treats it.
  }
  return { user, type, key, expireOn, googleForm: true };
}

/** RFC 3339 in UTC, to the second. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `<user>:<type> <key> google-ssh {"userName":"<user>","expireOn":"<RFC 3339>"}`, as gcloud writes it. */
export function googleKeyLine(user: string, key: SshPublicKey, expireOn: Date): string {
  return `${user}:${key.type} ${key.key} google-ssh ${JSON.stringify({ userName: user, expireOn: rfc3339(expireOn) })}`;
}

export type KeyPlan =
  /** Quorum's key is there and valid for long enough: nothing to write. */
  | { write: false; expireOn: Date | null }
  /** The new `ssh-keys` value: every other line kept, Quorum's old and expired lines replaced by one fresh line. */
  | { write: true; value: string; expireOn: Date };

/**
 * What `ssh-keys` should become so that `user` logs in with `key` until at least `now + renewBeforeMs`.
 * Lines of other users, and other keys of `user` that are still valid, are kept as they are (someone else's
 * access); only lines of `user` with Quorum's key, and expired Google-form lines of `user`, are replaced.
 */
export function planQuorumKey(
  current: string | undefined,
  opts: { user: string; key: SshPublicKey; now: Date; ttlMs: number; renewBeforeMs: number },
): KeyPlan {
  const now = opts.now.getTime();
  const kept: string[] = [];
  // Longest validity among Quorum's own lines (several after a crash between two writes); -1: none.
  let oursValidFor = -1;
  let oursExpireOn: Date | null = null;
  for (const line of (current ?? '').split('\n')) {
    const parsed = parseSshKeyLine(line);
    const isUser = parsed !== null && parsed.user === opts.user;
    if (isUser && parsed.type === opts.key.type && parsed.key === opts.key.key) {
      const validFor = parsed.expireOn === null ? Number.POSITIVE_INFINITY : parsed.expireOn.getTime() - now;
      if (validFor > oursValidFor) {
        oursValidFor = validFor;
        oursExpireOn = parsed.expireOn;
      }
      continue;
    }
    // Expired Google-form lines of Quorum's user are dead anyway (the guest agent drops them): cleaned up.
    if (isUser && parsed.googleForm && parsed.expireOn !== null && parsed.expireOn.getTime() <= now) continue;
    if (line.trim() !== '') kept.push(line);
  }
  if (oursValidFor > opts.renewBeforeMs) return { write: false, expireOn: oursExpireOn };
  const expireOn = new Date(now + opts.ttlMs);
  return { write: true, value: [...kept, googleKeyLine(opts.user, opts.key, expireOn)].join('\n'), expireOn };
}

/** The guest agent's reading of a boolean attribute (Go's strconv.ParseBool); null when unset or unreadable. */
export function metadataBool(value: string | undefined): boolean | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return null;
}

/** OS Login as the guest agent decides it: the instance's `enable-oslogin` wins over the project's. */
export function osLoginEnabled(instance: Record<string, string>, project: Record<string, string> | null): boolean {
  return metadataBool(instance['enable-oslogin']) ?? metadataBool(project?.['enable-oslogin']) ?? false;
}

/** The SSH host key algorithms (ssh2 names) that present a key of this type. */
export function hostKeyAlgorithmsFor(type: string): string[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  if (['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'].includes(type))
    return [type];
  return [];
}

/** Guest attribute `hostkeys/<type>` = the blob (the guest agent writes the `.pub` line's second field). */
export function publishedHostKeys(
  attrs: ReadonlyArray<{ namespace: string; key: string; value: string }>,
): SshPublicKey[] {
  return attrs
    .filter((a) => a.namespace === 'hostkeys')
    .map((a) => {
      // Tolerate a whole `.pub` line too: its second field is the blob.
      const fields = a.value.trim().split(/\s+/);
      const key = fields.length >= 2 && fields[0] === a.key ? (fields[1] ?? '') : (fields[0] ?? '');
      return { type: a.key, key };
    })
    .filter((k) => k.key !== '' && keyTypeOfBlob(Buffer.from(k.key, 'base64')) === k.type);
}

export type HostKeyVerdict =
  | { ok: true; pin: { source: 'guest-attributes' | 'first-use' } | null }
  | { ok: false; code: 'HostKeyChanged' | 'HostKeyUnknown'; pinnedFingerprint?: string; presentedFingerprint: string };

/**
 * Whether to accept the host key sshd presented: the pinned key when there is one; else one of the keys
 * the instance published in guest attributes when it published any; else the first key seen (to be pinned).
 */
export function judgeHostKey(
  presented: SshPublicKey,
  pinned: SshPublicKey | null,
  published: SshPublicKey[] | null,
): HostKeyVerdict {
  const presentedFingerprint = sshFingerprint(presented.key);
  if (pinned !== null) {
    if (pinned.type === presented.type && pinned.key === presented.key) return { ok: true, pin: null };
    return { ok: false, code: 'HostKeyChanged', pinnedFingerprint: sshFingerprint(pinned.key), presentedFingerprint };
  }
  if (published !== null && published.length > 0) {
    if (published.some((k) => k.type === presented.type && k.key === presented.key))
      return { ok: true, pin: { source: 'guest-attributes' } };
    return { ok: false, code: 'HostKeyUnknown', presentedFingerprint };
  }
  return { ok: true, pin: { source: 'first-use' } };
}
