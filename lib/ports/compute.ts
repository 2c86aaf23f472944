import type { ForwardingRule, StaticAddress, TargetPool, VmStatus } from '@/lib/core/topology';

/** One Compute Engine instance as the services need it. `metadata` holds secrets: never send it to a client. */
export type InstanceInfo = {
  /** Compute Engine's instance id (decimal): stays with the VM, unlike its name, so host keys are pinned by it. */
  id: string;
  name: string;
  zone: string;
  status: VmStatus;
  internalIp: string | null;
  /** natIP of the first access config of nic0, if any. */
  externalIp: string | null;
  tags: string[];
  metadata: Record<string, string>;
  metadataFingerprint: string | null;
  creationTimestamp: string;
  /** Name of nic0's first access config (kube-up: `external-nat`), needed to delete it; null when none. */
  accessConfigName?: string | null;
  /** Names (last path segment) of the attached disks, boot disk first. */
  diskNames?: string[];
  /** Machine type name (last segment of its URL), e.g. `n1-standard-4`; null when Compute did not say. */
  machineType?: string | null;
  /** How the instance is made, as far as a sibling copies it (see lib/server/operations/steps/sibling-spec.ts). */
  config?: InstanceConfig;
};

export type ServiceAccount = { email: string; scopes: string[] };
/** An alias IP range of nic0: a CIDR, or `/N` (a size Compute allocates), from the primary or a named secondary range. */
export type AliasIpRange = { ipCidrRange: string; subnetworkRangeName?: string };
export type Scheduling = { preemptible: boolean; onHostMaintenance: string; automaticRestart: boolean };
export type ShieldedInstanceConfig = {
  enableSecureBoot: boolean;
  enableVtpm: boolean;
  enableIntegrityMonitoring: boolean;
};

/** What an instance is made of beyond its name, zone and metadata. URLs are partial (`projects/...`). */
export type InstanceConfig = {
  serviceAccounts: ServiceAccount[];
  /** nic0's network, e.g. `projects/host-project/global/networks/default` (the project is the network project). */
  network: string | null;
  /** nic0's subnetwork, e.g. `projects/host-project/regions/europe-west1/subnetworks/default`. */
  subnetwork: string | null;
  aliasIpRanges: AliasIpRange[];
  /** networkTier of nic0's first access config; null without one. */
  networkTier: string | null;
  scheduling: Scheduling | null;
  minCpuPlatform: string | null;
  labels: Record<string, string>;
  shieldedInstanceConfig: ShieldedInstanceConfig | null;
  /** Name of the boot disk (its image, size and type are the disk's). */
  bootDisk: string | null;
};

export type MetadataItem = { key: string; value: string };

/**
 * An aggregated instance list that may be partial: `unreachableZones` are zones Compute could not answer for
 * (their instances are missing from `instances`), sorted by name.
 */
export type InstanceListing = { instances: InstanceInfo[]; unreachableZones: string[] };

/** A project's common instance metadata (projects.get `commonInstanceMetadata`). Holds secrets: server-only. */
export type ProjectMetadata = { items: Record<string, string>; fingerprint: string | null };

/** One guest attribute (`instances.getGuestAttributes`), e.g. namespace `hostkeys`, key `ssh-ed25519`. */
export type GuestAttribute = { namespace: string; key: string; value: string };

export type RegionInfo = { name: string; zones: string[] };

/**
 * A project-wide list of a regional resource (aggregatedList): each item with its region. `unreachableRegions`
 * are regions Compute could not answer for (their items are missing), sorted by name.
 */
export type RegionalListing<T> = { items: Array<{ region: string; resource: T }>; unreachableRegions: string[] };

/** nic0's external address: a new ephemeral one, none, or a reserved static address of the region. */
export type ExternalIpSpec = 'ephemeral' | 'none' | { natIP: string };

export type InsertInstanceSpec = {
  project: string;
  zone: string;
  name: string;
  /** Machine type name in the zone (e.g. `n1-standard-1`). */
  machineType: string;
  /** Internal IP on the subnetwork; chosen by Compute when absent (read it back with getInstance). */
  networkIP?: string;
  tags: string[];
  metadata: MetadataItem[];
  /** Boot disk made from an image and deleted with the instance. Defaults to COS stable, 20 GB pd-standard. */
  bootDisk?: { sourceImage?: string; sizeGb?: number; type?: string };
  /** Existing disk in the zone to attach read-write with device name `master-pd` (kube-up: `<instance>-pd`). */
  dataDisk?: string;
  externalIp: ExternalIpSpec;
  labels?: Record<string, string>;
  /** nic0's network and subnetwork URLs (Shared VPC: in the network project); the project's `default` ones when absent. */
  network?: string;
  subnetwork?: string;
  aliasIpRanges?: AliasIpRange[];
  /** Of the access config; Compute's default (PREMIUM) when absent. */
  networkTier?: string;
  /** None when absent (kube-up's masters have the default compute service account). */
  serviceAccounts?: ServiceAccount[];
  /** kube-up's (MIGRATE, automatic restart) when absent. */
  scheduling?: Scheduling;
  minCpuPlatform?: string;
  shieldedInstanceConfig?: ShieldedInstanceConfig;
};

