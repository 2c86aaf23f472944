// The sandbox's address plans. The twin's (below) is what every sandbox with VMs uses: the Compute emulator hands
// out internal and external addresses from it, and sandbox/net puts them on namespaces and the bridge. An emulator
// with a stand-in VM host (no namespace, no bridge, no packet) may use Compute Engine's own auto-mode plan instead
// (autoModeAddressPlan), whose /20 subnetworks hold the thousands of instances a fleet benchmark needs.

/** A region's subnetwork; the plan's TwinSubnet. */
export type Subnet = TwinSubnet;

/** Where the emulator's addresses come from. */
export type AddressPlan = {
  /** The region's `default` subnetwork (catalog position `regionNo`, 1-based). */
  regionSubnet(regionNo: number): Subnet;
  ephemeralExternalPool(): readonly string[];
  staticExternalPool(): readonly string[];
  /** Where explicitly given external addresses may come from. */
  isExternalRange(ip: string): boolean;
  /** That range in words, for error messages. */
  externalRangeText: string;
  /** The network's mode: auto (Compute made a subnetwork per region) or custom. */
  autoCreateSubnetworks: boolean;
};

/** The twin's plan for SANDBOX_NET `net` (see below): what the sandbox, and every emulator by default, uses. */
export function twinAddressPlan(net: number): AddressPlan {
  twinBlock(net); // refuses a net outside the plan
  const ephemeral = twinEphemeralExternalPool(net);
  const statics = twinStaticExternalPool(net);
  return {
    regionSubnet: (regionNo) => twinRegionSubnet(net, regionNo),
    ephemeralExternalPool: () => ephemeral,
    staticExternalPool: () => statics,
    isExternalRange: (ip) => twinIsExternalRange(net, ip),
    externalRangeText: `${twinAddress(net, 2, 1)}-${twinAddress(net, 2, 254)}`,
    autoCreateSubnetworks: false,
  };
}

/**
 * Compute Engine's auto-mode plan, for emulators with a stand-in VM host only (their addresses are never put on an
 * interface): a /20 per region at the range Google gives that region in every auto-mode network (the `default`
 * network of a new project is one), e.g. 10.132.0.0/20 for europe-west1 and 10.128.0.0/20 for us-central1, with
 * GCE's four kept addresses (network, gateway .1, second-to-last, broadcast), so 4092 instances per region.
 * External addresses come from the documentation ranges of RFC 5737, which are never routed and never on this
 * machine: ephemeral ones from 198.51.100.0/24, static ones from 203.0.113.0/24 (254 each; Compute Engine's are
 * public addresses, as many as the project's quota allows).
 */
export function autoModeAddressPlan(regionNames: readonly string[]): AddressPlan {
  const subnets = new Map<number, Subnet>();
  const ephemeral = range(1, 254).map((h) => `198.51.100.${h}`);
  const statics = range(1, 254).map((h) => `203.0.113.${h}`);
  return {
    regionSubnet(regionNo) {
      const cached = subnets.get(regionNo);
      if (cached) return cached;
      const name = regionNames[regionNo - 1];
      const second = name === undefined ? undefined : AUTO_MODE_SECOND_OCTET[name];
      if (second === undefined)
        throw new Error(`Region number ${regionNo} (${name ?? 'none'}) has no auto-mode range in this plan`);
      const network = `10.${second}.0.0`;
      const base = ipToInt(network);
      const subnet: Subnet = {
        cidr: `${network}/20`,
        network,
        prefixLength: 20,
        gateway: intToIp(base + 1),
        hosts: range(2, 4096 - 3).map((h) => intToIp(base + h)),
      };
      subnets.set(regionNo, subnet);
      return subnet;
    },
    ephemeralExternalPool: () => ephemeral,
    staticExternalPool: () => statics,
    isExternalRange: (ip) =>
      /^(198\.51\.100|203\.0\.113)\.(\d+)$/.test(ip) &&
      Number(ip.split('.')[3]) >= 1 &&
      Number(ip.split('.')[3]) <= 254,
    externalRangeText: '198.51.100.1-198.51.100.254 and 203.0.113.1-203.0.113.254',
    autoCreateSubnetworks: true,
  };
}

