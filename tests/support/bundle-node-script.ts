// Child processes of crash and race tests are bundled once with esbuild and run with plain node:
// starting tsx per child costs seconds on a loaded 2-core machine.
import path from 'node:path';
import { build } from 'esbuild';

const cacheDir = path.resolve('node_modules', '.cache', 'quorum-tests');

/** Bundles a TypeScript entry (server code included: the react-server condition) and returns the .mjs path. */
export async function bundleNodeScript(entry: string): Promise<string> {
  const outfile = path.join(cacheDir, `${path.basename(entry, '.ts')}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['react-server'],
    external: ['better-sqlite3'],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'error',
  });
  return outfile;
}
