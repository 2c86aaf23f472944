// The adapter carries every field a sibling copies, both ways, through the sandbox's Compute emulator (with an
// in-memory VM host): a source made with all of them, read back, derived into a sibling's insert by
// sibling-spec, inserted without an internal IP, and read back again equal field by field, with its own
// internal IP assigned by Compute in the source's subnetwork.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GceCompute } from '@/lib/adapters/gce/gce-compute';
import type { InstanceInfo } from '@/lib/ports/compute';
import { siblingInstanceSpec } from '@/lib/server/operations/steps/sibling-spec';
import { twinRegionSubnet } from '@/sandbox/compute/ip-plan';
import { idleComputeEmulator } from '../support/idle-vm-host';
import { siblingFields } from '../support/sibling-fields';

const NET = 63;
const PROJECT = 'sibling-project';
const HOST = 'sibling-host-net';
const REGION = 'europe-west1';
const SCOPES = [
  'https://www.googleapis.com/auth/devstorage.read_only',
  'https://www.googleapis.com/auth/compute',
  'https://www.googleapis.com/auth/monitoring',
  'https://www.googleapis.com/auth/logging.write',
];

let compute: GceCompute;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ compute, close } = await idleComputeEmulator(NET, { prefix: 'quorum-gce-sibling-' }));
});

afterAll(() => close());

async function mustGet(zone: string, name: string): Promise<InstanceInfo> {
  const i = await compute.getInstance(PROJECT, zone, name);
  if (!i) throw new Error(`${name} is missing`);
  return i;
}

describe('a sibling through the GCE adapter and the emulator', () => {
  it('copies every field of a source on a Shared VPC subnetwork, and Compute assigns its internal IP', async () => {
    await compute.insertInstance({
      project: PROJECT,
      zone: 'europe-west1-b',
      name: 'blue-master',
      machineType: 'n1-standard-4',
      tags: ['blue-master'],
      metadata: [
        { key: 'kube-env', value: 'A: b' },
        { key: 'ssh-keys', value: 'alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ alice' },
        { key: 'kube-master-internal-ip', value: '10.0.0.9' },
      ],
      bootDisk: {
        sourceImage: 'projects/cos-cloud/global/images/cos-113-18244-85-49',
        sizeGb: 40,
        type: 'pd-balanced',
      },
      externalIp: 'ephemeral',
      labels: { 'kube-up-cluster': 'blue' },
      network: `projects/${HOST}/global/networks/default`,
      subnetwork: `projects/${HOST}/regions/${REGION}/subnetworks/default`,
      aliasIpRanges: [{ ipCidrRange: '/30' }],
      networkTier: 'STANDARD',
      serviceAccounts: [{ email: 'default', scopes: SCOPES }],
      scheduling: { preemptible: true, onHostMaintenance: 'TERMINATE', automaticRestart: false },
      minCpuPlatform: 'Intel Cascade Lake',
      shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
    });
    const source = await mustGet('europe-west1-b', 'blue-master');
    const bootDisk = await compute.getDisk(PROJECT, 'europe-west1-b', source.config?.bootDisk ?? '');
    if (!bootDisk) throw new Error('no boot disk');
    expect(source.config?.serviceAccounts[0]?.email).toMatch(/^\d+-compute@developer\.gserviceaccount\.com$/);

    const spec = siblingInstanceSpec(source, bootDisk, {
      project: PROJECT,
      zone: 'europe-west1-c',
      name: 'blue-master-x1y',
      metadata: Object.entries(source.metadata).map(([key, value]) => ({ key, value })),
    });
    await compute.insertInstance(spec);
    const sibling = await mustGet('europe-west1-c', 'blue-master-x1y');
    const siblingBoot = await compute.getDisk(PROJECT, 'europe-west1-c', sibling.config?.bootDisk ?? '');

    const copied = siblingFields;
    expect(copied(sibling, siblingBoot)).toEqual(copied(source, bootDisk));
    expect(copied(sibling, siblingBoot)).toMatchObject({
      bootDiskType: 'pd-balanced',
      bootDiskSizeGb: 40,
      networkTier: 'STANDARD',
      minCpuPlatform: 'Intel Cascade Lake',
    });
    expect(sibling.config?.network).toBe(`projects/${HOST}/global/networks/default`);

    // Instance-specific metadata stays with the source.
    expect(Object.keys(sibling.metadata)).toEqual(['kube-env']);
    // Its own internal IP and alias range, from the subnetwork, clear of the source's.
    const subnet = twinRegionSubnet(NET, 1);
    expect(subnet.hosts).toContain(sibling.internalIp);
    expect(sibling.internalIp).not.toBe(source.internalIp);
    expect(sibling.config?.aliasIpRanges[0]?.ipCidrRange).not.toBe(source.config?.aliasIpRanges[0]?.ipCidrRange);
  });
});