/** Second octet of each region's auto-mode subnetwork (10.<n>.0.0/20), as Compute Engine assigns them. */
const AUTO_MODE_SECOND_OCTET: Readonly<Record<string, number>> = {
  'us-central1': 128,
  'europe-west1': 132,
  'us-west1': 138,
  'asia-east1': 140,
  'us-east1': 142,
};

export function regionSubnet(net: number, regionNo: number): Subnet {
  return twinRegionSubnet(net, regionNo);
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

export function subnetHosts(subnet: Subnet): readonly string[] {
  return subnet.hosts;
}

export function inSubnet(subnet: Subnet, ip: string): boolean {
  if (!isIpv4(ip)) return false;
  const n = ipToInt(ip);
  const first = subnet.hosts[0];
  const last = subnet.hosts[subnet.hosts.length - 1];
  return first !== undefined && last !== undefined && n >= ipToInt(first) && n <= ipToInt(last);
}

/** The subnetwork's usable hosts in words, for error messages. */
export function usableHostsText(subnet: Subnet): string {
  return `${subnet.cidr} (hosts ${subnet.hosts[0] ?? '?'}-${subnet.hosts[subnet.hosts.length - 1] ?? '?'})`;
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

/**
 * Every internal address of the net: the /23 holding all regions' subnetworks (and nothing external, and
 * none of the cloud's own addresses). It stands where kube-up's firewall rules say 10.0.0.0/8, the
 * private range every subnetwork of a Compute Engine network lives in (the dashboard host's gateway
 * addresses are inside it, as a machine inside the VPC would be).
 */
export function twinInternalRange(net: number): string {
  return `${twinAddress(net, 0, 0)}/23`;
}

export function twinEphemeralExternalPool(net: number): string[] {
  return range(1, 126).map((h) => twinAddress(net, 2, h));
}

export function twinStaticExternalPool(net: number): string[] {
  return range(129, 254).map((h) => twinAddress(net, 2, h));
}

/** The block's external /24: every external address (ephemeral and static) lies in it. */
export function twinExternalRange(net: number): string {
  return `${twinAddress(net, 2, 0)}/24`;
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

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Every address of an IPv4 CIDR (`a.b.c.d/N`, or a bare address as /32); undefined when it does not parse or N < 16. */
export function cidrAddresses(cidr: string): string[] | undefined {
  const m = /^([\d.]+)(?:\/(\d{1,2}))?$/.exec(cidr);
  const ip = m?.[1];
  const prefix = m?.[2] === undefined ? 32 : Number(m[2]);
  if (!ip || !isIpv4(ip) || prefix < 16 || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const start = ipToInt(ip);
  if (start % size !== 0) return undefined;
  return Array.from({ length: size }, (_, i) => intToIp(start + i));
}

/**
 * The lowest aligned block of 2^(32-prefix) subnet hosts that are all free, as a CIDR (how Compute
 * allocates an alias range given as `/N`); undefined when none fits.
 */
export function lowestFreeBlock(subnet: Subnet, prefix: number, used: ReadonlySet<string>): string | undefined {
  const size = 2 ** (32 - prefix);
  const hosts = new Set(subnet.hosts);
  const first = ipToInt(subnet.network);
  for (let start = first; start < first + 2 ** (32 - subnet.prefixLength); start += size) {
    const block = Array.from({ length: size }, (_, i) => intToIp(start + i));
    if (block.every((ip) => hosts.has(ip) && !used.has(ip)))
      return prefix === 32 ? `${intToIp(start)}/32` : `${intToIp(start)}/${prefix}`;
  }
  return undefined;
}
