import { describe, expect, it } from 'vitest';
import type { DiskInfo, InstanceConfig, InstanceInfo } from '@/lib/ports/compute';
import { siblingInstanceSpec, SiblingSpecError } from './sibling-spec';

const KUBE_UP_SCOPES = [
  'https://www.googleapis.com/auth/devstorage.read_only',
  'https://www.googleapis.com/auth/compute',
  'https://www.googleapis.com/auth/monitoring',
  'https://www.googleapis.com/auth/logging.write',
];

const config: InstanceConfig = {
  serviceAccounts: [{ email: '123456789012-compute@developer.gserviceaccount.com', scopes: KUBE_UP_SCOPES }],
  network: 'projects/host-net/global/networks/shared',
  subnetwork: 'projects/host-net/regions/europe-west1/subnetworks/masters',
  aliasIpRanges: [],
  networkTier: 'STANDARD',
  scheduling: { preemptible: false, onHostMaintenance: 'MIGRATE', automaticRestart: true },
  minCpuPlatform: 'Intel Skylake',
  labels: { 'kube-up-cluster': 'prod', team: 'infra' },
  shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
  bootDisk: 'prod-master-abc',
};

const source: InstanceInfo = {
  id: '1',
  name: 'prod-master-abc',
  zone: 'europe-west1-b',
  status: 'RUNNING',
  internalIp: '10.0.0.5',
  externalIp: '34.1.1.1',
  tags: ['prod-master'],
  metadata: { 'kube-env': 'x', 'kube-master-internal-ip': '10.0.0.2' },
  metadataFingerprint: 'f',
  creationTimestamp: '',
  diskNames: ['prod-master-abc', 'prod-master-abc-pd'],
  machineType: 'n1-standard-2',
  config,
};

const bootDisk: DiskInfo = {
  name: 'prod-master-abc',
  zone: 'europe-west1-b',
  sizeGb: 50,
  type: 'pd-ssd',
  status: 'READY',
  users: ['prod-master-abc'],
  sourceImage: 'projects/cos-cloud/global/images/cos-117-18613-0-79',
};

const target = {
  project: 'svc',
  zone: 'europe-west1-c',
  name: 'prod-master-xyz',
  metadata: [
    { key: 'kube-env', value: 'new' },
    { key: 'ssh-keys', value: 'alice:ssh-ed25519 AAAA alice' },
    { key: 'sshKeys', value: 'bob:ssh-rsa AAAA bob' },
    { key: 'kube-master-internal-ip', value: '10.0.0.2' },
    { key: 'kube-master-certs', value: 'certs' },
  ],
  dataDisk: 'prod-master-xyz-pd',
};

