import { describe, expect, it } from 'vitest';
import { ProviderError } from '@/lib/ports/provider-error';
import {
  lastSegment,
  lowestFreeHost,
  providerErrorFromHttp,
  toDiskInfo,
  toFirewallInfo,
  toForwardingRule,
  toInstanceInfo,
  unreachableZoneOf,
  toProviderError,
  toRegionZones,
  toStaticAddress,
  toSubnetworkRange,
  toTargetPool,
} from './gce-mapping';

const BASE = 'https://compute.googleapis.com/compute/v1/projects/p';

describe('toInstanceInfo', () => {
  it('maps a decoded instance, metadata included', () => {
    expect(
      toInstanceInfo({
        id: '123456789012345678',
        name: 'prod-master-abc',
        zone: `${BASE}/zones/europe-west1-b`,
        status: 'RUNNING',
        networkInterfaces: [
          {
            networkIP: '10.0.0.2',
            network: 'https://compute.googleapis.com/compute/v1/projects/host/global/networks/shared',
            subnetwork:
              'https://compute.googleapis.com/compute/v1/projects/host/regions/europe-west1/subnetworks/masters',
            aliasIpRanges: [{ ipCidrRange: '10.64.1.0/24', subnetworkRangeName: 'pods-default' }],
            accessConfigs: [{ name: 'external-nat', natIP: '34.1.2.3', networkTier: 'STANDARD' }],
          },
        ],
        tags: { items: ['prod-master'] },
        metadata: {
          fingerprint: 'abc=',
          items: [
            { key: 'kube-env', value: "A: 'b'" },
            { key: 'empty', value: null },
          ],
        },
        creationTimestamp: '2024-05-01T10:00:00.000-07:00',
        disks: [
          { source: `${BASE}/zones/europe-west1-b/disks/prod-master-abc`, boot: true },
          { source: `${BASE}/zones/europe-west1-b/disks/prod-master-abc-pd`, boot: false },
        ],
        machineType: `${BASE}/zones/europe-west1-b/machineTypes/n1-standard-4`,
        serviceAccounts: [
          { email: '1-compute@developer.gserviceaccount.com', scopes: ['https://www.googleapis.com/auth/compute'] },
        ],
        // proto3 drops false: a client may hand over scheduling without preemptible.
        scheduling: { onHostMaintenance: 'MIGRATE', automaticRestart: true },
        minCpuPlatform: 'Intel Skylake',
        labels: { 'kube-up-cluster': 'prod' },
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true },
      }),
    ).toEqual({
      id: '123456789012345678',
      name: 'prod-master-abc',
      zone: 'europe-west1-b',
      status: 'RUNNING',
      internalIp: '10.0.0.2',
      externalIp: '34.1.2.3',
      tags: ['prod-master'],
      metadata: { 'kube-env': "A: 'b'", empty: '' },
      metadataFingerprint: 'abc=',
      creationTimestamp: '2024-05-01T10:00:00.000-07:00',
      accessConfigName: 'external-nat',
      diskNames: ['prod-master-abc', 'prod-master-abc-pd'],
      machineType: 'n1-standard-4',
      config: {
        serviceAccounts: [
          { email: '1-compute@developer.gserviceaccount.com', scopes: ['https://www.googleapis.com/auth/compute'] },
        ],
        network: 'projects/host/global/networks/shared',
        subnetwork: 'projects/host/regions/europe-west1/subnetworks/masters',
        aliasIpRanges: [{ ipCidrRange: '10.64.1.0/24', subnetworkRangeName: 'pods-default' }],
        networkTier: 'STANDARD',
        scheduling: { preemptible: false, onHostMaintenance: 'MIGRATE', automaticRestart: true },
        minCpuPlatform: 'Intel Skylake',
        labels: { 'kube-up-cluster': 'prod' },
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: false },
        bootDisk: 'prod-master-abc',
      },
    });
  });

  it.each([
    ['no interfaces', { networkInterfaces: null }, { internalIp: null, externalIp: null }],
    [
      'no access config',
      { networkInterfaces: [{ networkIP: '10.0.0.3', accessConfigs: [] }] },
      { internalIp: '10.0.0.3', externalIp: null },
    ],
    [
      'access config without IP yet',
      { networkInterfaces: [{ networkIP: '10.0.0.3', accessConfigs: [{ natIP: '' }] }] },
      { internalIp: '10.0.0.3', externalIp: null },
    ],
  ])('%s', (_label, patch, expected) => {
    const info = toInstanceInfo({ id: 7, name: 'a', zone: 'zones/us-central1-b', status: 'STOPPING', ...patch });
    expect({ internalIp: info.internalIp, externalIp: info.externalIp }).toEqual(expected);
    expect(info.metadata).toEqual({});
    expect(info.tags).toEqual([]);
  });

  it.each([
    ['missing name', { id: '1', zone: 'z', status: 'RUNNING' }],
    ['not an object', 'instance'],
    ['missing id', { name: 'a', zone: 'z', status: 'RUNNING' }],
    ['an id that is not a number', { id: 'abc', name: 'a', zone: 'z', status: 'RUNNING' }],
  ])('rejects %s with a ProviderError', (_label, raw) => {
    expect(() => toInstanceInfo(raw)).toThrow(ProviderError);
  });

  it.each([
    ['PENDING', 'PENDING'],
    ['DEPROVISIONING', 'DEPROVISIONING'],
    ['EXPLODED', 'UNKNOWN'],
    [undefined, 'UNKNOWN'],
  ])(
    'reads status %s as %s instead of failing (a status GCE adds later must not fail the fleet)',
    (status, expected) => {
      expect(toInstanceInfo({ id: '7', name: 'a', zone: 'z', status }).status).toBe(expected);
    },
  );
});

