// The script each VM process runs: sandbox/vm/vm-main.ts bundled once per sandbox process with esbuild (its
// packages stay in node_modules), and run with plain node. Started through tsx, every VM boot transpiled the VM's
// code again: 1.3 s of CPU and 0.9 s to load on an idle machine, against 0.8 s and 0.5 s bundled, and the tests
// boot VMs hundreds of times. The file is named by its content's hash and written whole before it is renamed into
// place, so sandboxes starting side by side never run each other's half-written file.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

let script: Promise<string> | undefined;

/** The bundled vm-main of this checkout (`repoRoot`), made on first use. */
export function vmMainScript(repoRoot: string): Promise<string> {
  script ??= bundle(repoRoot);
  return script;
}

async function bundle(repoRoot: string): Promise<string> {
  const result = await build({
    entryPoints: [path.join(repoRoot, 'sandbox', 'vm', 'vm-main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Resolved from node_modules at run time: the bundle lives under it (node_modules/.cache).
    packages: 'external',
    write: false,
    logLevel: 'error',
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error('esbuild wrote no bundle of sandbox/vm/vm-main.ts');
  const dir = path.join(repoRoot, 'node_modules', '.cache', 'quorum-sandbox');
  const file = path.join(dir, `vm-main.${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, code);
    renameSync(partial, file);
  }
  return file;
}
