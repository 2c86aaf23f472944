import 'server-only';

// Short, human reasons for a failed etcd call. A time-out starts with `timeout:` (the core reads that
// as "health unknown"); everything else means the member answered badly or not at all.

const PATTERNS: Array<[RegExp, string]> = [
  [/ECONNREFUSED/, 'connection refused'],
  [/EHOSTUNREACH|ENETUNREACH/, 'host unreachable'],
  [/ECONNRESET|socket hang up/i, 'connection reset'],
  [/rpc not supported for learner/i, 'member is a learner (rpc not supported)'],
  [/bad certificate|certificate required|alert number 4[26]/i, 'TLS: client certificate rejected'],
  [/unable to verify|self[- ]signed|certificate has expired|Hostname\/IP does not match|ERR_TLS_CERT/i, 'TLS: server certificate not trusted'],
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
  const compact = message.replace(/^\d+ [A-Z_]+: /, '').replace(/\. Resolution note:.*$/s, '').trim();
  return compact.length > 120 ? `${compact.slice(0, 117)}...` : compact || 'unknown error';
}
