import { describe, expect, it } from 'vitest';
import { parseCidr } from '../net/firewall-plan';
import { regionNumber } from './catalog';
import { REGIONS } from './catalog';
import {
  autoModeAddressPlan,
  ephemeralExternalPool,
  inSubnet,
  isExternalRange,
  isIpv4,
  lowestFree,
  regionSubnet,
  staticExternalPool,
  subnetHosts,
  TWIN_MAX_REGIONS,
  twinBlock,
  twinEphemeralExternalPool,
  twinInBlock,
  twinInternalRange,
  twinIsExternalRange,
  twinLoadBalancerHostIp,
  twinMetadataHostIp,
  twinRegionSubnet,
  twinAddressPlan,
  twinStaticExternalPool,
} from './ip-plan';

describe('IP plan', () => {
  // The twin's plan (see the second describe): net N owns 198.18.0.0 + N * 1024 /22; net 10 is 198.18.40.0/22.
  it.each([
    ['europe-west1', 10, '198.18.40.0/25'],
    ['us-central1', 10, '198.18.40.128/25'],
    ['us-central1', 40, '198.18.160.128/25'],
  ])('%s with SANDBOX_NET=%i has subnetwork %s', (region, net, cidr) => {
    const n = regionNumber(region);
    expect(n).toBeDefined();
    expect(regionSubnet(net, n ?? 0).cidr).toBe(cidr);
  });

  it('keeps the network address, .1 (gateway), the second-to-last and the broadcast address out of the usable hosts', () => {
    const hosts = subnetHosts(regionSubnet(10, 1));
    expect(hosts[0]).toBe('198.18.40.2');
    expect(hosts.at(-1)).toBe('198.18.40.125');
    expect(hosts).toHaveLength(124);
  });

  it.each([
    ['198.18.40.2', true],
    ['198.18.40.1', false],
    ['198.18.40.130', false],
    ['198.18.40.126', false],
    ['198.18.40.127', false],
  ])('inSubnet(europe-west1, %s) = %s', (ip, expected) => {
    expect(inSubnet(regionSubnet(10, 1), ip)).toBe(expected);
  });

  it("takes ephemeral and static external addresses from the two halves of the block's external /24", () => {
    expect(ephemeralExternalPool(10)[0]).toBe('198.18.42.1');
    expect(staticExternalPool(10)[0]).toBe('198.18.42.129');
    expect(isExternalRange(10, '198.18.42.77')).toBe(true);
    expect(isExternalRange(10, '198.18.40.2')).toBe(false);
    expect(isExternalRange(10, '198.18.43.1')).toBe(false);
    expect(isExternalRange(11, '198.18.42.77')).toBe(false);
  });

  it('allocates the lowest free address', () => {
    const hosts = subnetHosts(regionSubnet(10, 1));
    expect(lowestFree(hosts, new Set(['198.18.40.2', '198.18.40.4']))).toBe('198.18.40.3');
    expect(lowestFree(hosts, new Set(hosts))).toBeUndefined();
  });

  it("the twin's plan as an AddressPlan is the same plan", () => {
    const plan = twinAddressPlan(10);
    expect(plan.regionSubnet(2)).toEqual(regionSubnet(10, 2));
    expect(plan.ephemeralExternalPool()).toEqual(ephemeralExternalPool(10));
    expect(plan.staticExternalPool()).toEqual(staticExternalPool(10));
    expect(plan.isExternalRange('198.18.42.77')).toBe(true);
    expect(plan.isExternalRange('198.18.43.1')).toBe(false);
    expect(plan.autoCreateSubnetworks).toBe(false);
  });

  it("Compute Engine's auto-mode plan: each region's /20 at Google's range, 4092 usable hosts, RFC 5737 external pools", () => {
    const plan = autoModeAddressPlan(REGIONS.map((r) => r.name));
    const europe = plan.regionSubnet(regionNumber('europe-west1') ?? 0);
    const us = plan.regionSubnet(regionNumber('us-central1') ?? 0);
    expect([europe.cidr, europe.gateway, us.cidr, us.gateway]).toEqual([
      '10.132.0.0/20',
      '10.132.0.1',
      '10.128.0.0/20',
      '10.128.0.1',
    ]);
    expect(europe.hosts).toHaveLength(4092);
    expect([europe.hosts[0], europe.hosts.at(-1)]).toEqual(['10.132.0.2', '10.132.15.253']);
    expect([
      inSubnet(europe, '10.132.15.253'),
      inSubnet(europe, '10.132.15.254'),
      inSubnet(europe, '10.132.0.1'),
      inSubnet(europe, '10.128.0.2'),
    ]).toEqual([true, false, false, false]);
    expect(plan.staticExternalPool()).toHaveLength(254);
    expect(plan.staticExternalPool()[0]).toBe('203.0.113.1');
    expect(plan.ephemeralExternalPool()[0]).toBe('198.51.100.1');
    expect([
      plan.isExternalRange('203.0.113.254'),
      plan.isExternalRange('198.51.100.0'),
      plan.isExternalRange('198.18.42.77'),
    ]).toEqual([true, false, false]);
    expect(plan.autoCreateSubnetworks).toBe(true);
    expect(() => autoModeAddressPlan(['nowhere-1']).regionSubnet(1)).toThrow(/no auto-mode range/);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.10.1.256', false],
    ['127.10.01.2', false],
    ['127.10.1', false],
    ['a.b.c.d', false],
  ])('isIpv4(%s) = %s', (ip, expected) => {
    expect(isIpv4(ip)).toBe(expected);
  });
});

