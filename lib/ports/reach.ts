// How Quorum gets to a service that listens on a master's own loopback (etcd main and events, the API
// server): "give me a connection to 127.0.0.1:PORT on replica R". On kube-up masters the only door is SSH
// (reference/kube-up-wire.md), so the one adapter (lib/adapters/reach) forwards through an SSH connection
// per replica. Core and steps never see this port; the etcd and Kubernetes adapters dial through it.

import { errorBrand, hasErrorBrand } from './error-brand';

/** The replica to reach, as Compute Engine describes it. */
export type ReachTarget = {
  project: string;
  zone: string;
  /** Instance name. */
  instance: string;
  /** Compute Engine's numeric instance id (decimal string): host keys are pinned per id, not per name. */
  instanceId: string;
  internalIp: string | null;
  externalIp: string | null;
};

/**
 * A Unix socket on this machine that leads to 127.0.0.1:<remotePort> on the replica. A socket, not a TCP port on
 * 127.0.0.1: that would let every local user into etcd (plain http on events and pre-1.16 main) with Quorum's
 * access; the socket sits in a directory only Quorum's own user can enter (0700).
 */
export type ReachEndpoint = { socketPath: string };

/**
 * Why the replica could not be reached. All but ServiceDown are Quorum's own access problem (its key, the
 * host key it pinned, the network path to port 22, the project's login mode): they say nothing about the
 * replica's health, so no finding of "replica down" and no recovery may be drawn from them.
 */
export const REACH_ERROR_CODES = [
  /** sshd refused Quorum's key (not published, not yet taken up by the guest agent, or removed). */
  'SshAuthRefused',
  /** Guest attributes publish host keys, and the key sshd presented is not one of them. */
  'HostKeyUnknown',
  /** The host key differs from the one pinned for this instance id (both fingerprints in the error). */
  'HostKeyChanged',
  /** Port 22 refused, timed out, or the SSH connection went silent. */
  'SshUnreachable',
  /** The instance has no address of the kind Quorum is set to dial (QUORUM_SSH_ADDRESS). */
  'NoAddress',
  /** enable-oslogin=TRUE on the instance or the project: metadata keys are ignored there. */
  'OsLoginUnsupported',
  /** Quorum's key could not be published in the instance's metadata (Compute refused or failed). */
  'KeyNotPublished',
  /** sshd refused to forward (SSH channel open failure, reason 1: administratively prohibited). */
  'ForwardingRefused',
  /** The SSH channel opened to sshd, but nothing accepts on the remote port (reason 2: connect failed). */
  'ServiceDown',
] as const;
export type ReachErrorCode = (typeof REACH_ERROR_CODES)[number];

const SERVICE_CODES: ReadonlySet<ReachErrorCode> = new Set(['ServiceDown']);

export type ReachErrorDetails = {
  /** HostKeyChanged: `SHA256:...` of the pinned key and of the key presented. */
  pinnedFingerprint?: string;
  presentedFingerprint?: string;
  /** The address dialled, when one was. */
  address?: string;
  /** ServiceDown and ForwardingRefused: the remote port. */
  remotePort?: number;
};

export type TrustHostKeyOutcome =
  | { ok: true; fingerprint: string }
  /** The replica presents another key than the one the admin was shown (or the pin changed meanwhile). */
  | {
      ok: false;
      reason: 'PresentedKeyDiffers' | 'PinChanged';
      presentedFingerprint: string | null;
      pinnedFingerprint: string | null;
    };

const REACH_ERROR_BRAND = errorBrand('ReachError');

/** The one error the reach port rejects with (and reports as a forward's last error). */
export class ReachError extends Error {
  override readonly name = 'ReachError';
  /** Known across Next's bundles: the reach belongs to the container instrumentation.ts builds (error-brand.ts). */
  readonly [REACH_ERROR_BRAND] = true;
  readonly code: ReachErrorCode;
  /** `<project>/<zone>/<instance>`. */
  readonly target: string;
  readonly details: ReachErrorDetails;

  constructor(
    code: ReachErrorCode,
    target: string,
    message: string,
    opts: { details?: ReachErrorDetails; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.target = target;
    this.details = opts.details ?? {};
  }

  /** True for Quorum's own access problems ("unknown: no access (why)"), false when the service is down. */
  get accessProblem(): boolean {
    return !SERVICE_CODES.has(this.code);
  }
}

export function isReachError(e: unknown): e is ReachError {
  return e instanceof ReachError || hasErrorBrand(e, REACH_ERROR_BRAND);
}

export function reachTargetLabel(t: Pick<ReachTarget, 'project' | 'zone' | 'instance'>): string {
  return `${t.project}/${t.zone}/${t.instance}`;
}

/**
 * How the adapters use it: etcd dials `https://127.0.0.1:<endpoint.port>` (TLS verified against the IP
 * 127.0.0.1, or with `grpc.ssl_target_name_override` set to `etcd-<instance>` where the certificate names the
 * member) or plain `http://` for events and pre-1.16 main; the Kubernetes adapter dials the forward's socket with server
 * name `kubernetes`. A failed call is explained by `lastError`: an access problem means
 * "unknown: no access (why)", ServiceDown means the service is down, null means the failure came from the
 * service's own answer (or slowness), not from the path to it.
 */
export interface ReachPort {
  /**
   * A local endpoint leading to 127.0.0.1:<remotePort> on the replica, made once per (instance id, port) and
   * kept until release/close: the same port is returned on every call, also across SSH reconnects, so a
   * client (etcd3, the Kubernetes adapter's agent) built on it stays valid. Resolves once the replica's SSH connection is up;
   * rejects with a ReachError (an access problem) when it cannot be. Whether the remote port answers is
   * learnt by dialling: a refused remote port closes the local socket and sets `lastError` to ServiceDown.
   */
  forward(target: ReachTarget, remotePort: number): Promise<ReachEndpoint>;
  /**
   * Why the last connection through that forward (or the SSH connection under it) failed; null when the
   * last one went through or none was made. Cleared by the next success.
   */
  lastError(target: Pick<ReachTarget, 'instanceId'>, remotePort: number): ReachError | null;
  /**
   * An admin's answer to HostKeyChanged: reads the host key the replica presents now (a key exchange, no
   * login) and pins it in place of the pinned one, but only when the presented key's fingerprint is the one
   * the admin was shown and the pin is still the one the admin saw replaced; otherwise nothing changes. On
   * success the replica's failure and backoff are forgotten, so the next use connects at once.
   */
  trustPresentedHostKey(
    target: ReachTarget,
    seen: { pinnedFingerprint: string; presentedFingerprint: string },
  ): Promise<TrustHostKeyOutcome>;
  /**
   * Quorum's own `ssh-keys` line (Google's form, expiring after the key's lifetime), for an instance Quorum
   * creates: with it in the instance's metadata from the start, reaching the new instance needs no metadata
   * write while it boots and joins etcd.
   */
  loginKeyLine(): string;
  /** Closes the replica's forwards and SSH connection (a deleted instance). */
  release(target: Pick<ReachTarget, 'instanceId'>): Promise<void>;
  close(): Promise<void>;
}
