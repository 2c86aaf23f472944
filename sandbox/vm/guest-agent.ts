// The guest-agent stand-in of a sandbox VM: the accounts manager of Google's guest agent
// (google_guest_agent/non_windows_accounts.go) and its host-key publishing (instance_setup.go).
// Every ~500 ms it reads instance and project attributes; for each user with a valid key it creates the
// user (as `useradd -m -s /bin/bash` would), adds it to `google-sudoers`, and rewrites
// `~/.ssh/authorized_keys` with Google's keys under `# Added by Google`, the user's own lines kept.
// Users whose keys left the metadata lose Google's keys and the sudoers group, and keep their account.
//
// Inside a VM (`ip netns exec`), /etc/passwd and /etc/group are the VM's own files bind-mounted from
// /etc/netns/<ns>/, so they are rewritten in place (a rename would replace the host's file behind the
// mount, or fail with EBUSY); the agent refuses to edit an /etc file that is not such a mount.

import { chmod, chown, copyFile, mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { startSshd, type HostPublicKey, type Sshd } from './sshd';
import {
  desiredAccess,
  guestAttributesEnabled,
  ownAuthorizedKeys,
  renderAuthorizedKeys,
  type MetadataAttributes,
} from './ssh-keys';

export const SUDOERS_GROUP = 'google-sudoers';
/** cfg.go `groups`: added when they exist, as the agent's `addUserToGroup` ignores the others. */
const EXTRA_GROUPS = ['adm', 'dip', 'docker', 'lxd', 'plugdev', 'video'];
/** Far above the host's users (UID_MAX 60000) and its subordinate ids (up to 600100000). */
export const DEFAULT_ID_RANGE = { min: 1_500_000_000, max: 1_599_999_999 } as const;
const DEFAULT_POLL_MS = 500;
const MIN_PASS_GAP_MS = 50;

// ---- /etc/passwd and /etc/group, pure -------------------------------------------------------------

export type PasswdEntry = { name: string; uid: number; gid: number; home: string; shell: string };
export type GroupEntry = { name: string; gid: number; members: string[] };

function dataLines(text: string): string[] {
  // glibc skips blank lines and comments; so do we, and keep them when rewriting.
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of dataLines(text)) {
    const f = line.split(':');
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0] ?? '', uid, gid, home: f[5] ?? '', shell: f[6] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of dataLines(text)) {
    const f = line.split(':');
    if (f.length < 4) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({ name: f[0] ?? '', gid, members: (f[3] ?? '').split(',').filter((m) => m !== '') });
  }
  return out;
}

/** The lowest id in [min, max] that none of `used` takes. */
export function freeId(used: Iterable<number>, range: { min: number; max: number }): number {
  const taken = new Set(used);
  for (let id = range.min; id <= range.max; id += 1) if (!taken.has(id)) return id;
  throw new Error(`no free id left in ${range.min}-${range.max}`);
}

