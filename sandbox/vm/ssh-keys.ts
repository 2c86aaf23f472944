// Which users may log in with which keys, read from metadata the way Google's guest agent reads it
// (GoogleCloudPlatform/guest-agent: metadata/metadata.go `Attributes.UnmarshalJSON`, utils/ssh.go,
// google_guest_agent/non_windows_accounts.go `getUserKeys`, oslogin.go `getOSLoginEnabled`).
// Pure: the agent loop in guest-agent.ts does the I/O.

export type MetadataAttributes = {
  instance: Readonly<Record<string, string>>;
  project: Readonly<Record<string, string>>;
};

/** Go's strconv.ParseBool, which the agent applies to every boolean attribute; anything else is "not set". */
export function parseGoBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** A boolean the instance value overrides when it parses, as `getOSLoginEnabled` reads them. */
function instanceOverProject(attrs: MetadataAttributes, key: string): boolean {
  return parseGoBool(attrs.instance[key]) ?? parseGoBool(attrs.project[key]) ?? false;
}

export const osLoginEnabled = (attrs: MetadataAttributes): boolean => instanceOverProject(attrs, 'enable-oslogin');
export const guestAttributesEnabled = (attrs: MetadataAttributes): boolean =>
  instanceOverProject(attrs, 'enable-guest-attributes');

/** The lines of `ssh-keys` plus the legacy `sshKeys`, and whether project keys are blocked, of one level. */
function keyLines(attributes: Readonly<Record<string, string>>): { lines: string[]; blockProjectKeys: boolean } {
  const lines: string[] = [];
  let blockProjectKeys = parseGoBool(attributes['block-project-ssh-keys']) ?? false;
  const current = attributes['ssh-keys'];
  if (current) lines.push(...current.split('\n'));
  const legacy = attributes['sshKeys'];
  if (legacy) {
    // The agent treats a legacy `sshKeys` item as blocking project keys (metadata.go).
    blockProjectKeys = true;
    lines.push(...legacy.split('\n'));
  }
  return { lines, blockProjectKeys };
}

export type KeyLine =
  { ok: true; user: string; key: string; expireOn?: Date } | { ok: false; line: string; reason: string };

/** One `user:key` line; `key` is what goes into authorized_keys (Google's comment included). */
export function parseKeyLine(raw: string, now: Date): KeyLine {
  const line = trimSpaces(raw);
  const bad = (reason: string): KeyLine => ({ ok: false, line, reason });
  if (line === '') return bad('empty key');
  const colon = line.indexOf(':');
  if (colon === -1) return bad('unrecognized format, expecting user:ssh-key');
  const user = line.slice(0, colon);
  const key = line.slice(colon + 1);
  if (user === '') return bad('user missing');
  if (key === '') return bad('key missing');
  if (/\s/.test(user)) return bad('invalid username: whitespace');
  const parsed = parseAuthorizedKey(key);
  if (!parsed.ok) return bad(parsed.reason);
  if (!parsed.comment.startsWith('google-ssh')) return { ok: true, user, key };
  const expiry = parseGoogleSshExpiry(parsed.comment);
  if (!expiry.ok) return bad(expiry.reason);
  if (expiry.expireOn.getTime() < now.getTime()) return bad(`expired on ${expiry.expireOn.toISOString()}`);
  return { ok: true, user, key, expireOn: expiry.expireOn };
}

/** Go's strings.Trim(s, " "): spaces only, not tabs or newlines. */
function trimSpaces(s: string): string {
  return s.replace(/^ +| +$/g, '');
}

function parseGoogleSshExpiry(comment: string): { ok: true; expireOn: Date } | { ok: false; reason: string } {
  const space = comment.indexOf(' ');
  if (space === -1) return { ok: false, reason: 'google-ssh key without expiration' };
  let value: unknown;
  try {
    value = JSON.parse(comment.slice(space + 1));
  } catch {
    return { ok: false, reason: 'google-ssh expiration is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'google-ssh expiration is not a JSON object' };
  }
  // Go's encoding/json matches field names case-insensitively; the last match wins.
  let expireOn: unknown = '';
  for (const [k, v] of Object.entries(value)) if (k.toLowerCase() === 'expireon') expireOn = v;
  if (typeof expireOn !== 'string') return { ok: false, reason: 'google-ssh expireOn is not a string' };
  const when = parseGoTime(expireOn);
  return when ? { ok: true, expireOn: when } : { ok: false, reason: `bad expireOn ${JSON.stringify(expireOn)}` };
}

/** time.RFC3339, else "2006-01-02T15:04:05-0700", the two layouts utils.CheckExpired accepts. */
export function parseGoTime(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2}|[+-]\d{4})$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const num = (v: string | undefined) => Number(v ?? 'NaN');
  const [year, month, day, hour, minute, second] = [num(y), num(mo), num(d), num(h), num(mi), num(s)];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  let offsetMin = 0;
  if (zone && zone !== 'Z') {
    const digits = zone.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (digits.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000);
}

const PLAIN_KEY_TYPES = new Set([
  'ssh-rsa',
  'ssh-dss',
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ssh-ed25519@openssh.com',
]);

/**
 * An authorized_keys entry, `[options] type base64 [comment]`, checked as x/crypto/ssh's
 * ParseAuthorizedKey checks it: the blob must decode and parse as a public key of the named type.
 */
