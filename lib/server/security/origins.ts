// Which origins may send a mutating request (a server action, any non-GET): the dashboard's own, and those
// listed in QUORUM_ALLOWED_ORIGINS (a reverse proxy that serves it under another name). Pure, no
// `server-only`: proxy.ts and lib/server/env.ts both use it.
import { z } from 'zod';

/** One entry of QUORUM_ALLOWED_ORIGINS: scheme, host and optional port, nothing else; normalised as browsers send it. */
const originSchema = z.string().transform((raw, ctx) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(raw.slice(0, 80))} is not an origin such as https://quorum.example.com`,
    });
    return z.NEVER;
  }
  const bare =
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '' &&
    url.username === '' &&
    url.password === '' &&
    !raw.endsWith('/');
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !bare) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(raw.slice(0, 80))} must be scheme://host[:port] with http or https, no path`,
    });
    return z.NEVER;
  }
  return url.origin;
});

/** QUORUM_ALLOWED_ORIGINS: a comma list of origins; blanks and duplicates are dropped. */
export const allowedOriginsSchema = z
  .string()
  .transform((raw) =>
    raw
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== ''),
  )
  .pipe(z.array(originSchema))
  .transform((origins) => [...new Set(origins)]);

/** The hosts (host[:port]) of the allowed origins, as Next's `serverActions.allowedOrigins` compares them. */
export function hostsOf(origins: readonly string[]): string[] {
  return origins.map((o) => new URL(o).host);
}

export type OriginRequest = {
  method: string;
  /** The Origin header, or null when absent. */
  origin: string | null;
  /** The Host header. */
  host: string | null;
  /** X-Forwarded-Host, set by a reverse proxy in front (Next's own server-action check trusts it too). */
  forwardedHost: string | null;
};

export type OriginVerdict = { ok: true } | { ok: false; message: string };

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** `host` as the browser would put it in an Origin of `protocol` (lower case, default port dropped), or null. */
function normalisedHost(host: string | null, protocol: string): string | null {
  const first = host?.split(',')[0]?.trim();
  if (!first) return null;
  try {
    return new URL(`${protocol}//${first}`).host;
  } catch {
    return null;
  }
}

function parsedOrigin(raw: string): URL | null {
  try {
    // "null": a sandboxed frame, a file: page or a cross-origin redirect: never one of ours.
    return raw === 'null' ? null : new URL(raw);
  } catch {
    return null;
  }
}

/**
 * A browser sends Origin with every cross-site POST; when it names neither this dashboard nor an allowed
 * origin the request is a cross-site forgery (or a page we do not know) and is refused before it reaches an
 * action or route. Safe methods and requests without Origin (curl, health checks) pass: they change nothing,
 * or no browser made them on someone else's behalf.
 */
export function checkRequestOrigin(request: OriginRequest, allowedOrigins: readonly string[]): OriginVerdict {
  if (SAFE_METHODS.has(request.method.toUpperCase()) || request.origin === null) return { ok: true };
  const origin = parsedOrigin(request.origin);
  const shown = JSON.stringify(request.origin.slice(0, 100));
  if (!origin || (origin.protocol !== 'http:' && origin.protocol !== 'https:')) {
    return { ok: false, message: `A request from origin ${shown} may not change anything here.` };
  }
  const own = [request.host, request.forwardedHost].map((h) => normalisedHost(h, origin.protocol));
  if (own.includes(origin.host) || allowedOrigins.includes(origin.origin)) return { ok: true };
  return {
    ok: false,
    message: `A request from ${shown} may not change anything here: only this dashboard's own pages and the origins in QUORUM_ALLOWED_ORIGINS may.`,
  };
}
