// The sandbox's fixed geography. The order of REGIONS is part of the IP plan: region r (1-based
// position) owns the internal subnetwork 127.N.r.0/24, so append new regions, never reorder.

export type RegionInfo = { name: string; zones: readonly string[] };

export const REGIONS: readonly RegionInfo[] = [
  { name: 'europe-west1', zones: ['europe-west1-b', 'europe-west1-c', 'europe-west1-d'] },
  { name: 'us-central1', zones: ['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f'] },
];

export function findRegion(name: string): RegionInfo | undefined {
  return REGIONS.find((r) => r.name === name);
}

/** 1-based position of the region in the catalog: the third octet of its subnetwork. */
export function regionNumber(name: string): number | undefined {
  const i = REGIONS.findIndex((r) => r.name === name);
  return i < 0 ? undefined : i + 1;
}

export function regionOfZone(zone: string): RegionInfo | undefined {
  return REGIONS.find((r) => r.zones.includes(zone));
}

export const ALL_ZONES: readonly string[] = REGIONS.flatMap((r) => r.zones);

export const DISK_TYPES = ['pd-standard', 'pd-balanced', 'pd-ssd'] as const;
export const NETWORK_NAME = 'default';
export const SUBNETWORK_NAME = 'default';

/** Every zone's `availableCpuPlatforms` (the newest first, as GCE lists them); an instance's minCpuPlatform must be one. */
export const ZONE_CPU_PLATFORMS = [
  'Intel Cascade Lake',
  'Intel Skylake',
  'Intel Broadwell',
  'Intel Haswell',
  'AMD Milan',
] as const;
