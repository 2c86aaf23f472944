// Probe errors: the convention shared by the adapters and the core for "no answer in time".

/**
 * Adapters report a probe that got no answer within its deadline as an error string starting with this
 * prefix (`timeout: no answer from 10.0.0.2:2379 within 1500 ms`); any other error means the far end answered
 * negatively (refused, reset, TLS, HTTP 5xx). Build them with `timeoutError`.
 */
export const TIMEOUT_ERROR_PREFIX = 'timeout:';

export function timeoutError(detail: string): string {
  return `${TIMEOUT_ERROR_PREFIX} ${detail}`;
}

/**
 * Whether a probe error means "no answer in time". The prefix is the contract; raw library messages that
 * mention a time-out or a deadline ("4 DEADLINE_EXCEEDED", "context deadline exceeded", "ETIMEDOUT",
 * "request timed out") are accepted too, so an adapter that forgets to wrap one does not turn a slow replica
 * into a failed one.
 */
export function isTimeoutError(error: string): boolean {
  // "port 22 timed out" is Quorum's access, not the member being slow (see isNoAccessError).
  if (isNoAccessError(error)) return false;
  const e = error.trim().toLowerCase();
  return e.startsWith(TIMEOUT_ERROR_PREFIX) || /timeout|deadline|timed ?out/.test(e);
}

/**
 * Adapters report a probe that never reached the replica because of Quorum's own access (its SSH key not
 * taken, a changed host key, port 22 not answering, OS Login) with this prefix: `noaccess: <why>`. Such a
 * probe says nothing about the replica's health (it reads "unknown: no access"), unlike a service that
 * refuses through an open SSH channel, which is down.
 */
export const NOACCESS_ERROR_PREFIX = 'noaccess:';

/** `noaccess: [<kind>] <detail>`: the kind is the reach port's code (SshAuthRefused, HostKeyChanged...), when known. */
export function noAccessError(detail: string, kind?: string): string {
  return `${NOACCESS_ERROR_PREFIX} ${kind ? `[${kind}] ` : ''}${detail}`;
}

export function isNoAccessError(error: string): boolean {
  return error.trim().toLowerCase().startsWith(NOACCESS_ERROR_PREFIX);
}

/** What to fix, by the kind of access problem. */
export type NoAccessKind = 'key' | 'network' | 'host-key' | 'os-login' | 'other';

/** The reason after the prefix and the kind it names (`noaccess: [HostKeyChanged] why` -> host-key, `why`). */
export function parseNoAccess(error: string): { kind: NoAccessKind; reason: string } {
  const rest = error.trim().slice(NOACCESS_ERROR_PREFIX.length).trim();
  const m = /^\[([A-Za-z]+)\]\s*(.*)$/s.exec(rest);
  const code = m?.[1] ?? '';
  const reason = m ? (m[2] ?? '') : rest;
  const kind: NoAccessKind =
    code === 'SshAuthRefused' || code === 'KeyNotPublished'
      ? 'key'
      : code === 'SshUnreachable' || code === 'NoAddress' || code === 'ForwardingRefused'
        ? 'network'
        : code === 'HostKeyChanged' || code === 'HostKeyUnknown'
          ? 'host-key'
          : code === 'OsLoginUnsupported'
            ? 'os-login'
            : 'other';
  return { kind, reason };
}

// A changed host key as the reach words it (lib/core/reach-why.ts, `hostKeyChanged`), parsed back with both
// fingerprints as `ssh-keygen -l` prints them (lib/core/reach-why.test.ts checks the two agree).
const FINGERPRINT = 'SHA256:[A-Za-z0-9+/]{43}';
const HOST_KEY_CHANGE = new RegExp(`host key changed: (${FINGERPRINT}) was pinned, (${FINGERPRINT}) is presented now`);

/** Both fingerprints of a HostKeyChanged reason; null when the reason does not name them. */
export function hostKeyChangeOf(reason: string): { pinnedFingerprint: string; presentedFingerprint: string } | null {
  const m = HOST_KEY_CHANGE.exec(reason);
  return m?.[1] && m[2] ? { pinnedFingerprint: m[1], presentedFingerprint: m[2] } : null;
}
