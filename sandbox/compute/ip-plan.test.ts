import { describe, expect, it } from 'vitest';
import { regionNumber } from './catalog';
import { ephemeralExternalPool, inSubnet, isExternalRange, isIpv4, lowestFree, regionSubnet, staticExternalPool, subnetHosts } from './ip-plan';

describe('IP plan', () => {
  it.each([
    ['europe-west1', 10, '127.10.1.0/24'],
    ['us-central1', 10, '127.10.2.0/24'],
    ['us-central1', 40, '127.40.2.0/24'],
  ])('%s with SANDBOX_NET=%i has subnetwork %s', (region, net, cidr) => {
    const n = regionNumber(region);
    expect(n).toBeDefined();
    expect(regionSubnet(net, n ?? 0).cidr).toBe(cidr);
  });

  it('keeps .0, .1 (gateway), .254 and .255 out of the usable hosts', () => {
    const hosts = subnetHosts(regionSubnet(10, 1));
    expect(hosts[0]).toBe('127.10.1.2');
    expect(hosts.at(-1)).toBe('127.10.1.253');
    expect(hosts).toHaveLength(252);
  });

  it.each([
    ['127.10.1.2', true],
    ['127.10.1.1', false],
    ['127.10.2.5', false],
    ['127.10.1.254', false],
  ])('inSubnet(europe-west1, %s) = %s', (ip, expected) => {
    expect(inSubnet(regionSubnet(10, 1), ip)).toBe(expected);
  });

  it('takes ephemeral and static external addresses from separate /24s of 127.(N+1)', () => {
    expect(ephemeralExternalPool(10)[0]).toBe('127.11.0.1');
    expect(staticExternalPool(10)[0]).toBe('127.11.1.1');
    expect(isExternalRange(10, '127.11.7.9')).toBe(true);
    expect(isExternalRange(10, '127.10.1.2')).toBe(false);
  });

  it('allocates the lowest free address', () => {
    const hosts = subnetHosts(regionSubnet(10, 1));
    expect(lowestFree(hosts, new Set(['127.10.1.2', '127.10.1.4']))).toBe('127.10.1.3');
    expect(lowestFree(hosts, new Set(hosts))).toBeUndefined();
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
