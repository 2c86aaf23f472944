// Server actions called from Node as Next's client calls them (Next-Action header, JSON-encoded arguments), for
// tests that drive the built dashboard process: the action ids come from the build's own manifest.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const manifestSchema = z.object({
  node: z.record(z.string(), z.object({ workers: z.record(z.string(), z.unknown()), exportedName: z.string().optional() })),
});

/** The id of the build's server action `exportedName`, and a page that uses it ('[id]' still in it). */
export function builtAction(exportedName: string): { id: string; page: string } {
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(path.join('.next', 'server', 'server-reference-manifest.json'), 'utf8')));
  const [id, entry] = Object.entries(manifest.node).find(([, e]) => e.exportedName === exportedName) ?? [];
  if (!id || !entry) throw new Error(`no ${exportedName} in the build`);
  const page = (Object.keys(entry.workers)[0] ?? 'app/page').replace(/^app/, '').replace(/\/page$/, '') || '/';
  return { id, page };
}

export type ActionResult = { ok?: boolean; code?: string; message?: string; data?: unknown };

/** POSTs one call of `exportedName` with `arg` as `cookie`'s session; the action's Result, parsed out of the RSC answer. */
export async function callServerAction(
  baseUrl: string,
  cookie: string,
  exportedName: string,
  arg: unknown,
): Promise<{ status: number; result: ActionResult | null; body: string }> {
  const action = builtAction(exportedName);
  const page = action.page.replace(/\[id\]/g, encodeURIComponent('sandbox-project~europe-west1~prod-master'));
  const res = await fetch(`${baseUrl}${page}`, {
    method: 'POST',
    headers: { 'Next-Action': action.id, 'Content-Type': 'text/plain;charset=UTF-8', Accept: 'text/x-component', Origin: baseUrl, cookie },
    body: JSON.stringify([arg]),
    redirect: 'manual',
  });
  const body = await res.text();
  // The RSC stream has one row per chunk (`1:{...}`); the action's return value is the row holding "ok".
  let result: ActionResult | null = null;
  for (const line of body.split('\n')) {
    const json = line.replace(/^[0-9a-f]+:/, '');
    if (!json.includes('"ok"')) continue;
    try {
      const parsed: unknown = JSON.parse(json);
      if (typeof parsed === 'object' && parsed !== null && 'ok' in parsed) result = parsed as ActionResult;
    } catch {
      // not a JSON row
    }
  }
  return { status: res.status, result, body };
}
