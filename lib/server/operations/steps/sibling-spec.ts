// A new replica is a sibling of the master it copies (kube-up's replicate-master-instance, which runs the
// same `instances create` as the first master): the same service account and scopes, boot image, boot
// disk size and type, network and subnetwork (Shared VPC: in the network project), alias IP ranges,
// scheduling, minimum CPU platform, labels, network tier, shielded VM config, tags and machine type.
// Pure: it derives the insert from what Compute says of the source, so it is tested without Compute.
import type { AliasIpRange, DiskInfo, InsertInstanceSpec, InstanceInfo, MetadataItem } from '@/lib/ports/compute';

import { INSTANCE_SPECIFIC_METADATA } from '@/lib/core/dry-run';

export { INSTANCE_SPECIFIC_METADATA };

export class SiblingSpecError extends Error {
  override readonly name = 'SiblingSpecError';
}

/**
 * Alias ranges as sizes (`/24` from the same named range): a copied CIDR would collide with the source's
 * own, Compute allocates a range of the size. The source's internal master IP (a `/32` alias of the
 * primary range holding `kube-master-internal-ip`) is the source's alone.
 */
function siblingAliasRanges(ranges: readonly AliasIpRange[], internalMasterIp: string | undefined): AliasIpRange[] {
  return ranges
    .filter(
      (r) =>
        !(
          internalMasterIp &&
          r.subnetworkRangeName === undefined &&
          r.ipCidrRange.replace(/\/32$/, '') === internalMasterIp
        ),
    )
    .map((r) => {
      const prefix = /\/(\d{1,2})$/.exec(r.ipCidrRange)?.[1] ?? '32';
      return {
        ipCidrRange: `/${prefix}`,
        ...(r.subnetworkRangeName !== undefined ? { subnetworkRangeName: r.subnetworkRangeName } : {}),
      };
    });
}

/**
 * The insert of replica `name` in `zone`, copied from `source` and its boot disk. `metadata` is the new
 * replica's own (its certificates); instance-specific items are dropped from it here too, and `loginKeys`
 * (Quorum's own key line, so it can log in without a metadata write while the replica joins) become its
 * `ssh-keys`. No internal IP: Compute assigns one in the subnetwork (peers find each other by instance name).
 */
export function siblingInstanceSpec(
  source: InstanceInfo,
  sourceBootDisk: DiskInfo,
  target: {
    project: string;
    zone: string;
    name: string;
    metadata: readonly MetadataItem[];
    dataDisk?: string;
    loginKeys?: string;
  },
): InsertInstanceSpec {
  const config = source.config;
  if (!config) throw new SiblingSpecError(`Compute did not describe ${source.name}: nothing to copy a sibling from`);
  if (!source.machineType) throw new SiblingSpecError(`${source.name} has no machine type to copy`);
  if (!sourceBootDisk.sourceImage) {
    throw new SiblingSpecError(
      `the boot disk ${sourceBootDisk.name} of ${source.name} was not made from an image: there is no boot image to copy`,
    );
  }
  const sourceRegion = source.zone.replace(/-[a-z]$/, '');
  const targetRegion = target.zone.replace(/-[a-z]$/, '');
  if (sourceRegion !== targetRegion) {
    throw new SiblingSpecError(
      `${target.zone} is not in the region of ${source.name} (${sourceRegion}): its subnetwork cannot be copied`,
    );
  }
  return {
    project: target.project,
    zone: target.zone,
    name: target.name,
    machineType: source.machineType,
    tags: [...source.tags],
    metadata: [
      ...target.metadata
        .filter((m) => !INSTANCE_SPECIFIC_METADATA.includes(m.key))
        .map((m) => ({ key: m.key, value: m.value })),
      ...(target.loginKeys ? [{ key: 'ssh-keys', value: target.loginKeys }] : []),
    ],
    bootDisk: { sourceImage: sourceBootDisk.sourceImage, sizeGb: sourceBootDisk.sizeGb, type: sourceBootDisk.type },
    ...(target.dataDisk !== undefined ? { dataDisk: target.dataDisk } : {}),
    // kube-up's replicas have an ephemeral external IP; the static one is the load balancer's.
    externalIp: 'ephemeral',
    labels: { ...config.labels },
    ...(config.network ? { network: config.network } : {}),
    ...(config.subnetwork ? { subnetwork: config.subnetwork } : {}),
    aliasIpRanges: siblingAliasRanges(config.aliasIpRanges, source.metadata['kube-master-internal-ip']),
    ...(config.networkTier ? { networkTier: config.networkTier } : {}),
    serviceAccounts: config.serviceAccounts.map((sa) => ({ email: sa.email, scopes: [...sa.scopes] })),
    ...(config.scheduling ? { scheduling: { ...config.scheduling } } : {}),
    ...(config.minCpuPlatform ? { minCpuPlatform: config.minCpuPlatform } : {}),
    ...(config.shieldedInstanceConfig ? { shieldedInstanceConfig: { ...config.shieldedInstanceConfig } } : {}),
  };
}
