// state.json: the whole emulated cloud, rewritten after every mutation. Written to a temporary file,
// fsynced, then renamed over the old one, so a crash leaves either the old or the new state, never half.
// It holds every VM's private keys (SSH host keys, the clusters' CA and etcd keys in metadata): owner-only,
// in an owner-only folder, like any other key file.
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { emptyState, sandboxStateSchema, type SandboxState } from './schemas';

const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` 0700, or takes the group's and others' bits off an existing one (a symlink is left alone). */
function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const stats = lstatSync(dir);
  if (stats.isDirectory() && (stats.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * `<dataDir>` and `<dataDir>/sandbox` (state.json; disks/ with each VM's etcd data) made or tightened to 0700, at
 * every start: a data dir left 0755 by an earlier version is closed. Returns the sandbox folder.
 */
export function ensurePrivateSandboxDir(dataDir: string): string {
  const sandboxDir = join(dataDir, 'sandbox');
  ensurePrivateDir(dataDir);
  ensurePrivateDir(sandboxDir);
  return sandboxDir;
}

export function readStateFile(path: string): SandboxState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const parsed = sandboxStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(
      `${path} is not a sandbox state file: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}

export function writeStateFile(path: string, state: SandboxState): void {
  ensurePrivateDir(dirname(path));
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    // A temporary file left by a crashed run of this pid keeps its mode through open(): set it.
    fchmodSync(fd, PRIVATE_FILE_MODE);
    writeSync(fd, JSON.stringify(state));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** The state at start; a state file an earlier version wrote 0644 is made owner-only first. */
export function loadOrCreateState(path: string): { state: SandboxState; existed: boolean } {
  try {
    const stats = lstatSync(path);
    if (stats.isFile() && (stats.mode & 0o077) !== 0) chmodSync(path, stats.mode & PRIVATE_FILE_MODE);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const state = readStateFile(path);
  return state ? { state, existed: true } : { state: emptyState(), existed: false };
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT';
}
