// Real files in a temporary directory: the modes an earlier version (or a loose umask) left are tightened at start.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDataDir, securePrivateDataDir } from './data-dir';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'quorum-data-dir-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const modeOf = (file: string) => statSync(file).mode & 0o7777;

function put(file: string, mode: number, text = 'secret\n'): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, mode);
}

describe('securePrivateDataDir', () => {
  it('creates a missing data dir 0700, whatever the umask', () => {
    const dir = path.join(root, 'fresh', '.quorum');
    const umask = process.umask(0o000);
    try {
      expect(securePrivateDataDir(dir)).toEqual([]);
    } finally {
      process.umask(umask);
    }
    expect(modeOf(dir)).toBe(0o700);
  });

  it('tightens a 0755 data dir and every key and secret in it to owner only, and says what it changed', () => {
    const dir = path.join(root, '.quorum');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const loose = {
      'quorum.sqlite': 0o644,
      'quorum.sqlite-wal': 0o644,
      'quorum.sqlite-shm': 0o664,
      'auth-secret': 0o644,
      'initial-admin-password': 0o666,
      'ssh/id_ed25519': 0o644,
      'snapshots/sandbox-project~europe-west1~prod-master/main/2026-12-02.db': 0o644,
      'snapshots/sandbox-project~europe-west1~prod-master/main/2026-12-02.json': 0o640,
    };
    for (const [name, mode] of Object.entries(loose)) put(path.join(dir, name), mode);
    for (const sub of [
      'ssh',
      'snapshots',
      'snapshots/sandbox-project~europe-west1~prod-master',
      'snapshots/sandbox-project~europe-west1~prod-master/main',
    ])
      chmodSync(path.join(dir, sub), 0o755);
    // Not a secret, not Quorum's: left as it is.
    put(path.join(dir, 'notes.txt'), 0o644);

    const changed = securePrivateDataDir(dir);

    expect(modeOf(dir)).toBe(0o700);
    for (const name of Object.keys(loose)) expect(modeOf(path.join(dir, name)), name).toBe(0o600);
    for (const sub of [
      'ssh',
      'snapshots',
      'snapshots/sandbox-project~europe-west1~prod-master',
      'snapshots/sandbox-project~europe-west1~prod-master/main',
    ])
      expect(modeOf(path.join(dir, sub)), sub).toBe(0o700);
    expect(modeOf(path.join(dir, 'notes.txt'))).toBe(0o644);
    expect(changed).toContainEqual({ path: dir, from: 0o755, to: 0o700 });
    expect(changed).toContainEqual({ path: path.join(dir, 'auth-secret'), from: 0o644, to: 0o600 });
    expect(changed).toHaveLength(1 + Object.keys(loose).length + 4);
    // A second start finds nothing to change.
    expect(securePrivateDataDir(dir)).toEqual([]);
  });

  it('keeps a stricter mode and never follows a symlink out of the data dir', () => {
    const dir = path.join(root, '.quorum');
    put(path.join(dir, 'auth-secret'), 0o400);
    const outside = path.join(root, 'elsewhere');
    put(outside, 0o644);
    symlinkSync(outside, path.join(dir, 'initial-admin-password'));
    securePrivateDataDir(dir);
    expect(modeOf(path.join(dir, 'auth-secret'))).toBe(0o400);
    expect(modeOf(outside)).toBe(0o644);
  });
});

describe('ensureDataDir', () => {
  it('creates the data dir 0700 and tightens an existing one', () => {
    const dir = path.join(root, 'data');
    ensureDataDir(dir);
    expect(modeOf(dir)).toBe(0o700);
    chmodSync(dir, 0o755);
    ensureDataDir(dir);
    expect(modeOf(dir)).toBe(0o700);
  });
});