export function appendLine(text: string, line: string): string {
  return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`;
}

/** The group file with `user` added to or removed from `group`; every other line byte for byte. */
export function withGroupMember(text: string, group: string, user: string, member: boolean): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const f = (lines[i] ?? '').split(':');
    if (f.length < 4 || f[0] !== group) continue;
    const members = (f[3] ?? '').split(',').filter((m) => m !== '');
    const has = members.includes(user);
    if (has === member) return text;
    f[3] = (member ? [...members, user] : members.filter((m) => m !== user)).join(',');
    lines[i] = f.join(':');
    return lines.join('\n');
  }
  return text;
}

/**
 * Names `useradd` would take (shadow-utils' default check): a letter, digit, `_` or `.` first, then
 * letters, digits, `_`, `.`, `-`, an optional trailing `$`; not all digits; at most 32. The metadata
 * check is only "no whitespace"; the rest is what would make useradd fail on a real image.
 */
export function isValidPosixUserName(name: string): boolean {
  return (
    /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/.test(name) &&
    name.length <= 32 &&
    !/^\d+$/.test(name) &&
    name !== '.' &&
    name !== '..'
  );
}

// ---- metadata over HTTP ---------------------------------------------------------------------------

const attributeMap = z.record(z.string(), z.string());

export class MetadataHttpError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MetadataHttpError';
  }
}

/** How long one `wait_for_change` GET is held at most (the guest agent's own hang timeout is 60 s). */
const WATCH_TIMEOUT_SEC = 60;

export type MetadataAccess = {
  readAttributes(signal?: AbortSignal): Promise<MetadataAttributes>;
  /**
   * Holds `?wait_for_change=true&last_etag=…` GETs on both attribute maps, as the guest agent watches
   * metadata; true once either answer differs from the last read (or the hold times out). False at once
   * when the server gave no ETag on the last read or does not hold the request: the caller polls instead.
   */
  waitForChange(signal: AbortSignal): Promise<boolean>;
  /** `PUT instance/guest-attributes/<key>`, as the agent's WriteGuestAttributes. */
  writeGuestAttribute(key: string, value: string, signal?: AbortSignal): Promise<void>;
};

/**
 * Instance and project attributes from a metadata server (GCE's or the sandbox's), as JSON maps.
 * `metadataUrl` is the `.../computeMetadata/v1` base; inside a VM `http://169.254.169.254/computeMetadata/v1`
 * or `http://metadata.google.internal/computeMetadata/v1`.
 */
export function createMetadataAccess(opts: {
  metadataUrl: string;
  localAddress?: string;
  log?: (msg: string) => void;
}): MetadataAccess {
  const base = opts.metadataUrl.replace(/\/+$/, '');
  let projectMissingLogged = false;
  const etags: { instance?: string; project?: string } = {};
  const mapUrl = (dir: 'instance' | 'project') => `${base}/${dir}/attributes/?recursive=true&alt=json`;
  async function readMap(dir: 'instance' | 'project', signal?: AbortSignal): Promise<Record<string, string>> {
    const { status, body, etag } = await request('GET', mapUrl(dir), undefined, opts.localAddress, signal);
    etags[dir] = status === 200 ? etag : undefined;
    if (status === 404 && dir === 'project') {
      // A metadata server without project attributes: act as GCE does for a project without metadata.
      if (!projectMissingLogged)
        opts.log?.('guest-agent: the metadata server has no project attributes (404); reading none');
      projectMissingLogged = true;
      return {};
    }
    if (status !== 200)
      throw new MetadataHttpError(`GET ${dir}/attributes/: HTTP ${status} ${body.slice(0, 200)}`, status);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new MetadataHttpError(`GET ${dir}/attributes/: not JSON: ${body.slice(0, 100)}`);
    }
    const parsed = attributeMap.safeParse(json);
    if (!parsed.success) throw new MetadataHttpError(`GET ${dir}/attributes/: not a map of strings`);
    return parsed.data;
  }
  return {
    async readAttributes(signal) {
      const [instance, project] = await Promise.all([readMap('instance', signal), readMap('project', signal)]);
      return { instance, project };
    },
    async waitForChange(signal) {
      const { instance, project } = etags;
      if (!instance || !project) return false;
      const both = new AbortController();
      const stop = () => both.abort();
      signal.addEventListener('abort', stop);
      const watch = async (dir: 'instance' | 'project', etag: string): Promise<boolean> => {
        const url = `${mapUrl(dir)}&wait_for_change=true&last_etag=${encodeURIComponent(etag)}&timeout_sec=${WATCH_TIMEOUT_SEC}`;
        const started = Date.now();
        const answer = await request(
          'GET',
          url,
          undefined,
          opts.localAddress,
          both.signal,
          (WATCH_TIMEOUT_SEC + 10) * 1000,
        );
        // An unchanged answer at once means the server does not hold requests: polling it is.
        return answer.status === 200 && (answer.etag !== etag || Date.now() - started >= 1_000);
      };
      try {
        return await Promise.race([watch('instance', instance), watch('project', project)]);
      } catch {
        return false;
      } finally {
        signal.removeEventListener('abort', stop);
        both.abort();
      }
    },
    async writeGuestAttribute(key, value, signal) {
      const { status, body } = await request(
        'PUT',
        `${base}/instance/guest-attributes/${key}`,
        value,
        opts.localAddress,
        signal,
      );
      if (status < 200 || status > 299)
        throw new MetadataHttpError(`PUT guest-attributes/${key}: HTTP ${status} ${body.slice(0, 200)}`, status);
    },
  };
}

