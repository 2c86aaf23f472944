// A reason of every sentence in lib/core/reach-why.ts, with params as the SSH adapters give them: for the core's
// round-trip test and the catalog's (tests/unit/catalog-words.test.ts).
import { REACH_WHY_KEYS, reachWhyText, type ReachWhyKey, type ReachWhyParams } from '../reach-why';

const PINNED = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
const PRESENTED = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';

const PARAMS: { [K in ReachWhyKey]: ReachWhyParams<K> } = {
  noAddress: { kind: 'external' },
  noAnswer: { address: '198.18.0.5', ms: 3000 },
  portUnreachable: { address: '198.18.0.5', code: 'ECONNREFUSED' },
  keyRefused: { address: '198.18.0.5', error: 'All configured authentication methods failed' },
  closedBeforeKeyExchange: { address: '198.18.0.5', port: 22 },
  closedBeforeLogin: { address: '198.18.0.5', port: 22 },
  notStarted: { error: 'Cannot parse privateKey: Unsupported key format' },
  sshFailed: { address: '198.18.0.5', error: 'Handshake failed: no matching key exchange algorithm' },
  connectionFailed: { error: 'read ECONNRESET' },
  connectionLost: { error: 'Not connected' },
  closedByPeer: {},
  reachClosed: {},
  noHostKey: {},
  hostKeysUnread: { error: 'The resource projects/lab/zones/europe-west1-b/instances/prod-master was not found' },
  hostKeyChanged: { pinned: PINNED, presented: PRESENTED },
  hostKeyNotPublished: { presented: PRESENTED },
  pinnedTypeGone: { type: 'ssh-ed25519', pinned: PINNED },
  notPinned: { error: 'SQLITE_BUSY: database is locked' },
  channelTimeout: { ms: 3000 },
  channelLost: { error: 'No response from server' },
  forwardingRefused: { port: 2379, error: '(SSH) Channel open failure: administratively prohibited' },
  serviceDown: { port: 4002 },
  metadataUnread: { error: 'Compute Engine did not answer within 5000 ms' },
  instanceGone: {},
  osLogin: {},
  noFingerprint: {},
  keyNotPublished: { error: 'Required compute.instances.setMetadata permission for projects/lab' },
};

export type ReachWhyCase = { key: ReachWhyKey; params: Readonly<Record<string, string>>; text: string };

/** One reason per sentence: its key, its params as strings (as they are read back), and its English. */
export const REACH_WHY_CASES: readonly ReachWhyCase[] = REACH_WHY_KEYS.map((key) => {
  const params: Record<string, string | number> = PARAMS[key];
  return {
    key,
    params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
    text: (reachWhyText as (k: ReachWhyKey, p: Record<string, string | number>) => string)(key, params),
  };
});
