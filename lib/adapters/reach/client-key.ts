import 'server-only';
import { randomUUID } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import { sshFingerprint, type SshPublicKey } from './ssh-keys';

// Quorum's own SSH key: one ed25519 pair per data directory, made on first use and kept server-side only
// (it logs in to every master it manages). Never sent to a browser, never written to the store or a log.

export type ClientKey = {
  /** OpenSSH private key text, for ssh2's `privateKey`. */
  privateKey: string;
  publicKey: SshPublicKey;
  fingerprint: string;
  /** Where it lives (for operators who want `ssh -i`). */
  file: string;
};

export const CLIENT_KEY_FILE = 'id_ed25519';

/** `<dataDir>/ssh/`: created 0700 (tightened if it exists wider). */
export function sshDirIn(dataDir: string): string {
  const dir = path.join(dataDir, 'ssh');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

function readKey(file: string): ClientKey {
  const privateKey = readFileSync(file, 'utf8');
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error || !parsed.isPrivateKey()) {
    throw new Error(
      `${file} is not a readable SSH private key${parsed instanceof Error ? ` (${parsed.message})` : ''}`,
    );
  }
  const key = parsed.getPublicSSH().toString('base64');
  return { privateKey, publicKey: { type: parsed.type, key }, fingerprint: sshFingerprint(key), file };
}

/**
 * A new ed25519 pair that ssh2 reads back. ssh2's generator writes, about once in 500 keys, an OpenSSH private key
 * its own parser refuses ("Malformed OpenSSH private key", measured here: 4 in 2,000); such a key is thrown away
 * before it is ever written, rather than leaving a dashboard unable to read its own key.
 */
export function generateReadableKeyPair(attempts = 10): { private: string; public: string } {
  for (let i = 0; i < attempts; i++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'quorum' });
    const parsed = ssh2.utils.parseKey(pair.private);
    if (!(parsed instanceof Error) && parsed.isPrivateKey()) return pair;
  }
  throw new Error(`ssh2 made ${attempts} ed25519 keys in a row that it cannot read back`);
}

/**
 * Quorum's key pair in `<dataDir>/ssh/id_ed25519` (0600, with `.pub` beside it), generated the first time.
 * Processes starting together agree on one key: each writes a temporary file and links it into place, and
 * whoever loses the race reads the winner's.
 */
export function loadOrCreateClientKey(dataDir: string): ClientKey {
  const dir = sshDirIn(dataDir);
  const file = path.join(dir, CLIENT_KEY_FILE);
  try {
    const key = readKey(file);
    chmodSync(file, 0o600);
    return key;
  } catch (e) {
    if (!(e instanceof Error && 'code' in e && e.code === 'ENOENT')) throw e;
  }
  const pair = generateReadableKeyPair();
  const tmp = path.join(dir, `.${CLIENT_KEY_FILE}.${randomUUID()}`);
  writeFileSync(tmp, pair.private, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, file);
  } catch (e) {
    if (!(e instanceof Error && 'code' in e && e.code === 'EEXIST')) throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  const key = readKey(file);
  writeFileSync(`${file}.pub`, `${key.publicKey.type} ${key.publicKey.key} quorum\n`, { mode: 0o644 });
  return key;
}
