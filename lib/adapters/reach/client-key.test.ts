import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import { generateReadableKeyPair, loadOrCreateClientKey } from './client-key';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'quorum-client-key-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe('loadOrCreateClientKey', () => {
  it('makes one ed25519 key, owner-only, that OpenSSH reads, and returns the same key afterwards', () => {
    const key = loadOrCreateClientKey(dataDir);
    expect(key.publicKey.type).toBe('ssh-ed25519');
    expect(mode(path.join(dataDir, 'ssh'))).toBe('700');
    expect(mode(key.file)).toBe('600');
    // ssh-keygen derives the same public key from the private key file, and prints the same fingerprint.
    const derived = execFileSync('ssh-keygen', ['-y', '-f', key.file], { encoding: 'utf8' }).trim().split(/\s+/);
    expect(derived.slice(0, 2)).toEqual([key.publicKey.type, key.publicKey.key]);
    const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${key.file}.pub`], { encoding: 'utf8' });
    expect(printed).toContain(key.fingerprint);

    const again = loadOrCreateClientKey(dataDir);
    expect(again.publicKey).toEqual(key.publicKey);
    expect(readFileSync(key.file, 'utf8')).toBe(key.privateKey);
  });

  it('tightens a directory and key file left readable by others', () => {
    const first = loadOrCreateClientKey(dataDir);
    chmodSync(path.join(dataDir, 'ssh'), 0o755);
    chmodSync(first.file, 0o644);
    loadOrCreateClientKey(dataDir);
    expect(mode(path.join(dataDir, 'ssh'))).toBe('700');
    expect(mode(first.file)).toBe('600');
  });

  it('refuses a key file it cannot read as a private key instead of replacing it', () => {
    mkdirSync(path.join(dataDir, 'ssh'), { recursive: true });
    execFileSync('sh', ['-c', `echo garbage > ${path.join(dataDir, 'ssh', 'id_ed25519')}`]);
    expect(() => loadOrCreateClientKey(dataDir)).toThrow(/not a readable SSH private key/);
  });
});

describe('generateReadableKeyPair', () => {
  it('gives only keys ssh2 reads back (its generator makes an unreadable one about once in 500)', () => {
    for (let i = 0; i < 3_000; i++) {
      const parsed = ssh2.utils.parseKey(generateReadableKeyPair().private);
      expect(parsed instanceof Error ? parsed.message : parsed.isPrivateKey()).toBe(true);
    }
  });
});
