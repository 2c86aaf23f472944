import type { ForwardingRule, StaticAddress, TargetPool, VmStatus } from '@/lib/core/topology';

/** One Compute Engine instance as the services need it. `metadata` holds secrets: never send it to a client. */
export type InstanceInfo = {
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
};

/**
 * The Compute Engine calls Quorum makes. Implemented on @google-cloud/compute only (lib/adapters/gce),
 * pointed at Google or at the sandbox emulator. Every method rejects with a ProviderError on failure;
 * "not found" reads resolve to null instead.
 */
export interface ComputePort {
  /** Zones of a region, sorted by name. */
  listRegionZones(project: string, region: string): Promise<string[]>;
  /** Every instance of the project (aggregatedList), for fleet discovery. */
  listAllInstances(project: string): Promise<InstanceInfo[]>;
  /**
   * Instances in every zone of the project whose name matches the regex (aggregatedList with GCE filter
   * `name eq <regex>`): a cluster's replicas are looked for everywhere, so one in another region is seen.
   */
  listInstances(project: string, nameRegex: string): Promise<InstanceInfo[]>;
  getForwardingRule(project: string, region: string, name: string): Promise<ForwardingRule | null>;
  getTargetPool(project: string, region: string, name: string): Promise<TargetPool | null>;
  getAddress(project: string, region: string, name: string): Promise<StaticAddress | null>;
}