function request(
  method: 'GET' | 'PUT',
  url: string,
  body: string | undefined,
  localAddress: string | undefined,
  signal?: AbortSignal,
  timeoutMs = 5_000,
): Promise<{ status: number; body: string; etag?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        headers: {
          'Metadata-Flavor': 'Google',
          ...(body !== undefined ? { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) } : {}),
        },
        ...(localAddress ? { localAddress } : {}),
        timeout: timeoutMs,
        agent: false,
        ...(signal ? { signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > 1 << 20) req.destroy(new MetadataHttpError(`${method} ${url}: answer larger than 1 MiB`));
          else chunks.push(c);
        });
        res.on('error', reject);
        const etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(etag ? { etag } : {}),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new MetadataHttpError(`${method} ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

// ---- the agent ------------------------------------------------------------------------------------

export type GuestAgentOptions = {
  readAttributes: (signal?: AbortSignal) => Promise<MetadataAttributes>;
  /** Host keys to publish under `hostkeys/` when guest attributes are enabled; omitted: none. */
  hostKeys?: () => Promise<readonly HostPublicKey[]>;
  writeGuestAttribute?: (key: string, value: string, signal?: AbortSignal) => Promise<void>;
  /** Resolves true when metadata may have changed (a held `wait_for_change`), false when it cannot tell: then the agent polls. */
  waitForChange?: (signal: AbortSignal) => Promise<boolean>;
  /** Where passwd and group are; inside a VM `/etc` (bind-mounted from /etc/netns/<ns>/). */
  etcDir?: string;
  /** Homes are `<homeRoot>/<user>`; every component up to / must be root-owned and not group/world-writable (StrictModes). */
  homeRoot: string;
  /** The agent's own state (the list of users it manages, as /var/lib/google/google_users); on the VM's disk. */
  stateDir: string;
  idRange?: { min: number; max: number };
  pollMs?: number;
  log: (msg: string) => void;
  now?: () => Date;
};

export type GuestAgent = {
  /** One pass now (what the loop does every poll); resolves when it is done. */
  syncNow(): Promise<void>;
  stop(): Promise<void>;
};

export function startGuestAgent(opts: GuestAgentOptions): GuestAgent {
  const etcDir = opts.etcDir ?? '/etc';
  const passwdFile = path.join(etcDir, 'passwd');
  const groupFile = path.join(etcDir, 'group');
  const usersFile = path.join(opts.stateDir, 'google_users');
  const idRange = opts.idRange ?? DEFAULT_ID_RANGE;
  const now = opts.now ?? (() => new Date());
  const log = (msg: string) => opts.log(`guest-agent: ${msg}`);
  const abort = new AbortController();

  /** What was last written per user (the agent's `sshKeys` cache); empty at start, so every file is rewritten once. */
  const written = new Map<string, string[]>();
  let lastAttributes: MetadataAttributes | undefined;
  let nextExpiry: Date | undefined;
  let lastReadError = '';
  let lastRejected = '';
  let osLoginWas = false;
  let publishedHostKeys = false;
  let publishRefused = false;
  const complained = new Set<string>();
  let checkedEtc = false;
  // Passes run one after the other, whether the loop or syncNow asked for them.
  let chain: Promise<void> = Promise.resolve();
  function serial(): Promise<void> {
    const pass = chain.then(syncOnce);
    chain = pass.catch(() => undefined);
    return pass;
  }

  /** Logs a problem with one user once, not every 500 ms. */
  function complainOnce(key: string, msg: string): void {
    if (complained.has(key)) return;
    complained.add(key);
    log(msg);
  }

  async function assertVmOwnFiles(): Promise<void> {
    if (checkedEtc) return;
    await assertVmAccountFiles(etcDir);
    checkedEtc = true;
  }

  async function readUsersFile(): Promise<Set<string>> {
    const text = await readFile(usersFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    return new Set(text.split('\n').filter((u) => u !== ''));
  }

  async function writeUsersFile(users: Iterable<string>): Promise<void> {
    await mkdir(opts.stateDir, { recursive: true, mode: 0o755 });
    const temp = `${usersFile}.tmp`;
    await writeFile(
      temp,
      [...users]
        .sort()
        .map((u) => `${u}\n`)
        .join(''),
      { mode: 0o600 },
    );
    await rename(temp, usersFile);
  }

  async function ensureGroup(name: string): Promise<void> {
    const text = await readFile(groupFile, 'utf8');
    const groups = parseGroup(text);
    if (groups.some((g) => g.name === name)) return;
    // Never an id a user or a leftover home already has: user private groups share their user's id.
    const users = parsePasswd(await readFile(passwdFile, 'utf8'));
    const homes = await homeOwnersIn(opts.homeRoot);
    const gid = freeId([...groups.map((g) => g.gid), ...users.map((u) => u.uid), ...homes.values()], idRange);
    await writeInPlace(groupFile, appendLine(text, `${name}:x:${gid}:`));
    log(`created group ${name} (gid ${gid})`);
  }

  async function setMember(group: string, user: string, member: boolean): Promise<void> {
    const text = await readFile(groupFile, 'utf8');
    const next = withGroupMember(text, group, user, member);
    if (next !== text) await writeInPlace(groupFile, next);
  }

  /** `useradd -m -s /bin/bash -p '*'`: a user private group, a home from /etc/skel, then the agent's groups. */
  async function createUser(user: string): Promise<PasswdEntry> {
    const passwdText = await readFile(passwdFile, 'utf8');
    const groupText = await readFile(groupFile, 'utf8');
    const users = parsePasswd(passwdText);
    const groups = parseGroup(groupText);
    if (groups.some((g) => g.name === user)) throw new Error(`useradd: group ${user} exists`);
    const home = path.join(opts.homeRoot, user);
    const taken = new Set([...users.map((u) => u.uid), ...groups.map((g) => g.gid)]);
    // A home left on the VM's disk by an earlier boot keeps its owner, as the agent's reuse_homedir does,
    // so StrictModes still accepts it when the VM's passwd was seeded afresh; a new user never takes the
    // id of another user's leftover home.
    const homeOwners = await homeOwnersIn(opts.homeRoot);
    const previousOwner = homeOwners.get(user);
    const reuse =
      previousOwner !== undefined &&
      previousOwner >= idRange.min &&
      previousOwner <= idRange.max &&
      !taken.has(previousOwner);
    const id = reuse ? previousOwner : freeId([...taken, ...homeOwners.values()], idRange);
    await writeInPlace(groupFile, appendLine(groupText, `${user}:x:${id}:`));
    await writeInPlace(passwdFile, appendLine(passwdText, `${user}:*:${id}:${id}::${home}:/bin/bash`));
    const entry: PasswdEntry = { name: user, uid: id, gid: id, home, shell: '/bin/bash' };
    await ensureHome(entry);
    for (const group of EXTRA_GROUPS) await setMember(group, user, true);
    log(`created user ${user} (uid ${id}, home ${home})`);
    return entry;
  }

  async function ensureHome(user: PasswdEntry): Promise<void> {
    const existing = await stat(user.home).catch(() => undefined);
    if (existing) {
      if (existing.uid !== user.uid || (existing.mode & 0o022) !== 0) {
        complainOnce(
          `home-owner:${user.name}`,
          `home ${user.home} is not ${user.name}'s own 0700 directory; sshd (StrictModes) will refuse its keys`,
        );
      }
      return;
    }
    await mkdir(opts.homeRoot, { recursive: true, mode: 0o755 });
    await mkdir(user.home, { mode: 0o700 });
    for (const name of await readdir('/etc/skel').catch(() => [] as string[])) {
      const target = path.join(user.home, name);
      await copyFile(path.join('/etc/skel', name), target).catch(() => undefined);
      await chown(target, user.uid, user.gid).catch(() => undefined);
    }
    await chmod(user.home, 0o700);
    await chown(user.home, user.uid, user.gid);
  }

  /** updateAuthorizedKeysFile: ~/.ssh (0700) and authorized_keys (0600), owned by the user, replaced by rename. */
  async function writeAuthorizedKeys(user: PasswdEntry, keys: readonly string[]): Promise<void> {
    const sshDir = path.join(user.home, '.ssh');
    await mkdir(sshDir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    await chown(sshDir, user.uid, user.gid);
    const file = path.join(sshDir, 'authorized_keys');
    const current = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const temp = `${file}.google`;
    await writeFile(temp, renderAuthorizedKeys(ownAuthorizedKeys(current), keys), { mode: 0o600 });
    await chmod(temp, 0o600);
    await chown(temp, user.uid, user.gid);
    await rename(temp, file);
  }

  /** The user's entry, if its home is one the agent may write: the sandbox never writes outside the VM's disk. */
  function manageable(entry: PasswdEntry): boolean {
    const rel = path.relative(opts.homeRoot, entry.home);
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return true;
    complainOnce(
      `home:${entry.name}`,
      `not managing ${entry.name}: its home ${entry.home} is outside ${opts.homeRoot} (a host account)`,
    );
    return false;
  }

  async function publishHostKeys(attrs: MetadataAttributes): Promise<void> {
    const enabled = guestAttributesEnabled(attrs);
    if (!enabled) {
      // Published again if the setting is turned on again later.
      publishedHostKeys = false;
      publishRefused = false;
      return;
    }
    if (publishedHostKeys || publishRefused || !opts.hostKeys || !opts.writeGuestAttribute) return;
    const keys = await opts.hostKeys();
    for (const key of keys) {
      try {
        await opts.writeGuestAttribute(`hostkeys/${key.algorithm}`, key.base64, abort.signal);
      } catch (err) {
        const status = err instanceof MetadataHttpError ? err.status : undefined;
        if (status !== undefined && status >= 400 && status < 500) {
          // GCE answers 403/404 where guest attributes are off; retried only when the setting changes.
          log(`the metadata server refused guest attributes (HTTP ${status}); host keys not published`);
          publishRefused = true;
          return;
        }
        complainOnce(
          `publish:${errorText(err)}`,
          `publishing host key ${key.algorithm} failed, retrying every pass: ${errorText(err)}`,
        );
        return;
      }
    }
    publishedHostKeys = true;
    log(`published host keys as guest attributes: ${keys.map((k) => `hostkeys/${k.algorithm}`).join(', ')}`);
  }

  async function syncOnce(): Promise<void> {
    let attrs: MetadataAttributes;
    try {
      attrs = await opts.readAttributes(abort.signal);
      if (lastReadError) log('metadata server answers again');
      lastReadError = '';
      lastAttributes = attrs;
    } catch (err) {
      if (abort.signal.aborted) return;
      const text = errorText(err);
      if (text !== lastReadError)
        log(`reading metadata failed (keeping the last known keys, still expiring them): ${text}`);
      lastReadError = text;
      if (!lastAttributes) return;
      attrs = lastAttributes;
    }
    await assertVmOwnFiles();

    const access = desiredAccess(attrs, now());
    nextExpiry = access.nextExpiry;
    const rejected = access.rejected.map((r) => `${r.reason}: ${r.line.slice(0, 80)}`).join('\n');
    if (rejected !== lastRejected && rejected) log(`ignored ssh-keys lines:\n  ${rejected.replace(/\n/g, '\n  ')}`);
    lastRejected = rejected;
    if (access.osLogin !== osLoginWas)
      log(access.osLogin ? 'OS Login enabled: metadata keys ignored, Google keys removed' : 'OS Login disabled');
    osLoginWas = access.osLogin;

    await ensureGroup(SUDOERS_GROUP);
    const managed = await readUsersFile();
    const before = [...managed].sort().join(',');
    for (const [user, keys] of access.users) {
      if (!isValidPosixUserName(user)) {
        complainOnce(`name:${user}`, `not creating user ${JSON.stringify(user)}: useradd would refuse the name`);
        continue;
      }
      try {
        let entry = parsePasswd(await readFile(passwdFile, 'utf8')).find((u) => u.name === user);
        if (entry && !manageable(entry)) continue;
        if (!entry) entry = await createUser(user);
        // Ensured on every pass (a no-op when already a member): the VM's group file may have been seeded
        // afresh at boot while the list of managed users survived on the disk.
        await setMember(SUDOERS_GROUP, user, true);
        managed.add(user);
        const previous = written.get(user);
        if (previous && sameKeys(previous, keys)) continue;
        await ensureHome(entry);
        await writeAuthorizedKeys(entry, keys);
        written.set(user, [...keys]);
        log(`updated keys for ${user}: ${keys.length} Google key(s)`);
      } catch (err) {
        complainOnce(`err:${user}:${errorText(err)}`, `error managing ${user}: ${errorText(err)}`);
      }
    }
    for (const user of managed) {
      if (access.users.has(user)) continue;
      // removeGoogleUser without deprovision_remove: Google's keys and sudo go, the account stays.
      try {
        const entry = parsePasswd(await readFile(passwdFile, 'utf8')).find((u) => u.name === user);
        if (entry && manageable(entry)) await writeAuthorizedKeys(entry, []);
        await setMember(SUDOERS_GROUP, user, false);
        managed.delete(user);
        written.delete(user);
        log(
          `removed Google keys and sudo of ${user} (${access.osLogin ? 'OS Login is on' : 'no valid key of theirs in metadata'})`,
        );
      } catch (err) {
        complainOnce(`rm:${user}:${errorText(err)}`, `error removing ${user}: ${errorText(err)}`);
      }
    }
    if ([...managed].sort().join(',') !== before) await writeUsersFile(managed);
    await publishHostKeys(attrs);
  }

  const loop = (async () => {
    const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
    while (!abort.signal.aborted) {
      await serial().catch((err: unknown) => {
        const text = errorText(err);
        if (text !== lastReadError) log(`sync failed: ${text}`);
        lastReadError = text;
      });
      await pause(pollMs);
    }
  })();

  /** Until metadata changes (when the server can say so), the next key expires, or else one poll period. */
  async function pause(pollMs: number): Promise<void> {
    const begun = Date.now();
    const until = new AbortController();
    const onStop = () => until.abort();
    abort.signal.addEventListener('abort', onStop);
    try {
      let woken = false;
      if (opts.waitForChange) {
        const racers: Array<Promise<void>> = [
          opts.waitForChange(until.signal).then((changed) => void (woken = changed)),
        ];
        // A key's expiry changes what is wanted without any change to metadata.
        if (nextExpiry) {
          const ms = Math.max(0, nextExpiry.getTime() - now().getTime() + 1);
          racers.push(sleep(ms, undefined, { signal: until.signal }).then(() => void (woken = true)));
        }
        await Promise.race(racers).catch(() => undefined);
        until.abort();
      }
      // Polling, and a floor between passes should a server answer every watch at once.
      const rest = woken ? MIN_PASS_GAP_MS - (Date.now() - begun) : pollMs - (Date.now() - begun);
      if (rest > 0) await sleep(rest, undefined, { signal: abort.signal }).catch(() => undefined);
    } finally {
      abort.signal.removeEventListener('abort', onStop);
    }
  }

  return {
    syncNow: serial,
    async stop() {
      abort.abort();
      await loop;
    },
  };
}

