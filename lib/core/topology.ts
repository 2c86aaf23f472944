// The observed world of one cluster, as `observe` gathers it. Nothing here is stored as truth: every
// field is what the providers answered at `observedAt`, and `null` means "could not be observed".

export type ClusterRef = {
  project: string;
  region: string;
  /** MASTER_NAME in kube-up, e.g. `prod-master`. */
  masterName: string;
};

export const VM_STATUSES = [
  'PENDING',
  'PROVISIONING',
  'STAGING',
  'RUNNING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
  'SUSPENDING',
  'SUSPENDED',
  'REPAIRING',
  'TERMINATED',
  /** A status Compute reported that Quorum does not know (gce-mapping.ts): read as not running. */
  'UNKNOWN',
] as const;
export type VmStatus = (typeof VM_STATUSES)[number];

export const ETCD_CLUSTERS = ['main', 'events'] as const;
export type EtcdClusterName = (typeof ETCD_CLUSTERS)[number];

export type EtcdMember = {
  /** Member id as a decimal string (etcd ids are uint64). */
  id: string;
  /** `etcd-<instance>` by kube-up's convention; empty while an added member has not started. */
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
};

/** What one member said about itself (maintenance.status), or why it did not answer. */
export type EtcdMemberStatus =
  | {
      ok: true;
      /** Same decimal form as EtcdMember.id: the assessment binds a replica to its member by this id. */
      memberId: string;
      /** Decimal like memberId; '0' while the member knows no leader. */
      leaderId: string;
      raftIndex: number;
      raftTerm: number;
      dbSize: number;
      isLearner: boolean;
      version: string;
    }
  /** `error` starts with `timeout:` when the member did not answer in time (see isTimeoutError in assessment.ts). */
  | { ok: false; error: string };

/**
 * What one member's etcd reports about its peers (its /metrics on the client port): the members it has an
 * active peer connection to (`etcd_network_active_peers` > 0) and whether it knows a leader
 * (`etcd_server_has_leader`). Partitions show here first: both sides still answer Quorum, but no longer each other.
 */
export type EtcdPeerView =
  | {
      ok: true;
      /**
       * Decimal member ids (as EtcdMember.id) this member has an active connection to, sorted. May include a member
       * removed since this one started (etcd can leave a removed peer's gauge at 1): read it against the member list.
       */
      activePeers: string[];
      /** null when the metric was missing. */
      hasLeader: boolean | null;
    }
  | { ok: false; error: string };

export type EtcdClusterView = {
  /** Member list as answered by any reachable member; null when no member answered. */
  members: EtcdMember[] | null;
  error: string | null;
};

/** `error` starts with `timeout:` when the API server did not answer in time (see isTimeoutError in assessment.ts). */
export type ApiServerProbe = { ready: boolean; live: boolean } | { ready: null; live: null; error: string };

export type Replica = {
  name: string;
  zone: string;
  internalIp: string | null;
  externalIp: string | null;
  vmStatus: VmStatus;
  etcd: Record<EtcdClusterName, EtcdMemberStatus>;
  /**
   * What the replica's etcd reports about its peers, per etcd cluster where it was asked; absent where it was
   * not (Quorum reads main only), and then the tolerance is computed from counts alone.
   */
  etcdPeers?: Partial<Record<EtcdClusterName, EtcdPeerView>>;
  apiServer: ApiServerProbe;
};

export type ForwardingRule = { name: string; ipAddress: string; portRange: string | null; target: string | null };
export type TargetPool = { name: string; instances: string[] };
export type StaticAddress = {
  name: string;
  address: string;
  status: 'RESERVED' | 'IN_USE' | 'RESERVING';
  /** Names of the resources using it (instance or forwarding rule), last path segment of each selfLink. */
  users: string[];
};

export const LEADER_ELECTED_COMPONENTS = ['kube-controller-manager', 'kube-scheduler', 'cluster-autoscaler'] as const;
export type LeaderElectedComponent = (typeof LEADER_ELECTED_COMPONENTS)[number];

export type LeaseView = {
  component: LeaderElectedComponent;
  /** holderIdentity as written by the component: `<replica name>_<uuid>`; null when nobody holds it. */
  holderIdentity: string | null;
  renewTime: string | null;
  leaseDurationSeconds: number | null;
};

export type NodeView = { name: string; zone: string | null; ready: boolean };

export type Topology = {
  cluster: ClusterRef;
  /** ISO timestamp of the observation. */
  observedAt: string;
  /** Zones of the cluster's region, sorted. */
  regionZones: string[];
  replicas: Replica[];
  etcd: Record<EtcdClusterName, EtcdClusterView>;
  forwardingRule: ForwardingRule | null;
  targetPool: TargetPool | null;
  staticAddress: StaticAddress | null;
  /**
   * From kube-env of the replicas (the first readable one); null when no replica's metadata was readable.
   * `quorumReads` is ETCD_QUORUM_READ of an HA-era kube-env, null where the layout has no such setting
   * (current kube-up: etcd3 storage reads are linearizable).
   */
  settings: { multizone: boolean; quorumReads: boolean | null } | null;
  /** null when no API server answered. */
  leases: LeaseView[] | null;
  nodes: NodeView[] | null;
};

/** A cluster as the fleet lists it before it is observed in full. */
export type ClusterSummaryRef = ClusterRef & { replicaNames: string[] };

/** Cluster id used in URLs and query keys: `project~region~masterName`. */
export function clusterId(ref: ClusterRef): string {
  return `${ref.project}~${ref.region}~${ref.masterName}`;
}

export function parseClusterId(id: string): ClusterRef | null {
  const parts = id.split('~');
  if (parts.length !== 3) return null;
  const [project, region, masterName] = parts as [string, string, string];
  const name = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
  if (!name.test(project) || !name.test(region) || !name.test(masterName)) return null;
  return { project, region, masterName };
}

/** The zone's region, by GCE's naming (`europe-west1-b` is in `europe-west1`). */
export function regionOfZone(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

/** kube-up's replica naming: `<MASTER_NAME>` or `<MASTER_NAME>-xyz`. */
export function isReplicaName(masterName: string, instanceName: string): boolean {
  return instanceName === masterName || new RegExp(`^${escapeRegExp(masterName)}-[a-z0-9]{3}$`).test(instanceName);
}

/** When a lease runs out unless renewed (ms since epoch); null when the lease does not say (no renewal time or duration). */
export function leaseExpiresAt(lease: Pick<LeaseView, 'renewTime' | 'leaseDurationSeconds'>): number | null {
  if (lease.renewTime === null || lease.leaseDurationSeconds === null) return null;
  const renewed = Date.parse(lease.renewTime);
  return Number.isFinite(renewed) ? renewed + lease.leaseDurationSeconds * 1000 : null;
}

/** The replica that wrote a Lease: holderIdentity is `<hostname>_<uuid>`. */
export function holderReplica(holderIdentity: string): string {
  const i = holderIdentity.indexOf('_');
  return i === -1 ? holderIdentity : holderIdentity.slice(0, i);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
