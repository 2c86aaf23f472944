import type { EtcdClusterName, EtcdMember, EtcdMemberStatus, EtcdPeerView } from '@/lib/core/topology';
import type { ReachTarget } from '@/lib/ports/reach';

/** PEM strings for etcd's client mutual TLS (ETCD_APISERVER_* in kube-master-certs). */
export type EtcdClientCredentials = { caCert: string; clientCert: string; clientKey: string };

/** Mutual TLS with these credentials, or null: plain http (etcd events always; main on pre-1.16 clusters). */
export type EtcdTls = EtcdClientCredentials | null;

/** How a master's two etcd clusters are dialled, as its metadata describes them. */
export type EtcdAccess = Record<EtcdClusterName, EtcdTls>;

/**
 * One member's client port, on the replica's own loopback (kube-up: main 2379, events 4002). The adapter
 * dials it through the reach port (an SSH forward); nothing connects to a VM's etcd port directly.
 */
export type EtcdEndpoint = {
  target: ReachTarget;
  /** The client port on the replica's 127.0.0.1. */
  port: number;
  /**
   * The name its TLS server certificate must carry: `etcd-<instance>` (kube-up's etcd-apiserver server cert
   * names that and 127.0.0.1, never the VM's address). Unused over plain http.
   */
  serverName: string;
};

/** `<instance>:<port>`, for messages (the address actually dialled is a local forward). */
export function endpointLabel(endpoint: Pick<EtcdEndpoint, 'target' | 'port'>): string {
  return `${endpoint.target.instance}:${endpoint.port}`;
}

export interface EtcdAdminPort {
  /** Member list through the first endpoint that answers within the timeout; rejects when none does. */
  memberList(endpoints: EtcdEndpoint[], creds: EtcdTls, timeoutMs: number): Promise<EtcdMember[]>;
  /** maintenance.status of exactly this endpoint; never rejects: a failure is `{ ok: false }`. */
  status(endpoint: EtcdEndpoint, creds: EtcdTls, timeoutMs: number): Promise<EtcdMemberStatus>;
  /**
   * What this member reports about its peers (active peer connections, whether it knows a leader), from its
   * /metrics through the same forward; one GET. Never rejects: a failure is `{ ok: false }`.
   */
  peers(endpoint: EtcdEndpoint, creds: EtcdTls, timeoutMs: number): Promise<EtcdPeerView>;

  // --- backups ----------------------------------------------------------------------------------

  /**
   * The keyspace revision this member serves, by a linearizable read (the member first catches up with the
   * leader): a snapshot taken from it afterwards holds at least this revision. Rejects with a ProviderError.
   */
  revision(endpoint: EtcdEndpoint, creds: EtcdTls, timeoutMs: number): Promise<number>;
  /**
   * Whether a key still in the store was last modified at a revision in [from, to] (linearizable): tells a
   * snapshot that misses writes from one whose newest writes were deletes that compaction has dropped.
   */
  hasKeyModifiedIn(
    endpoint: EtcdEndpoint,
    creds: EtcdTls,
    revisions: { from: number; to: number },
    timeoutMs: number,
  ): Promise<boolean>;
  /**
   * Maintenance.Snapshot of exactly this member, as etcd streams it: the backend database, then etcd's sha256 of
   * it (32 bytes), the file `etcdctl snapshot save` writes and `snapshot restore` checks. The whole stream must
   * end within `timeoutMs`; `signal` cancels it. Iterating rejects with a ProviderError when the stream fails.
   */
  snapshot(
    endpoint: EtcdEndpoint,
    creds: EtcdTls,
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): AsyncIterable<Uint8Array>;

  // --- membership changes ------------------------------------------------------------------------
  // `endpoints` are client URLs of voters (never a learner's: it refuses these RPCs); they are tried in
  // order until one answers, and a refusal from etcd is final. Rejects with a ProviderError:
  // `EtcdRefused` (etcd said no: `unhealthy cluster`, too many learners, not enough started members...),
  // `LearnerNotReady` (promote before the learner is in sync: retry), `NotFound` (no such member),
  // `AlreadyExists` (peer URL taken), `Timeout`, `ProviderUnavailable` (no endpoint answered),
  // `NoAccess` (no endpoint could be reached because of Quorum's own SSH access: nothing was sent).

  /** MemberAdd as a learner; resolves to the new member (name empty until it starts). */
  memberAddLearner(
    endpoints: EtcdEndpoint[],
    creds: EtcdTls,
    peerUrls: string[],
    timeoutMs?: number,
  ): Promise<EtcdMember>;
  /** MemberPromote; `LearnerNotReady` while the learner is not in sync with the leader. */
  memberPromote(endpoints: EtcdEndpoint[], creds: EtcdTls, memberId: string, timeoutMs?: number): Promise<void>;
  memberRemove(endpoints: EtcdEndpoint[], creds: EtcdTls, memberId: string, timeoutMs?: number): Promise<void>;
  /** MoveLeader; etcd only takes it from the current leader, so `leaderEndpoint` must be the leader's URL. */
  moveLeader(leaderEndpoint: EtcdEndpoint, creds: EtcdTls, targetMemberId: string, timeoutMs?: number): Promise<void>;

  close(): Promise<void>;
}