export type DiskInfo = {
  name: string;
  zone: string;
  sizeGb: number;
  type: string;
  status: string;
  users: string[];
  /** The image the disk was made from (partial URL), null when none (a blank disk). */
  sourceImage?: string | null;
};

export type FirewallInfo = {
  name: string;
  network: string;
  sourceRanges: string[];
  sourceTags: string[];
  targetTags: string[];
  allowed: Array<{ protocol: string; ports: string[] }>;
};

export type FirewallSpec = Omit<FirewallInfo, 'network'> & { network?: string };

/**
 * Options of every mutation. `requestId`: a UUID Compute dedupes per project, so the same call sent again
 * (a retry, a resume after a crash) returns the first call's Operation instead of acting twice. A caller that
 * gives one keeps it (the operation journal) and does its own retries; without one the adapter makes one.
 */
export type MutationOptions = { requestId?: string };

/** A target pool member: a full instance URL, or the zone and name of an instance in the same project. */
export type InstanceRef = string | { zone: string; name: string };

/**
 * The Compute Engine calls Quorum makes. Implemented on @google-cloud/compute only (lib/adapters/gce),
 * pointed at Google or at the sandbox emulator. Every method rejects with a ProviderError on failure;
 * "not found" reads resolve to null instead.
 */
export interface ComputePort {
  /** Zones of a region, sorted by name. */
  listRegionZones(project: string, region: string): Promise<string[]>;
  /** Every region of the project with its zones, both sorted by name (where a new cluster may go). */
  listRegions(project: string): Promise<RegionInfo[]>;
  /** Every instance of the project (aggregatedList), for fleet discovery. */
  listAllInstances(project: string): Promise<InstanceInfo[]>;
  /**
   * Instances in every zone of the project whose name matches the regex (aggregatedList with GCE filter
   * `name eq <regex>`): a cluster's replicas are looked for everywhere, so one in another region is seen.
   */
  listInstances(project: string, nameRegex: string): Promise<InstanceInfo[]>;
  /**
   * Instances named like kube-up masters (`<prefix>-master`, `<prefix>-master-<3 chars>`) in every zone, for fleet
   * discovery. Asks for partial success: a zone Compute cannot reach now is listed in `unreachableZones` instead of
   * failing the whole call.
   */
  listMasterInstances(project: string): Promise<InstanceListing>;
  /**
   * The project's forwarding rules, target pools and static addresses in every region whose name matches the
   * regex (aggregatedList with filter `name eq <regex>`, partial success): one request each however many clusters
   * the project has, so the fleet costs the same at 200 clusters as at 2.
   */
  listAllForwardingRules(project: string, nameRegex: string): Promise<RegionalListing<ForwardingRule>>;
  listAllTargetPools(project: string, nameRegex: string): Promise<RegionalListing<TargetPool>>;
  listAllAddresses(project: string, nameRegex: string): Promise<RegionalListing<StaticAddress>>;
  getForwardingRule(project: string, region: string, name: string): Promise<ForwardingRule | null>;
  getTargetPool(project: string, region: string, name: string): Promise<TargetPool | null>;
  getAddress(project: string, region: string, name: string): Promise<StaticAddress | null>;

  // --- mutations ---------------------------------------------------------------------------------
  // Each waits for its Operation and rejects with a ProviderError: `AlreadyExists` when the resource is
  // there already, `NotFound` when what it acts on is missing, `InvalidArgument` for a request Compute
  // refuses (bad IP, address in use...), `QuotaExceeded`, `ZoneExhausted` (a stockout), `PermissionDenied`,
  // and the transient ones (isTransientProviderError). Idempotency is the caller's business (ensure-steps
  // observe first, and send a journaled requestId).