describe('siblingInstanceSpec', () => {
  const spec = siblingInstanceSpec(source, bootDisk, target);

  it.each([
    ['machine type', spec.machineType, 'n1-standard-2'],
    ['tags', spec.tags, ['prod-master']],
    ['boot image', spec.bootDisk?.sourceImage, 'projects/cos-cloud/global/images/cos-117-18613-0-79'],
    ['boot disk size', spec.bootDisk?.sizeGb, 50],
    ['boot disk type', spec.bootDisk?.type, 'pd-ssd'],
    ['network (in the network project)', spec.network, 'projects/host-net/global/networks/shared'],
    [
      'subnetwork (in the network project)',
      spec.subnetwork,
      'projects/host-net/regions/europe-west1/subnetworks/masters',
    ],
    ['service account and scopes', spec.serviceAccounts, config.serviceAccounts],
    ['scheduling', spec.scheduling, config.scheduling],
    ['min CPU platform', spec.minCpuPlatform, 'Intel Skylake'],
    ['labels', spec.labels, config.labels],
    ['network tier', spec.networkTier, 'STANDARD'],
    ['shielded VM config', spec.shieldedInstanceConfig, config.shieldedInstanceConfig],
    [
      'target project, zone and name',
      [spec.project, spec.zone, spec.name],
      ['svc', 'europe-west1-c', 'prod-master-xyz'],
    ],
    ['data disk', spec.dataDisk, 'prod-master-xyz-pd'],
    ['external IP', spec.externalIp, 'ephemeral'],
    ['no internal IP (Compute assigns it)', spec.networkIP, undefined],
  ])('copies %s', (_field, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('keeps the new metadata but none of the instance-specific items', () => {
    expect(spec.metadata.map((m) => m.key)).toEqual(['kube-env', 'kube-master-certs']);
    expect(spec.metadata.find((m) => m.key === 'kube-env')?.value).toBe('new');
  });

  it("gives the new replica Quorum's own login key as its only ssh-keys", () => {
    const line = 'quorum:ssh-ed25519 AAAAC3 google-ssh {"userName":"quorum","expireOn":"2030-01-01T00:00:00+0000"}';
    const s = siblingInstanceSpec(source, bootDisk, { ...target, loginKeys: line });
    expect(s.metadata.filter((m) => m.key === 'ssh-keys')).toEqual([{ key: 'ssh-keys', value: line }]);
  });

  it('copies values, not references: changing the spec leaves the source alone', () => {
    spec.tags.push('other');
    spec.serviceAccounts?.[0]?.scopes.push('https://www.googleapis.com/auth/cloud-platform');
    expect(source.tags).toEqual(['prod-master']);
    expect(config.serviceAccounts[0]?.scopes).toHaveLength(4);
  });

  it.each([
    [
      'a named secondary range as its size',
      [{ ipCidrRange: '10.64.3.0/24', subnetworkRangeName: 'pods-default' }],
      [{ ipCidrRange: '/24', subnetworkRangeName: 'pods-default' }],
    ],
    ['a primary-range alias as its size', [{ ipCidrRange: '10.0.0.16/28' }], [{ ipCidrRange: '/28' }]],
    ['a bare address as a /32', [{ ipCidrRange: '10.0.0.9' }], [{ ipCidrRange: '/32' }]],
    [
      'not the source internal master IP (kube-master-internal-ip)',
      [{ ipCidrRange: '10.0.0.2/32' }, { ipCidrRange: '/24', subnetworkRangeName: 'pods-default' }],
      [{ ipCidrRange: '/24', subnetworkRangeName: 'pods-default' }],
    ],
    ['none when the source has none', [], []],
  ])('copies alias ranges: %s', (_case, ranges, expected) => {
    const s = siblingInstanceSpec({ ...source, config: { ...config, aliasIpRanges: ranges } }, bootDisk, target);
    expect(s.aliasIpRanges).toEqual(expected);
  });

  it.each([
    [
      'no network tier, scheduling, CPU platform or shielded config',
      { networkTier: null, scheduling: null, minCpuPlatform: null, shieldedInstanceConfig: null },
      ['networkTier', 'scheduling', 'minCpuPlatform', 'shieldedInstanceConfig'],
    ],
    ['no network or subnetwork', { network: null, subnetwork: null }, ['network', 'subnetwork']],
  ])('leaves to Compute what the source does not say: %s', (_case, patch, absent) => {
    const s = siblingInstanceSpec({ ...source, config: { ...config, ...patch } }, bootDisk, target);
    for (const key of absent) expect(s).not.toHaveProperty(key);
  });

  it('copies a preemptible master as preemptible', () => {
    const scheduling = { preemptible: true, onHostMaintenance: 'TERMINATE', automaticRestart: false };
    expect(siblingInstanceSpec({ ...source, config: { ...config, scheduling } }, bootDisk, target).scheduling).toEqual(
      scheduling,
    );
  });

  it.each([
    ['the source has no description of its config', { ...source, config: undefined }, bootDisk, /nothing to copy/],
    ['the source has no machine type', { ...source, machineType: null }, bootDisk, /no machine type/],
    ['the boot disk has no image', source, { ...bootDisk, sourceImage: null }, /not made from an image/],
    ['the target zone is in another region', source, bootDisk, /not in the region/],
  ])('refuses when %s', (why, src, disk, message) => {
    const t = why.includes('region') ? { ...target, zone: 'us-central1-b' } : target;
    expect(() => siblingInstanceSpec(src, disk, t)).toThrow(SiblingSpecError);
    expect(() => siblingInstanceSpec(src, disk, t)).toThrow(message);
  });
});
