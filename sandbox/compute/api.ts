// What every REST handler shares: its request shape, body parsing at the edge, and GCE's list and
// aggregatedList envelopes with filtering and paging.
import type { z } from 'zod';
import type { Cloud } from './cloud';
import { GceError, invalid, required } from './gce-error';
import { compileFilter, paginate, parseMaxResults } from './list-query';
import { resourcePath } from './links';

export type ApiRequest = {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** Aborted when the client goes away (operations.wait stops waiting). */
  signal: AbortSignal;
  /** aggregatedList scopes (`zones/<z>`) Compute cannot reach now (sandbox chaos "zone API down"). */
  unreachableScopes?: ReadonlySet<string>;
};

/** Returns the JSON body of a 200 answer, or throws a GceError. */
export type Handler = (cloud: Cloud, req: ApiRequest) => unknown;

export function param(req: ApiRequest, key: string): string {
  const v = req.params[key];
  if (v === undefined) throw new GceError(500, 'backendError', `route has no parameter '${key}'`);
  return v;
}

/** Parses a request body with `schema`, reporting the first problem as GCE does (`resource.<path>`). */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, root = 'resource'): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw invalid('Invalid request body.');
  const field = issue.path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`),
    root,
  );
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) throw required(field);
  throw invalid(`Invalid value for field '${field}': ${issue.message}`);
}

export function listResponse<T>(kind: string, selfLink: string, all: readonly T[], query: URLSearchParams) {
  const filter = compileFilter(query.get('filter') ?? undefined);
  const page = paginate(all.filter(filter), parseMaxResults(query.get('maxResults')), query.get('pageToken'));
  return {
    kind,
    id: resourcePath(selfLink),
    ...(page.items.length > 0 ? { items: page.items } : {}),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    selfLink,
  };
}

/**
 * aggregatedList: items keyed by scope (`zones/<z>`, `regions/<r>`), every scope of the catalog
 * present; a scope with nothing on this page carries GCE's NO_RESULTS_ON_PAGE warning instead.
 * A scope Compute cannot reach fails the whole call (503), unless the caller set
 * `returnPartialSuccess=true`: then that scope carries the UNREACHABLE warning instead of items and is
 * listed in `unreachables`.
 */
export function aggregatedResponse<T>(
  kind: string,
  selfLink: string,
  field: string,
  scopes: ReadonlyArray<{ key: string; items: readonly T[] }>,
  req: Pick<ApiRequest, 'query' | 'unreachableScopes'>,
) {
  const { query } = req;
  const unreachables = scopes.map((s) => s.key).filter((key) => req.unreachableScopes?.has(key));
  if (unreachables.length > 0 && query.get('returnPartialSuccess') !== 'true') {
    throw new GceError(
      503,
      'backendError',
      `The service is currently unavailable for scope '${unreachables[0] ?? ''}'.`,
    );
  }
  const reachable = scopes.filter((s) => !unreachables.includes(s.key));
  const filter = compileFilter(query.get('filter') ?? undefined);
  const flat = reachable.flatMap((s) => s.items.filter(filter).map((item) => ({ key: s.key, item })));
  const page = paginate(flat, parseMaxResults(query.get('maxResults')), query.get('pageToken'));
  const items: Record<string, unknown> = {};
  for (const s of scopes) {
    if (unreachables.includes(s.key)) {
      items[s.key] = {
        warning: {
          code: 'UNREACHABLE',
          message: `Scope '${s.key}' is unreachable.`,
          data: [{ key: 'scope', value: s.key }],
        },
      };
      continue;
    }
    const here = page.items.filter((e) => e.key === s.key).map((e) => e.item);
    items[s.key] =
      here.length > 0
        ? { [field]: here }
        : {
            warning: {
              code: 'NO_RESULTS_ON_PAGE',
              message: `There are no results for scope '${s.key}' on this page.`,
              data: [{ key: 'scope', value: s.key }],
            },
          };
  }
  return {
    kind,
    id: resourcePath(selfLink),
    items,
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    selfLink,
    ...(unreachables.length > 0 ? { unreachables } : {}),
  };
}

export const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