describe('aggregatedList scopes', () => {
  it.each([
    ['zones/europe-west1-b', { warning: { code: 'UNREACHABLE', message: 'x' } }, 'europe-west1-b'],
    ['zones/europe-west1-b', { warning: { code: 13328052 } }, 'europe-west1-b'],
    ['zones/europe-west1-b', { warning: { code: 'NO_RESULTS_ON_PAGE' } }, null],
    ['zones/europe-west1-b', { instances: [] }, null],
    ['regions/europe-west1', { warning: { code: 'UNREACHABLE' } }, null],
  ])('%s %j -> unreachable zone %s', (key, scoped, zone) => {
    expect(unreachableZoneOf(key, scoped)).toBe(zone);
  });
});

describe('region, LB and address', () => {
  it('lists region zones by name, sorted', () => {
    expect(
      toRegionZones({ name: 'europe-west1', zones: [`${BASE}/zones/europe-west1-d`, `${BASE}/zones/europe-west1-b`] }),
    ).toEqual(['europe-west1-b', 'europe-west1-d']);
  });

  it('maps a forwarding rule', () => {
    expect(
      toForwardingRule({
        name: 'prod-master',
        IPAddress: '35.1.1.1',
        portRange: '443-443',
        target: `${BASE}/regions/europe-west1/targetPools/prod-master`,
      }),
    ).toEqual({ name: 'prod-master', ipAddress: '35.1.1.1', portRange: '443-443', target: 'prod-master' });
  });

  it('maps a target pool to instance names', () => {
    expect(
      toTargetPool({
        name: 'prod-master',
        instances: [
          `${BASE}/zones/europe-west1-c/instances/prod-master-x2b`,
          `${BASE}/zones/europe-west1-b/instances/prod-master-a1c`,
        ],
      }),
    ).toEqual({ name: 'prod-master', instances: ['prod-master-a1c', 'prod-master-x2b'] });
  });

  it('maps a static address and its users', () => {
    expect(
      toStaticAddress({
        name: 'prod-master-ip',
        address: '35.1.1.1',
        status: 'IN_USE',
        users: [`${BASE}/regions/europe-west1/forwardingRules/prod-master`],
      }),
    ).toEqual({ name: 'prod-master-ip', address: '35.1.1.1', status: 'IN_USE', users: ['prod-master'] });
  });

  it('lastSegment', () => {
    expect(lastSegment('zones/a-b')).toBe('a-b');
    expect(lastSegment('plain')).toBe('plain');
    expect(lastSegment('x/y/')).toBe('y');
  });
});

