// Quorum's own words for why the way into a replica failed (the reach's "no access (why)", a forward refused): one
// table of sentences. The SSH adapters build their English from it (reachWhyText), and the console reads a reason
// back (reachWhyOf) to say it in the reader's language (`common.reachWhy.<key>`): the reason travels as a string in
// observations, findings and refusals (`noaccess: [<code>] <why>`, lib/core/probe-errors.ts), so the sentence is
// its own record. What a sentence quotes ({error}: ssh2's, Node's or Compute Engine's own message) stays as it came.

const SENTENCES = {
  // The SSH connection (lib/adapters/reach/ssh-reach.ts).
  noAddress: 'the instance has no {kind} IP to reach port 22 on (QUORUM_SSH_ADDRESS={kind})',
  noAnswer: 'no SSH answer from {address} within {ms} ms',
  portUnreachable: 'port 22 of {address} cannot be reached ({code})',
  keyRefused: "sshd at {address} refused Quorum's key ({error})",
  closedBeforeKeyExchange: 'connection to {address}:{port} closed before the key exchange',
  closedBeforeLogin: 'connection to {address}:{port} closed before login',
  notStarted: 'could not start an SSH connection: {error}',
  sshFailed: 'SSH to {address} failed: {error}',
  connectionFailed: 'SSH connection failed: {error}',
  connectionLost: 'SSH connection lost: {error}',
  closedByPeer: 'SSH connection closed by the replica or the network',
  reachClosed: 'the reach to this replica was closed',
  // The host key.
  noHostKey: 'no host key was presented',
  hostKeysUnread: "could not read the instance's published host keys: {error}",
  hostKeyChanged: 'the host key changed: {pinned} was pinned, {presented} is presented now; refused',
  hostKeyNotPublished: 'the host key {presented} is not one the instance published in its guest attributes; refused',
  pinnedTypeGone: 'the host no longer offers its pinned {type} key ({pinned}); refused',
  notPinned: 'could not pin the host key: {error}',
  // A forward (an SSH channel to 127.0.0.1:<port> of the replica).
  channelTimeout: 'sshd did not answer a channel open within {ms} ms',
  channelLost: 'SSH connection lost while opening a channel: {error}',
  forwardingRefused: 'sshd refused to forward to 127.0.0.1:{port}: {error}',
  serviceDown: 'nothing accepts on 127.0.0.1:{port} of the replica (SSH: connect failed)',
  // Quorum's key in the instance's metadata (lib/adapters/reach/key-publisher.ts).
  metadataUnread: "could not read the metadata to publish Quorum's SSH key: {error}",
  instanceGone: 'the instance no longer exists',
  osLogin:
    'Quorum does not support OS Login yet: enable-oslogin is TRUE for this instance (or its project), so metadata SSH keys are ignored there',
  noFingerprint: 'Compute Engine gave no metadata fingerprint to write against',
  keyNotPublished: "Compute Engine refused to publish Quorum's SSH key: {error}",
} as const;

type Sentences = typeof SENTENCES;
export type ReachWhyKey = keyof Sentences;
export const REACH_WHY_KEYS = Object.keys(SENTENCES) as ReachWhyKey[];

/** The `{name}`s of a sentence. */
type ParamsOf<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | ParamsOf<Rest> : never;
export type ReachWhyParams<K extends ReachWhyKey> = Record<ParamsOf<Sentences[K]>, string | number>;

export type ReachWhy = { key: ReachWhyKey; params: Readonly<Record<string, string>> };

const PLACEHOLDER = /\{(\w+)\}/g;

/** The sentence `key` in English with its params (none for a sentence without any): the words the adapters write. */
export function reachWhyText<K extends ReachWhyKey>(
  key: K,
  ...[params]: [ParamsOf<Sentences[K]>] extends [never] ? [] : [ReachWhyParams<K>]
): string {
  const values: Record<string, string | number> = params ?? {};
  return SENTENCES[key].replace(PLACEHOLDER, (_, name: string) => String(values[name]));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Each sentence as a pattern that reads its params back (a name used twice must match the same text). */
const PATTERNS: ReadonlyArray<{ key: ReachWhyKey; re: RegExp; names: string[] }> = REACH_WHY_KEYS.map((key) => {
  const names: string[] = [];
  const source = SENTENCES[key]
    .split(PLACEHOLDER)
    .map((part, i) => {
      if (i % 2 === 0) return escape(part);
      if (names.includes(part)) return `\\k<${part}>`;
      names.push(part);
      return `(?<${part}>[\\s\\S]+?)`;
    })
    .join('');
  return { key, re: new RegExp(`^${source}$`), names };
});

/** Which sentence `reason` is, with its params; null when it is none of them (a message that came as it is). */
export function reachWhyOf(reason: string): ReachWhy | null {
  for (const { key, re, names } of PATTERNS) {
    const m = re.exec(reason);
    if (m) return { key, params: Object.fromEntries(names.map((n) => [n, m.groups?.[n] ?? ''])) };
  }
  return null;
}
