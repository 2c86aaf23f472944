// The sandbox's address plan. Everything lives in 127.0.0.0/8 so that every VM process can bind its
// own address on the loopback interface without any network set-up. With N = SANDBOX_NET:
//   internal subnetwork of region r (catalog position): 127.N.r.0/24, hosts .2-.253 (GCE keeps
//   .0, .1 gateway, .254 and .255); ephemeral external IPs 127.(N+1).0.1-254; static external
//   addresses 127.(N+1).1.1-254. Addresses are unique across projects: there is one loopback.

export type Subnet = { cidr: string; gateway: string; prefix: string };

export function regionSubnet(net: number, regionNo: number): Subnet {
  const prefix = `127.${net}.${regionNo}`;
  return { cidr: `${prefix}.0/24`, gateway: `${prefix}.1`, prefix };
}

export function subnetHosts(subnet: Subnet): string[] {
  return range(2, 253).map((h) => `${subnet.prefix}.${h}`);
}

export function ephemeralExternalPool(net: number): string[] {
  return range(1, 254).map((h) => `127.${net + 1}.0.${h}`);
}

export function staticExternalPool(net: number): string[] {
  return range(1, 254).map((h) => `127.${net + 1}.1.${h}`);
}

/** Where explicitly given external addresses may come from: the whole 127.(N+1).0.0/16. */
export function isExternalRange(net: number, ip: string): boolean {
  return isIpv4(ip) && ip.startsWith(`127.${net + 1}.`);
}

export function isIpv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

export function inSubnet(subnet: Subnet, ip: string): boolean {
  return subnetHosts(subnet).includes(ip);
}

export function lowestFree(pool: readonly string[], used: ReadonlySet<string>): string | undefined {
  return pool.find((ip) => !used.has(ip));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