export function parseAuthorizedKey(
  entry: string,
): { ok: true; type: string; comment: string } | { ok: false; reason: string } {
  const text = entry.trim();
  const first = /^\S+/.exec(text)?.[0] ?? '';
  // With options the key type is not the first token; options may hold quoted spaces.
  const rest = PLAIN_KEY_TYPES.has(first) ? text : text.slice(optionsLength(text)).trimStart();
  const m = /^(\S+)[ \t]+(\S+)(?:[ \t]+([\s\S]*))?$/.exec(rest);
  if (!m?.[1] || !m[2])
    return { ok: false, reason: `not an SSH public key (unsupported key type ${JSON.stringify(first.slice(0, 40))}?)` };
  const type = m[1];
  if (!PLAIN_KEY_TYPES.has(type))
    return { ok: false, reason: `unsupported key type ${JSON.stringify(type.slice(0, 40))}` };
  const blobError = checkKeyBlob(type, m[2]);
  if (blobError) return { ok: false, reason: blobError };
  return { ok: true, type, comment: (m[3] ?? '').trim() };
}

function optionsLength(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '\\' && quoted) i += 1;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t')) return i;
  }
  return text.length;
}

function checkKeyBlob(type: string, base64: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) return 'key is not valid base64';
  const blob = Buffer.from(base64, 'base64');
  let offset = 0;
  const readString = (): Buffer | undefined => {
    if (offset + 4 > blob.length) return undefined;
    const len = blob.readUInt32BE(offset);
    if (offset + 4 + len > blob.length) return undefined;
    const out = blob.subarray(offset + 4, offset + 4 + len);
    offset += 4 + len;
    return out;
  };
  const algo = readString()?.toString('latin1');
  if (algo !== type)
    return `key blob is ${algo === undefined ? 'truncated' : `of type ${JSON.stringify(algo.slice(0, 40))}`}, not ${type}`;
  const fields: Record<string, number> = {
    'ssh-rsa': 2,
    'ssh-dss': 4,
    'ssh-ed25519': 1,
    'ecdsa-sha2-nistp256': 2,
    'ecdsa-sha2-nistp384': 2,
    'ecdsa-sha2-nistp521': 2,
    'sk-ecdsa-sha2-nistp256@openssh.com': 3,
    'sk-ssh-ed25519@openssh.com': 2,
  };
  const parts: Buffer[] = [];
  for (let i = 0; i < (fields[type] ?? 0); i += 1) {
    const part = readString();
    if (!part) return 'key blob is truncated';
    parts.push(part);
  }
  if (offset !== blob.length) return 'key blob has trailing bytes';
  if (type.includes('ed25519') && parts[0]?.length !== 32) return 'ed25519 key is not 32 bytes';
  if (type.startsWith('ecdsa-') || type.startsWith('sk-ecdsa-')) {
    const curve = type
      .replace(/^sk-/, '')
      .replace(/@openssh\.com$/, '')
      .replace('ecdsa-sha2-', '');
    if (parts[0]?.toString('latin1') !== curve) return 'ecdsa curve does not match the key type';
  }
  return undefined;
}

export type DesiredAccess = {
  /** OS Login on: no metadata key counts, and Google's keys already on disk are removed. */
  osLogin: boolean;
  blockProjectKeys: boolean;
  /** User -> keys (authorized_keys entries), instance keys first; only users with at least one valid key. */
  users: Map<string, string[]>;
  rejected: Array<{ line: string; reason: string }>;
  /** The earliest expireOn among the accepted keys, when the answer will next change by itself. */
  nextExpiry?: Date;
};

/** What the accounts manager would set up for these attributes at `now`. */
export function desiredAccess(attrs: MetadataAttributes, now: Date): DesiredAccess {
  const osLogin = osLoginEnabled(attrs);
  const instance = keyLines(attrs.instance);
  const result: DesiredAccess = {
    osLogin,
    blockProjectKeys: instance.blockProjectKeys,
    users: new Map(),
    rejected: [],
  };
  // The accounts manager is disabled under OS Login and the keys it installed are cleared (oslogin.go).
  if (osLogin) return result;
  const lines = instance.blockProjectKeys ? instance.lines : [...instance.lines, ...keyLines(attrs.project).lines];
  for (const raw of lines) {
    if (trimSpaces(raw) === '') continue;
    const parsed = parseKeyLine(raw, now);
    if (!parsed.ok) {
      result.rejected.push({ line: parsed.line, reason: parsed.reason });
      continue;
    }
    const keys = result.users.get(parsed.user) ?? [];
    keys.push(parsed.key);
    result.users.set(parsed.user, keys);
    if (parsed.expireOn && (!result.nextExpiry || parsed.expireOn < result.nextExpiry))
      result.nextExpiry = parsed.expireOn;
  }
  return result;
}

export const GOOGLE_KEY_MARK = '# Added by Google';

/** The lines of an authorized_keys file that are the user's own: every line except Google's marked ones. */
export function ownAuthorizedKeys(text: string): string[] {
  const own: string[] = [];
  let nextIsGoogle = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (nextIsGoogle) {
      nextIsGoogle = false;
      continue;
    }
    if (line === GOOGLE_KEY_MARK) {
      nextIsGoogle = true;
      continue;
    }
    own.push(line);
  }
  return own;
}

/** The file as updateAuthorizedKeysFile writes it: the user's lines, then each Google key under its mark. */
export function renderAuthorizedKeys(own: readonly string[], googleKeys: readonly string[]): string {
  return [...own.map((l) => `${l}\n`), ...googleKeys.map((k) => `${GOOGLE_KEY_MARK}\n${k}\n`)].join('');
}