/** Directory name -> owner uid of the homes under `homeRoot`. */
async function homeOwnersIn(homeRoot: string): Promise<Map<string, number>> {
  const owners = new Map<string, number>();
  for (const name of await readdir(homeRoot).catch(() => [] as string[])) {
    const owner = await stat(path.join(homeRoot, name)).then(
      (s) => s.uid,
      () => undefined,
    );
    if (owner !== undefined) owners.set(name, owner);
  }
  return owners;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Truncate-and-write on the same inode: the file may be a bind mount from /etc/netns/<ns>/. The new
 * text goes in first and the length is cut after, so a reader never sees an empty file.
 */
export async function writeInPlace(file: string, text: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const data = Buffer.from(text, 'utf8');
    await handle.write(data, 0, data.length, 0);
    await handle.truncate(data.length);
  } finally {
    await handle.close();
  }
}

// ---- what a VM process calls ---------------------------------------------------------------------

/**
 * Throws unless /etc/passwd and /etc/group are the VM's own (mount points: bind-mounted from
 * /etc/netns/<ns>/ by `ip netns exec`), so the agent can never edit the host's accounts.
 * Any other `etcDir` (a test's directory) is accepted as it is.
 */
export async function assertVmAccountFiles(etcDir = '/etc'): Promise<void> {
  if (etcDir !== '/etc') return;
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const mountPoints = new Set(mountinfo.split('\n').map((l) => l.split(' ')[4]));
  for (const file of ['/etc/passwd', '/etc/group']) {
    if (!mountPoints.has(file)) {
      throw new Error(
        `refusing to edit ${file}: it is the host's, not a VM file bind-mounted from /etc/netns/<ns>/ by ip netns exec`,
      );
    }
  }
}

