// The sandbox's address plan (the kube-up twin's, see below): the Compute emulator hands out internal
// and external addresses from it, and sandbox/net puts them on namespaces and the bridge.

/** A region's subnetwork; the plan's TwinSubnet. */
export type Subnet = TwinSubnet;

export function regionSubnet(net: number, regionNo: number): Subnet {
  return twinRegionSubnet(net, regionNo);
}

export function subnetHosts(subnet: Subnet): string[] {
  return subnet.hosts;
}

export function inSubnet(subnet: Subnet, ip: string): boolean {
  return subnet.hosts.includes(ip);
}

export function ephemeralExternalPool(net: number): string[] {
  return twinEphemeralExternalPool(net);
}

export function staticExternalPool(net: number): string[] {
  return twinStaticExternalPool(net);
}

/** Where explicitly given external addresses may come from. */
export function isExternalRange(net: number, ip: string): boolean {
  return twinIsExternalRange(net, ip);
}

export function isIpv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

export function lowestFree(pool: readonly string[], used: ReadonlySet<string>): string | undefined {
  return pool.find((ip) => !used.has(ip));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

// ---------------------------------------------------------------------------------------------
// The kube-up twin's address plan (issue 10): VMs are network namespaces on a bridge, so their
// addresses come from 198.18.0.0/15 (RFC 2544, reserved for benchmarking networks and never routed
// on the internet). Each SANDBOX_NET N (1..127) owns the /22 starting at 198.18.0.0 + N * 1024, so
// sandboxes with different N never share an address. Inside the block, by third-octet offset o:
//   o=0..1  internal subnetworks, a /25 per region (catalog position r = 1..4): gateway .1 of the
//           /25 (the dashboard host's address on the bridge), hosts .2-.125 (GCE keeps the network
//           address, the gateway, the second-to-last and the broadcast address)
//   o=2     external addresses: ephemeral .1-.126, static .129-.254
//   o=3     the cloud's own services on the host, kept apart from the gateways (the dashboard's
//           addresses) so that cutting the dashboard off a zone cuts neither of them: .1 the metadata
//           server, .2 the load balancer's side towards its backends

export const TWIN_MIN_NET = 1;
export const TWIN_MAX_NET = 127;
/** Regions that fit the two /24s of internal subnetworks. */
export const TWIN_MAX_REGIONS = 4;

export type TwinSubnet = { cidr: string; network: string; prefixLength: number; gateway: string; hosts: string[] };

export type TwinBlock = {
  net: number;
  /** The whole /22 of this net: the blackhole route's destination. */
  cidr: string;
  network: string;
  prefixLength: 22;
};

export function twinBlock(net: number): TwinBlock {
  const network = twinAddress(net, 0, 0);
  return { net, cidr: `${network}/22`, network, prefixLength: 22 };
}

export function twinRegionSubnet(net: number, regionNo: number): TwinSubnet {
  if (!Number.isInteger(regionNo) || regionNo < 1 || regionNo > TWIN_MAX_REGIONS) {
    throw new Error(`Region number ${regionNo} is outside the twin's plan (1-${TWIN_MAX_REGIONS})`);
  }
  const offset = Math.floor((regionNo - 1) / 2);
  const base = ((regionNo - 1) % 2) * 128;
  const network = twinAddress(net, offset, base);
  return {
    cidr: `${network}/25`,
    network,
    prefixLength: 25,
    gateway: twinAddress(net, offset, base + 1),
    hosts: range(base + 2, base + 125).map((h) => twinAddress(net, offset, h)),
  };
}

export function twinEphemeralExternalPool(net: number): string[] {
  return range(1, 126).map((h) => twinAddress(net, 2, h));
}

export function twinStaticExternalPool(net: number): string[] {
  return range(129, 254).map((h) => twinAddress(net, 2, h));
}

/** Where explicitly given external addresses may come from: .1-.254 of the block's external /24. */
export function twinIsExternalRange(net: number, ip: string): boolean {
  const o = twinOctets(net, ip);
  return o !== undefined && o.offset === 2 && o.host >= 1 && o.host <= 254;
}

/** The host address the metadata server listens on; VMs reach it through their 169.254.169.254 proxy. */
export function twinMetadataHostIp(net: number): string {
  return twinAddress(net, 3, 1);
}

/** The host address the load balancer's forwarders connect to backends from (Google's LB, not the dashboard). */
export function twinLoadBalancerHostIp(net: number): string {
  return twinAddress(net, 3, 2);
}

/** Whether `ip` lies in the block of `net` at all. */
export function twinInBlock(net: number, ip: string): boolean {
  return twinOctets(net, ip) !== undefined;
}

/** Dotted address at third-octet offset `offset` (0..3) and last octet `host` of net's block. */
function twinAddress(net: number, offset: number, host: number): string {
  if (!Number.isInteger(net) || net < TWIN_MIN_NET || net > TWIN_MAX_NET) {
    throw new Error(`SANDBOX_NET ${net} is outside the twin's plan (${TWIN_MIN_NET}-${TWIN_MAX_NET})`);
  }
  const third = net * 4 + offset;
  return `198.${18 + Math.floor(third / 256)}.${third % 256}.${host}`;
}

function twinOctets(net: number, ip: string): { offset: number; host: number } | undefined {
  if (!isIpv4(ip)) return undefined;
  const [a, b, c, d] = ip.split('.').map(Number);
  if (a !== 198 || (b !== 18 && b !== 19) || c === undefined || d === undefined) return undefined;
  const third = (b - 18) * 256 + c;
  if (Math.floor(third / 4) !== net) return undefined;
  return { offset: third % 4, host: d };
}