  getInstance(project: string, zone: string, name: string): Promise<InstanceInfo | null>;
  /**
   * What became of a zonal mutation sent earlier with `requestId` (say, before a crash, with no answer read): its
   * Operation, found by clientOperationId (zoneOperations.list, filter `clientOperationId = "<requestId>"`), is
   * waited for like the mutation itself and resolves with its name and type; rejects with the ProviderError of its
   * failure. null when Compute holds no such Operation: the call never reached it (or is older than Compute keeps).
   */
  awaitZoneMutation(
    project: string,
    zone: string,
    requestId: string,
  ): Promise<{ operation: string; operationType: string } | null>;
  insertInstance(spec: InsertInstanceSpec, opts?: MutationOptions): Promise<void>;
  deleteInstance(project: string, zone: string, name: string, opts?: MutationOptions): Promise<void>;
  /** instances.start: a TERMINATED instance boots again with its disks (resolves once the operation is DONE). */
  startInstance(project: string, zone: string, name: string, opts?: MutationOptions): Promise<void>;
  /** instances.reset: a hard reset of a RUNNING instance, like pressing the reset button; its disks stay. */
  resetInstance(project: string, zone: string, name: string, opts?: MutationOptions): Promise<void>;
  /** Replaces the whole metadata; `fingerprint` is the one last read (a stale one fails with `Conflict`). */
  setInstanceMetadata(
    project: string,
    zone: string,
    name: string,
    items: MetadataItem[],
    fingerprint: string,
    opts?: MutationOptions,
  ): Promise<void>;
  /** Adds nic0's access config `external-nat`: ephemeral when natIP is null, else that static address. */
  addAccessConfig(
    project: string,
    zone: string,
    instance: string,
    natIP: string | null,
    opts?: MutationOptions,
  ): Promise<void>;
  deleteAccessConfig(
    project: string,
    zone: string,
    instance: string,
    accessConfigName: string,
    opts?: MutationOptions,
  ): Promise<void>;

  getDisk(project: string, zone: string, name: string): Promise<DiskInfo | null>;
  insertDisk(
    project: string,
    zone: string,
    disk: { name: string; sizeGb: number; type: string },
    opts?: MutationOptions,
  ): Promise<void>;
  deleteDisk(project: string, zone: string, name: string, opts?: MutationOptions): Promise<void>;

  /** Reserves a static external address in the region; `address` picks a given one. */
  insertAddress(
    project: string,
    region: string,
    name: string,
    address?: string,
    opts?: MutationOptions,
  ): Promise<StaticAddress>;
  deleteAddress(project: string, region: string, name: string, opts?: MutationOptions): Promise<void>;

  insertTargetPool(
    project: string,
    region: string,
    pool: { name: string; instances: InstanceRef[] },
    opts?: MutationOptions,
  ): Promise<void>;
  deleteTargetPool(project: string, region: string, name: string, opts?: MutationOptions): Promise<void>;
  addTargetPoolInstance(
    project: string,
    region: string,
    pool: string,
    instance: InstanceRef,
    opts?: MutationOptions,
  ): Promise<void>;
  removeTargetPoolInstance(
    project: string,
    region: string,
    pool: string,
    instance: InstanceRef,
    opts?: MutationOptions,
  ): Promise<void>;

  /** TCP forwarding rule on `ipAddress` (the static IP) to the target pool `target` of the region. */
  insertForwardingRule(
    project: string,
    region: string,
    rule: { name: string; ipAddress: string; portRange: string; target: string },
    opts?: MutationOptions,
  ): Promise<void>;
  deleteForwardingRule(project: string, region: string, name: string, opts?: MutationOptions): Promise<void>;

  getFirewall(project: string, name: string): Promise<FirewallInfo | null>;
  insertFirewall(project: string, rule: FirewallSpec, opts?: MutationOptions): Promise<void>;
  deleteFirewall(project: string, name: string, opts?: MutationOptions): Promise<void>;

  /** ipCidrRange of the region's `default` subnetwork. */
  getSubnetworkRange(project: string, region: string): Promise<string>;
  /**
   * Lowest usable host of the region's subnetwork (GCE keeps network, gateway and the last two) that no
   * instance of the project uses and no address of the region holds. A hint: Compute has the last word.
   */
  freeInternalIp(project: string, region: string): Promise<string>;

  // --- SSH access (lib/adapters/reach) -------------------------------------------------------------

  /** The project's common instance metadata (`enable-oslogin`, project-wide `ssh-keys`); null when not found. */
  getProjectMetadata(project: string): Promise<ProjectMetadata | null>;
  /**
   * Guest attributes under `queryPath` (e.g. `hostkeys/`); null when the instance publishes none there
   * (guest attributes disabled, nothing written yet, or no such instance).
   */
  getGuestAttributes(
    project: string,
    zone: string,
    instance: string,
    queryPath: string,
  ): Promise<GuestAttribute[] | null>;
}
