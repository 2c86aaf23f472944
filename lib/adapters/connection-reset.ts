// Shared by the adapters that keep HTTP connections alive (Compute, the Kubernetes API): a request that went out on
// a connection the server was closing as idle is reset before any answer, which is not an answer of the server's.

/**
 * The connection was reset under a request before any answer came (ECONNRESET, EPIPE): typically a kept-alive
 * connection the server closed as idle just as the request went out. `e` is what the client rejected with.
 */
export function isConnectionReset(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}