describe('twin IP plan (198.18.0.0/15, a /22 per SANDBOX_NET)', () => {
  it.each([
    [1, '198.18.4.0/22'],
    [10, '198.18.40.0/22'],
    [63, '198.18.252.0/22'],
    [64, '198.19.0.0/22'],
    [77, '198.19.52.0/22'],
    [127, '198.19.252.0/22'],
  ])('net %i owns %s', (net, cidr) => {
    expect(twinBlock(net).cidr).toBe(cidr);
  });

  it.each([0, 128, 254, 1.5])('refuses net %s', (net) => {
    expect(() => twinBlock(net)).toThrow(/outside the twin's plan \(1-127\)/);
  });

  it.each([
    [10, 1, '198.18.40.0/25', '198.18.40.1', '198.18.40.2', '198.18.40.125'],
    [10, 2, '198.18.40.128/25', '198.18.40.129', '198.18.40.130', '198.18.40.253'],
    [10, 3, '198.18.41.0/25', '198.18.41.1', '198.18.41.2', '198.18.41.125'],
    [127, 4, '198.19.253.128/25', '198.19.253.129', '198.19.253.130', '198.19.253.253'],
  ])('net %i region %i: subnetwork %s, gateway %s, hosts %s-%s', (net, region, cidr, gateway, first, last) => {
    const s = twinRegionSubnet(net, region);
    expect(s.cidr).toBe(cidr);
    expect(s.gateway).toBe(gateway);
    expect(s.hosts[0]).toBe(first);
    expect(s.hosts.at(-1)).toBe(last);
    expect(s.hosts).toHaveLength(124);
  });

  it('has room for every catalog region and refuses a fifth', () => {
    expect(REGIONS.length).toBeLessThanOrEqual(TWIN_MAX_REGIONS);
    expect(() => twinRegionSubnet(10, 5)).toThrow(/Region number 5/);
  });

  it('keeps external pools, metadata and subnetworks apart, all inside the block', () => {
    const net = 20;
    const all = [
      ...twinRegionSubnet(net, 1).hosts,
      ...twinRegionSubnet(net, 2).hosts,
      ...twinRegionSubnet(net, 3).hosts,
      ...twinRegionSubnet(net, 4).hosts,
      ...[1, 2, 3, 4].map((r) => twinRegionSubnet(net, r).gateway),
      ...twinEphemeralExternalPool(net),
      ...twinStaticExternalPool(net),
      twinMetadataHostIp(net),
      twinLoadBalancerHostIp(net),
    ];
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((ip) => twinInBlock(net, ip))).toBe(true);
    expect(all.some((ip) => twinInBlock(net + 1, ip) || twinInBlock(net - 1, ip))).toBe(false);
    expect(twinEphemeralExternalPool(net)[0]).toBe('198.18.82.1');
    expect(twinStaticExternalPool(net)[0]).toBe('198.18.82.129');
    expect(twinMetadataHostIp(net)).toBe('198.18.83.1');
    expect(twinLoadBalancerHostIp(net)).toBe('198.18.83.2');
  });

  it("gives kube-up's 10.0.0.0/8 a stand-in holding every subnetwork and gateway, and no external or cloud address", () => {
    const net = 20;
    expect(twinInternalRange(net)).toBe('198.18.80.0/23');
    const [lo = 0, hi = 0] = parseCidr(twinInternalRange(net)) ?? [];
    const inside = (ip: string) => {
      const [a = -1] = parseCidr(ip) ?? [];
      return a >= lo && a <= hi;
    };
    for (const r of [1, 2, 3, 4]) {
      const s = twinRegionSubnet(net, r);
      expect([s.gateway, ...s.hosts].every(inside)).toBe(true);
    }
    expect(
      [
        ...twinEphemeralExternalPool(net),
        ...twinStaticExternalPool(net),
        twinMetadataHostIp(net),
        twinLoadBalancerHostIp(net),
      ].some(inside),
    ).toBe(false);
  });

  it.each([
    ['198.18.82.7', true],
    ['198.18.82.200', true],
    ['198.18.82.0', false],
    ['198.18.82.255', false],
    ['198.18.80.7', false],
    ['198.18.86.7', false],
    ['127.21.0.1', false],
  ])('twinIsExternalRange(20, %s) = %s', (ip, expected) => {
    expect(twinIsExternalRange(20, ip)).toBe(expected);
  });

  it('gives the nets in use today disjoint blocks', () => {
    const nets = [10, 20, 30, 36, 50, 60, 63, 75, 77, 98, 99];
    expect(new Set(nets.map((n) => twinBlock(n).cidr)).size).toBe(nets.length);
  });
});
