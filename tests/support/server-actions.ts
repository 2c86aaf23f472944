// Server actions called as Next's client calls them (Next-Action header, JSON-encoded arguments), without the
// page's buttons: the action ids come from the build's own manifest, so every action the build contains is
// listed, and a new one cannot be forgotten by a test that enumerates them. Used from Node by the system tests
// (callServerAction) and by the e2e fixtures (e2e/fixtures/actions.ts, through Playwright's request context).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const manifestSchema = z.object({
  node: z.record(
    z.string(),
    z.object({
      workers: z.record(z.string(), z.unknown()),
      filename: z.string().optional(),
      exportedName: z.string().optional(),
    }),
  ),
});

export type BuiltAction = { id: string; name: string; file: string; page: string };

/** Every server action of the build (.next/server/server-reference-manifest.json), with a page that uses it ('[id]' still in it). */
export function builtActions(): BuiltAction[] {
  const manifest = manifestSchema.parse(
    JSON.parse(readFileSync(path.join('.next', 'server', 'server-reference-manifest.json'), 'utf8')),
  );
  return Object.entries(manifest.node).map(([id, entry]) => {
    const worker = Object.keys(entry.workers)[0] ?? 'app/page';
    return {
      id,
      name: entry.exportedName ?? id,
      file: entry.filename ?? '?',
      page: worker.replace(/^app/, '').replace(/\/page$/, '') || '/',
    };
  });
}

/** The build's server action `exportedName`. */
export function builtAction(exportedName: string): BuiltAction {
  const found = builtActions().find((a) => a.name === exportedName);
  if (!found) throw new Error(`no ${exportedName} in the build`);
  return found;
}

/** A page path that uses `action`, its dynamic segments filled with prod's cluster id and a made-up operation id. */
export function actionPage(action: BuiltAction): string {
  return action.page
    .replace(/\[id\]/g, encodeURIComponent('sandbox-project~europe-west1~prod-master'))
    .replace(/\[opId\]/g, '00000000-0000-4000-8000-000000000000');
}

export type ActionResult = {
  ok?: boolean;
  code?: string;
  message?: string;
  data?: unknown;
  retryAfterSeconds?: number;
};

/** The action's return value out of an RSC answer: the stream has one row per chunk (`1:{...}`), the result is the row holding "ok". */
export function actionResult(body: string): ActionResult | null {
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
  return result;
}

/** The headers of an action call, as Next's client sends them. */
export function actionHeaders(action: BuiltAction, origin: string): Record<string, string> {
  return {
    'Next-Action': action.id,
    'Content-Type': 'text/plain;charset=UTF-8',
    Accept: 'text/x-component',
    Origin: origin,
  };
}

/** POSTs one call of `exportedName` with `arg` as `cookie`'s session; the action's Result, parsed out of the RSC answer. */
export async function callServerAction(
  baseUrl: string,
  cookie: string,
  exportedName: string,
  arg: unknown,
): Promise<{ status: number; result: ActionResult | null; body: string }> {
  const action = builtAction(exportedName);
  const res = await fetch(`${baseUrl}${actionPage(action)}`, {
    method: 'POST',
    headers: { ...actionHeaders(action, baseUrl), cookie },
    body: JSON.stringify([arg]),
    redirect: 'manual',
  });
  const body = await res.text();
  return { status: res.status, result: actionResult(body), body };
}
