import 'server-only';
import http from 'node:http';
import https from 'node:https';
import { proxyMatcher, stampClientAddress, type ProxyRange } from './source';

const INSTALLED = Symbol.for('quorum.clientAddressStamp');
type Patched = { [INSTALLED]?: true };

/**
 * Stamps every incoming request with its client address (lib/server/auth/source.ts) before Next.js sees it:
 * the 'request' event of every HTTP(S) server in this process, the one `next start` made included. Called
 * once by instrumentation.ts; a second call does nothing.
 */
export function installClientAddressStamp(trustedProxies: readonly ProxyRange[]): void {
  const trusted = proxyMatcher(trustedProxies);
  for (const proto of [http.Server.prototype, https.Server.prototype] as (typeof http.Server.prototype & Patched)[]) {
    if (proto[INSTALLED]) continue;
    const emit = proto.emit as (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
    proto.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
      if (event === 'request' && args[0] instanceof http.IncomingMessage) stampClientAddress(args[0], trusted);
      return emit.call(this, event, ...args);
    } as typeof proto.emit;
    proto[INSTALLED] = true;
  }
}