/**
 * Seeds a VM's own account files in `/etc/netns/<ns>/` (run on the host, before `ip netns exec`): copies
 * of the host's passwd and group, so root and sshd's privilege-separation user exist inside the VM.
 * Rewritten in place when they exist, in case a VM process still has them bind-mounted.
 */
export async function seedVmAccountFiles(etcNetnsDir: string): Promise<void> {
  await mkdir(etcNetnsDir, { recursive: true, mode: 0o755 });
  for (const name of ['passwd', 'group']) {
    const text = await readFile(path.join('/etc', name), 'utf8');
    const target = path.join(etcNetnsDir, name);
    const exists = await stat(target).then(
      () => true,
      () => false,
    );
    if (exists) await writeInPlace(target, text);
    else await writeFile(target, text, { mode: 0o644 });
  }
}

export type VmSshAccess = {
  /** The host keys sshd serves (the same on every start from the same disk). */
  hostKeys: readonly HostPublicKey[];
  sshdRunning(): boolean;
  /** `systemctl stop ssh`, but open sessions are dropped too; the guest agent keeps running. */
  stopSshd(): Promise<void>;
  /** Starts sshd again on the same disk (same host keys); a no-op when it runs. */
  startSshd(): Promise<void>;
  /** Stops the guest agent and sshd. */
  stop(): Promise<void>;
};

