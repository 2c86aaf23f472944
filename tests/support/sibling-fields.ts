// Every field a new replica copies from its source master (issue 11: a sibling), one by one, as Compute reports
// them: the sibling tests compare these of the new instance with its source's.
import type { DiskInfo, InstanceInfo } from '@/lib/ports/compute';

export function siblingFields(i: InstanceInfo, boot: DiskInfo | null) {
  return {
    machineType: i.machineType,
    tags: i.tags,
    serviceAccounts: i.config?.serviceAccounts,
    bootImage: boot?.sourceImage,
    bootDiskSizeGb: boot?.sizeGb,
    bootDiskType: boot?.type,
    network: i.config?.network,
    subnetwork: i.config?.subnetwork,
    // Alias ranges are copied by size and range name: each instance gets its own addresses.
    aliasIpRanges: i.config?.aliasIpRanges.map(
      (a) => `${a.subnetworkRangeName ?? 'primary'}:/${a.ipCidrRange.split('/')[1] ?? '32'}`,
    ),
    scheduling: i.config?.scheduling,
    minCpuPlatform: i.config?.minCpuPlatform,
    labels: i.config?.labels,
    networkTier: i.config?.networkTier,
    shieldedInstanceConfig: i.config?.shieldedInstanceConfig,
  };
}