describe('toProviderError', () => {
  const gceBody = (code: number, reason: string, message: string) =>
    JSON.stringify({ error: { code, message, errors: [{ reason, message }] } });

  it.each([
    [
      'REST 404',
      { code: 404, message: gceBody(404, 'notFound', "The resource 'x' was not found") },
      'NotFound',
      404,
      'notFound',
    ],
    [
      'REST 409 alreadyExists',
      { code: 409, message: gceBody(409, 'alreadyExists', 'exists') },
      'AlreadyExists',
      409,
      'alreadyExists',
    ],
    [
      'REST 409 other',
      { code: 409, message: gceBody(409, 'resourceInUseByAnotherResource', 'in use') },
      'Conflict',
      409,
      'resourceInUseByAnotherResource',
    ],
    ['REST 400', { code: 400, message: gceBody(400, 'invalid', 'bad zone') }, 'InvalidArgument', 400, 'invalid'],
    ['REST 403', { code: 403, message: gceBody(403, 'forbidden', 'no') }, 'PermissionDenied', 403, 'forbidden'],
    ['REST 503', { code: 503, message: 'Service Unavailable' }, 'ProviderUnavailable', 503, null],
    ['gRPC NOT_FOUND', { code: 5, message: '5 NOT_FOUND: gone' }, 'NotFound', 404, null],
    [
      'refused',
      { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:8780' },
      'ProviderUnavailable',
      null,
      null,
    ],
    ['plain error', new Error('boom'), 'Unknown', null, null],
  ])('%s', (_label, err, code, httpStatus, reason) => {
    const pe = toProviderError(err, 'instances.get p/z/i');
    expect(pe).toBeInstanceOf(ProviderError);
    expect({ code: pe.code, httpStatus: pe.httpStatus, reason: pe.reason }).toEqual({ code, httpStatus, reason });
    expect(pe.message.startsWith('instances.get p/z/i: ')).toBe(true);
  });

  it('uses the message inside GCE error JSON', () => {
    expect(
      toProviderError({ code: 404, message: gceBody(404, 'notFound', "The resource 'x' was not found") }, 'ctx')
        .message,
    ).toBe("ctx: The resource 'x' was not found");
  });
});

describe('disks, firewalls, subnetworks', () => {
  it('maps a disk', () => {
    expect(
      toDiskInfo({
        name: 'm-pd',
        zone: `${BASE}/zones/us-central1-b`,
        sizeGb: '20',
        type: `${BASE}/zones/us-central1-b/diskTypes/pd-ssd`,
        status: 'READY',
        users: [`${BASE}/zones/us-central1-b/instances/m`],
      }),
    ).toEqual({
      name: 'm-pd',
      zone: 'us-central1-b',
      sizeGb: 20,
      type: 'pd-ssd',
      status: 'READY',
      users: ['m'],
      sourceImage: null,
    });
    expect(
      toDiskInfo({
        name: 'm',
        zone: 'z',
        sourceImage: 'https://compute.googleapis.com/compute/v1/projects/cos-cloud/global/images/cos-1',
      }).sourceImage,
    ).toBe('projects/cos-cloud/global/images/cos-1');
  });

  it('maps a firewall', () => {
    expect(
      toFirewallInfo({
        name: 'm-etcd',
        network: `${BASE}/global/networks/default`,
        sourceTags: ['m'],
        targetTags: ['m'],
        allowed: [{ IPProtocol: 'tcp', ports: ['2380', '2381'] }],
      }),
    ).toEqual({
      name: 'm-etcd',
      network: 'default',
      sourceRanges: [],
      sourceTags: ['m'],
      targetTags: ['m'],
      allowed: [{ protocol: 'tcp', ports: ['2380', '2381'] }],
    });
  });

  it('reads a subnetwork range', () => {
    expect(toSubnetworkRange({ name: 'default', ipCidrRange: '10.128.0.0/20' })).toBe('10.128.0.0/20');
    expect(() => toSubnetworkRange({ name: 'default' })).toThrow(ProviderError);
  });
});

describe('lowestFreeHost', () => {
  it.each([
    ['empty /24 starts after the gateway', '127.20.2.0/24', [], '127.20.2.2'],
    ['skips used hosts', '127.20.2.0/24', ['127.20.2.2', '127.20.2.3'], '127.20.2.4'],
    ['a /20 crosses octets', '10.128.0.0/20', Array.from({ length: 254 }, (_, i) => `10.128.0.${i + 2}`), '10.128.1.0'],
    ['full /29 (hosts .2-.5)', '10.0.0.0/29', ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'], null],
    ['never hands out the last two', '10.0.0.0/29', ['10.0.0.2', '10.0.0.3', '10.0.0.4'], '10.0.0.5'],
  ])('%s', (_label, cidr, used, expected) => {
    expect(lowestFreeHost(cidr, new Set(used))).toBe(expected);
  });

  it('rejects a range it cannot read', () => {
    expect(() => lowestFreeHost('fe80::/64', new Set())).toThrow(ProviderError);
  });
});

describe('providerErrorFromHttp for mutations', () => {
  it.each([
    [409, 'alreadyExists', 'AlreadyExists'],
    [409, 'RESOURCE_ALREADY_EXISTS', 'AlreadyExists'],
    [409, 'resourceInUseByAnotherResource', 'Conflict'],
    [404, 'RESOURCE_NOT_FOUND', 'NotFound'],
    [400, 'invalid', 'InvalidArgument'],
  ])('%i %s -> %s', (status, reason, code) => {
    expect(providerErrorFromHttp(status, 'x', { reason }).code).toBe(code);
  });
});