/**
 * SSH into a sandbox VM as on a Compute Engine image: sshd on :22 and the guest agent. Call it inside
 * the VM's namespaces (after `ip netns exec <ns>`, with /etc/passwd and /etc/group bind-mounted from
 * files `seedVmAccountFiles` wrote). On the VM's disk: `<diskDir>/ssh` (host keys, made at first boot),
 * `<diskDir>/run/sshd` (sshd_config, pid file), `<diskDir>/guest-agent` (the users it manages).
 * Throws when sshd cannot start; the caller marks the VM failed.
 */
export async function startVmSshAccess(opts: {
  diskDir: string;
  /** `/var/lib/quorum-sandbox/n<net>/<instance>/home`: not under /tmp (StrictModes checks every parent). */
  homeRoot: string;
  /** `http://169.254.169.254/computeMetadata/v1` inside a VM. */
  metadataUrl: string;
  localAddress?: string;
  log: (msg: string) => void;
  idRange?: { min: number; max: number };
  pollMs?: number;
}): Promise<VmSshAccess> {
  // Before anything starts: a VM without its own account files fails visibly instead of editing the host's.
  await assertVmAccountFiles();
  const sshdPaths = {
    hostKeyDir: path.join(opts.diskDir, 'ssh'),
    runDir: path.join(opts.diskDir, 'run', 'sshd'),
    log: opts.log,
  };
  let sshd: Sshd | undefined = await startSshd(sshdPaths);
  const hostKeys = sshd.hostKeys;
  const metadata = createMetadataAccess({
    metadataUrl: opts.metadataUrl,
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    log: opts.log,
  });
  const agent = startGuestAgent({
    readAttributes: metadata.readAttributes,
    writeGuestAttribute: metadata.writeGuestAttribute,
    waitForChange: metadata.waitForChange,
    hostKeys: async () => hostKeys,
    homeRoot: opts.homeRoot,
    stateDir: path.join(opts.diskDir, 'guest-agent'),
    log: opts.log,
    ...(opts.idRange ? { idRange: opts.idRange } : {}),
    ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
  });
  let exited = false;
  const watch = (d: Sshd) =>
    void d.exited.then(() => {
      if (sshd === d) exited = true;
    });
  watch(sshd);
  return {
    hostKeys,
    sshdRunning: () => sshd !== undefined && !exited,
    async stopSshd() {
      const current = sshd;
      sshd = undefined;
      await current?.stop();
    },
    async startSshd() {
      if (sshd && !exited) return;
      sshd = await startSshd(sshdPaths);
      exited = false;
      watch(sshd);
    },
    async stop() {
      await agent.stop();
      const current = sshd;
      sshd = undefined;
      await current?.stop();
    },
  };
}
