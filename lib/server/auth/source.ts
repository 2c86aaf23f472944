// Where a request came from: the one answer the sign-in rate limit (better-auth's per-address limit) and the
// audit log's "from where" both use.
//
// The socket's peer address is the only fact: X-Forwarded-For is anyone's word unless the peer is a proxy the
// operator listed in QUORUM_TRUSTED_PROXIES (default: none). Then the header is read right to left, trusted hops
// skipped, and the first address not trusted is the client. Next.js does not hand route handlers or server
// actions the socket, so the server stamps the resolved address on every request as it arrives
// (stampClientAddress, installed by instrumentation.ts), replacing any value a client sent under that name;
// sourceOf reads it back and better-auth reads the same header (advanced.ipAddress.ipAddressHeaders).
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

/** The request header the server stamps with the resolved client address. A client's own value is replaced. */
export const CLIENT_ADDRESS_HEADER = 'x-quorum-client-address';

/** One trusted proxy range: an address and its prefix length. */
export type ProxyRange = { address: string; prefix: number; family: 'ipv4' | 'ipv6' };

/** `::ffff:192.0.2.1` (an IPv4 peer on a dual-stack socket) as `192.0.2.1`; other addresses as they are. */
export function normalizeAddress(raw: string): string | null {
  const trimmed = raw.trim().replace(/^\[(.*)\]$/, '$1');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed);
  const address = mapped?.[1] ?? trimmed;
  return isIP(address) === 0 ? null : address.toLowerCase();
}

/** QUORUM_TRUSTED_PROXIES: comma list of addresses or CIDR ranges (`10.0.0.5`, `10.0.0.0/24`, `2001:db8::/48`). */
export const trustedProxiesSchema = z
  .string()
  .transform((raw) =>
    raw
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== ''),
  )
  .pipe(
    z.array(
      z.string().transform((entry, ctx): ProxyRange => {
        const [addr = '', prefixText, extra] = entry.split('/');
        const address = normalizeAddress(addr);
        const family = address === null ? null : isIP(address) === 4 ? 'ipv4' : 'ipv6';
        const max = family === 'ipv4' ? 32 : 128;
        const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
        if (address === null || family === null || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
          ctx.addIssue({
            code: 'custom',
            message: `${JSON.stringify(entry.slice(0, 60))} is not an address or CIDR range such as 10.0.0.0/24`,
          });
          return z.NEVER;
        }
        return { address, prefix, family };
      }),
    ),
  );

/** The trusted ranges as one matcher. */
export function proxyMatcher(ranges: readonly ProxyRange[]): (address: string) => boolean {
  if (ranges.length === 0) return () => false;
  const list = new BlockList();
  for (const r of ranges) list.addSubnet(r.address, r.prefix, r.family);
  return (address) => {
    const a = normalizeAddress(address);
    if (a === null) return false;
    return list.check(a, isIP(a) === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * The client's address: the socket peer, unless the peer is a trusted proxy; then X-Forwarded-For from the
 * right, skipping trusted hops, the first untrusted address (a malformed hop ends the walk at the last
 * trusted one: nothing left of it can be believed). Null when the peer is unknown.
 */
export function clientAddress(
  peer: string | undefined | null,
  forwardedFor: string | string[] | undefined | null,
  trusted: (address: string) => boolean,
): string | null {
  const socket = peer ? normalizeAddress(peer) : null;
  if (socket === null) return null;
  if (!trusted(socket)) return socket;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  let client = socket;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i] ?? '');
    if (hop === null) return client;
    client = hop;
    if (!trusted(hop)) return hop;
  }
  return client;
}

/** Where a request came from, for the audit log: the address the server stamped on it, else 'unknown'. */
export function sourceOf(h: Headers): string {
  const stamped = normalizeAddress(h.get(CLIENT_ADDRESS_HEADER) ?? '');
  return stamped ?? 'unknown';
}

type IncomingLike = {
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string | undefined } | null;
};

/** Sets the request's client-address header from its socket (and, behind a trusted proxy, its X-Forwarded-For). */
export function stampClientAddress(req: IncomingLike, trusted: (address: string) => boolean): void {
  const address = clientAddress(req.socket?.remoteAddress, req.headers['x-forwarded-for'], trusted);
  if (address === null) delete req.headers[CLIENT_ADDRESS_HEADER];
  else req.headers[CLIENT_ADDRESS_HEADER] = address;
}
