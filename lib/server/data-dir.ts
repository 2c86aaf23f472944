import 'server-only';
import { chmodSync, lstatSync, mkdirSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import { CLIENT_KEY_FILE } from '@/lib/adapters/reach/client-key';
import { STORE_FILE_NAME } from '@/lib/adapters/store/sqlite-store';

// The dashboard's data dir holds the journal (sessions, password hashes, a new cluster's private keys while it is
// created), the cookie-signing secret, the bootstrap admin's one-time password, Quorum's SSH private key and etcd
// snapshots (every Kubernetes secret of a cluster): owner-only, whatever the umask or an earlier version left.

/** Files that hold a key or a secret, relative to the data dir (SQLite's -wal and -shm carry the journal's pages). */
const SECRET_FILES = [
  STORE_FILE_NAME,
  `${STORE_FILE_NAME}-wal`,
  `${STORE_FILE_NAME}-shm`,
  // lib/server/auth/auth.ts: the cookie-signing secret and the bootstrap admin's password file.
  'auth-secret',
  'initial-admin-password',
  path.join('ssh', CLIENT_KEY_FILE),
];
/** Folders under the data dir whose whole content is private (lib/adapters/reach/client-key.ts, lib/server/backups/snapshots.ts). */
const PRIVATE_TREES = ['ssh', 'snapshots'];

const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

/** What was tightened: the path and the modes before and after, for the server log. */
export type Tightened = { path: string; from: number; to: number };

function statOrNull(file: string): Stats | null {
  try {
    return lstatSync(file);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return null;
    throw error;
  }
}

/** Directories become 0700; files lose the group's and others' bits (a key file that is 0400 stays 0400). Symlinks are never followed. */
function tighten(file: string, stats: Stats, done: Tightened[]): void {
  if (stats.isSymbolicLink()) return;
  const mode = stats.mode & 0o7777;
  const wanted = stats.isDirectory() ? PRIVATE_DIR_MODE : mode & PRIVATE_FILE_MODE;
  if (mode === wanted) return;
  chmodSync(file, wanted);
  done.push({ path: file, from: mode, to: wanted });
}

function tightenTree(dir: string, done: Tightened[]): void {
  const stats = statOrNull(dir);
  if (!stats) return;
  tighten(dir, stats, done);
  if (!stats.isDirectory()) return;
  for (const name of readdirSync(dir)) tightenTree(path.join(dir, name), done);
}

/** Creates the data dir 0700 (and its parents, as mkdir -p does, with the umask's mode). */
export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dataDir, lstatSync(dataDir), []);
}

/**
 * At the server's start: the data dir exists and is 0700, and every file in it that holds a key or a secret is
 * owner-only (0600), however it was left. Returns what it changed.
 */
export function securePrivateDataDir(dataDir: string): Tightened[] {
  const done: Tightened[] = [];
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dataDir, lstatSync(dataDir), done);
  for (const name of SECRET_FILES) {
    const file = path.join(dataDir, name);
    const stats = statOrNull(file);
    if (stats?.isFile()) tighten(file, stats, done);
  }
  for (const tree of PRIVATE_TREES) tightenTree(path.join(dataDir, tree), done);
  return done;
}
