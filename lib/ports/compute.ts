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

/** nic0's external address: a new ephemeral one, none, or a reserved static address of the region. */
export type ExternalIpSpec = 'ephemeral' | 'none' | { natIP: string };

export type InsertInstanceSpec = {
  project: string;
  zone: string;
  name: string;
  /** Machine type name in the zone (e.g. `n1-standard-1`). */
  machineType: string;
  /** Internal IP on the region's default subnetwork; chosen by Compute when absent. */
  networkIP?: string;
  tags: string[];
  metadata: MetadataItem[];
  /** Boot disk made from an image and deleted with the instance. Defaults to COS stable, 20 GB pd-standard. */
  bootDisk?: { sourceImage?: string; sizeGb?: number };
  /** Existing disk in the zone to attach read-write with device name `master-pd` (kube-up: `<instance>-pd`). */
  dataDisk?: string;
  externalIp: ExternalIpSpec;
  labels?: Record<string, string>;
};

export type DiskInfo = { name: string; zone: string; sizeGb: number; type: string; status: string; users: string[] };

export type FirewallInfo = {
  name: string;
  network: string;
  sourceRanges: string[];
  sourceTags: string[];
  targetTags: string[];
  allowed: Array<{ protocol: string; ports: string[] }>;
};

export type FirewallSpec = Omit<FirewallInfo, 'network'> & { network?: string };

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
  getForwardingRule(project: string, region: string, name: string): Promise<ForwardingRule | null>;
  getTargetPool(project: string, region: string, name: string): Promise<TargetPool | null>;
  getAddress(project: string, region: string, name: string): Promise<StaticAddress | null>;

  // --- mutations ---------------------------------------------------------------------------------
  // Each waits for its Operation and rejects with a ProviderError: `AlreadyExists` when the resource is
  // there already, `NotFound` when what it acts on is missing, `InvalidArgument` for a request Compute
  // refuses (bad IP, address in use...). Idempotency is the caller's business (ensure-steps observe first).

  getInstance(project: string, zone: string, name: string): Promise<InstanceInfo | null>;
  insertInstance(spec: InsertInstanceSpec): Promise<void>;
  deleteInstance(project: string, zone: string, name: string): Promise<void>;
  /** Replaces the whole metadata; `fingerprint` is the one last read (a stale one fails with `Conflict`). */
  setInstanceMetadata(project: string, zone: string, name: string, items: MetadataItem[], fingerprint: string): Promise<void>;
  /** Adds nic0's access config `external-nat`: ephemeral when natIP is null, else that static address. */
  addAccessConfig(project: string, zone: string, instance: string, natIP: string | null): Promise<void>;
  deleteAccessConfig(project: string, zone: string, instance: string, accessConfigName: string): Promise<void>;

  getDisk(project: string, zone: string, name: string): Promise<DiskInfo | null>;
  insertDisk(project: string, zone: string, disk: { name: string; sizeGb: number; type: 'pd-ssd' | 'pd-standard' }): Promise<void>;
  deleteDisk(project: string, zone: string, name: string): Promise<void>;

  /** Reserves a static external address in the region; `address` picks a given one. */
  insertAddress(project: string, region: string, name: string, address?: string): Promise<StaticAddress>;
  deleteAddress(project: string, region: string, name: string): Promise<void>;

  insertTargetPool(project: string, region: string, pool: { name: string; instances: InstanceRef[] }): Promise<void>;
  deleteTargetPool(project: string, region: string, name: string): Promise<void>;
  addTargetPoolInstance(project: string, region: string, pool: string, instance: InstanceRef): Promise<void>;
  removeTargetPoolInstance(project: string, region: string, pool: string, instance: InstanceRef): Promise<void>;

  /** TCP forwarding rule on `ipAddress` (the static IP) to the target pool `target` of the region. */
  insertForwardingRule(project: string, region: string, rule: { name: string; ipAddress: string; portRange: string; target: string }): Promise<void>;
  deleteForwardingRule(project: string, region: string, name: string): Promise<void>;

  getFirewall(project: string, name: string): Promise<FirewallInfo | null>;
  insertFirewall(project: string, rule: FirewallSpec): Promise<void>;
  deleteFirewall(project: string, name: string): Promise<void>;

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
  getGuestAttributes(project: string, zone: string, instance: string, queryPath: string): Promise<GuestAttribute[] | null>;
}
