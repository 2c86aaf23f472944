// state.json holds the VMs' private keys: written owner-only whatever the umask, and a copy an earlier version
// left 0644 (in a 0755 data dir) is closed at the next start. Real files in a temporary directory.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyState } from './schemas';
import { ensurePrivateSandboxDir, loadOrCreateState, readStateFile, writeStateFile } from './state-file';

let root: string;
let umask: number;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'quorum-sandbox-state-'));
  // The loosest umask: the modes must come from the code, not from the environment.
  umask = process.umask(0o000);
});
afterEach(() => {
  process.umask(umask);
  rmSync(root, { recursive: true, force: true });
});

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe('the sandbox state file', () => {
  it('is written 0600 in a 0700 folder of a 0700 data dir, every time', () => {
    const dataDir = path.join(root, '.quorum');
    const sandboxDir = ensurePrivateSandboxDir(dataDir);
    const file = path.join(sandboxDir, 'state.json');
    writeStateFile(file, emptyState());
    expect([modeOf(dataDir), modeOf(sandboxDir), modeOf(file)]).toEqual([0o700, 0o700, 0o600]);
    // A temporary file of a crashed run with this pid, world-readable: the next write does not inherit its mode.
    writeFileSync(`${file}.${process.pid}.tmp`, '{}', { mode: 0o644 });
    writeStateFile(file, emptyState());
    expect(modeOf(file)).toBe(0o600);
    expect(readdirSync(sandboxDir)).toEqual(['state.json']);
    expect(readStateFile(file)).toEqual(emptyState());
  });

  it('left 0644 in a 0755 data dir by an earlier version, is made owner-only at start', () => {
    const dataDir = path.join(root, '.quorum');
    const sandboxDir = path.join(dataDir, 'sandbox');
    mkdirSync(sandboxDir, { recursive: true, mode: 0o755 });
    const file = path.join(sandboxDir, 'state.json');
    writeFileSync(file, JSON.stringify(emptyState()), { mode: 0o644 });
    chmodSync(dataDir, 0o755);

    expect(ensurePrivateSandboxDir(dataDir)).toBe(sandboxDir);
    const { existed } = loadOrCreateState(file);
    expect(existed).toBe(true);
    expect([modeOf(dataDir), modeOf(sandboxDir), modeOf(file)]).toEqual([0o700, 0o700, 0o600]);
  });
});
