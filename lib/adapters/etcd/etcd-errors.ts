import 'server-only';
import { noAccessError } from '@/lib/core/probe-errors';
import { ProviderError, type ProviderErrorCode } from '@/lib/ports/provider-error';
import { isReachError } from '@/lib/ports/reach';

// Short, human reasons for a failed etcd call. A time-out starts with `timeout:` (the core reads that
// as "health unknown"); everything else means the member answered badly or not at all.

const PATTERNS: Array<[RegExp, string]> = [
  [/ECONNREFUSED/, 'connection refused'],
  [/EHOSTUNREACH|ENETUNREACH/, 'host unreachable'],
  [/ECONNRESET|socket hang up/i, 'connection reset'],
  [/rpc not supported for learner/i, 'member is a learner (rpc not supported)'],
  [/bad certificate|certificate required|alert number 4[26]/i, 'TLS: client certificate rejected'],
  [
    /unable to verify|self[- ]signed|certificate has expired|Hostname\/IP does not match|ERR_TLS_CERT/i,
    'TLS: server certificate not trusted',
  ],
  [/no leader/i, 'no leader'],
  [/too many requests/i, 'too many requests'],
];

export function describeEtcdError(e: unknown, timeoutMs: number): string {
  const name = e instanceof Error ? e.constructor.name : '';
  const message = e instanceof Error ? e.message : String(e);
  if (name === 'GRPCDeadlineExceededError' || /DEADLINE_EXCEEDED/.test(message)) {
    return `timeout: no answer within ${timeoutMs} ms`;
  }
  for (const [re, reason] of PATTERNS) if (re.test(message)) return reason;
  // gRPC messages read `14 UNAVAILABLE: No connection established. Last error: ...`; keep the tail short.
  const compact = message
    .replace(/^\d+ [A-Z_]+: /, '')
    .replace(/\. Resolution note:.*$/s, '')
    .trim();
  return compact.length > 120 ? `${compact.slice(0, 117)}...` : compact || 'unknown error';
}

// etcd's own refusals (rpctypes): matched on the text, because etcd sends several of them with the same
// gRPC status (`unhealthy cluster` is UNAVAILABLE, like a dead connection).
const ETCD_REFUSALS: Array<[RegExp, ProviderErrorCode]> = [
  [/can only promote a learner member which is in sync with leader/i, 'LearnerNotReady'],
  [/can only promote a learner member/i, 'Conflict'],
  [/member not found|member ID not found/i, 'NotFound'],
  [/peer ?URLs? already exists|member ID already exist/i, 'AlreadyExists'],
  [
    /unhealthy cluster|not enough started members|too many learner members|learner member.*not (started|ready)|not leader|bad leader transferee|learner.*transferee/i,
    'EtcdRefused',
  ],
  [/request timed out|leader changed|timed out waiting for read index/i, 'Timeout'],
  [/no leader/i, 'ProviderUnavailable'],
];

/** True when the error is an answer of etcd itself (not a dead or refused connection): trying another endpoint would not help. */
export function isEtcdServerAnswer(e: unknown): boolean {
  const message = e instanceof Error ? e.message : String(e);
  // A learner answers membership RPCs with a refusal of its own: the next endpoint may be a voter.
  return /etcdserver:/.test(message) && !/rpc not supported for learner/i.test(message);
}

/**
 * True when the call failed because no connection to the member could be made or kept (refused, reset,
 * unreachable), as opposed to an answer of etcd or a time-out.
 */
export function isConnectionFailure(e: unknown): boolean {
  const message = e instanceof Error ? e.message : String(e);
  if (isEtcdServerAnswer(e) || /DEADLINE_EXCEEDED/.test(message)) return false;
  return /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ECONNRESET|socket hang up|No connection established|14 UNAVAILABLE/i.test(
    message,
  );
}

/** A failed etcd admin call -> ProviderError with a code callers can branch on and etcd's words in the message. */
export function toEtcdProviderError(e: unknown, context: string, timeoutMs: number): ProviderError {
  if (e instanceof ProviderError) return e;
  // The SSH path: Quorum's own access problem (nothing was sent), or etcd's port refusing behind it (down).
  if (isReachError(e)) {
    return e.accessProblem
      ? new ProviderError('NoAccess', `${context}: ${noAccessError(e.message, e.code)}`, { reason: e.code, cause: e })
      : new ProviderError('ProviderUnavailable', `${context}: connection refused (${e.message})`, {
          reason: e.code,
          cause: e,
        });
  }
  const message = e instanceof Error ? e.message : String(e);
  const server = /etcdserver: [^.\n]*/.exec(message)?.[0];
  if (server !== undefined) {
    const code = ETCD_REFUSALS.find(([re]) => re.test(server))?.[1] ?? 'Unknown';
    return new ProviderError(code, `${context}: ${server}`, { reason: server, cause: e });
  }
  const described = describeEtcdError(e, timeoutMs);
  const code: ProviderErrorCode = described.startsWith('timeout:') ? 'Timeout' : 'ProviderUnavailable';
  return new ProviderError(code, `${context}: ${described}`, { cause: e });
}
