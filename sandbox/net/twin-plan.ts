// Pure parts of the twin's network: names of what it creates on the host, MAC addresses, the
// hosts file, and what the kernel state must be for a given set of VMs and network faults.
// twin-network.ts applies these with `ip`; keeping them pure lets a table test pin them down.
import { createHash } from 'node:crypto';
import { isIpv4 } from '../compute/ip-plan';

/** iproute2 link names are at most 15 characters (IFNAMSIZ - 1). */
export const MAX_LINK_NAME = 15;

export const twinBridgeName = (net: number): string => `qbr${net}`;
/** The dash ends the prefix so that net 1's leftovers never match net 10's names. */
export const twinNamespacePrefix = (net: number): string => `qnet${net}-`;
export const twinVethPrefix = (net: number): string => `qv${net}-`;
/** Policy rule that drops anything the host would route onward from the bridge (see twin-network.ts). */
export const twinRulePriority = (net: number): number => 32_000 + net;

/** 8 hex digits of the key's SHA-256: short enough for link names, stable across restarts. */
export function twinShortId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function twinNamespaceName(net: number, key: string): string {
  return `${twinNamespacePrefix(net)}${twinShortId(key)}`;
}

export function twinHostVethName(net: number, key: string): string {
  return `${twinVethPrefix(net)}${twinShortId(key)}`;
}

// Every MAC is fixed and locally administered (02/06 first octet), so static neighbour entries can be
// written before any frame flows and a bridge's address never changes when ports come and go.
export function twinVmMac(ip: string): string {
  return `02:00:${ipHex(ip)}`;
}
export function twinHostVethMac(ip: string): string {
  return `06:00:${ipHex(ip)}`;
}
export function twinBridgeMac(net: number): string {
  return `02:01:00:00:00:${byteHex(net)}`;
}
/** Owned by no interface: a frame sent there floods the bridge and every receiver discards it. */
export function twinBogusMac(net: number): string {
  return `02:de:ad:00:00:${byteHex(net)}`;
}

export type TwinHostsEntry = { ip: string; names: readonly string[] };

const HOST_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i;

/** A VM's /etc/hosts: localhost, the metadata server's names (as on GCE) and every instance by name. */
export function renderTwinHostsFile(entries: readonly TwinHostsEntry[]): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    '169.254.169.254\tmetadata.google.internal metadata',
  ];
  for (const e of entries) {
    if (!isIpv4(e.ip)) throw new Error(`hosts entry: '${e.ip}' is not an IPv4 address`);
    const bad = e.names.find((n) => !HOST_NAME.test(n));
    if (e.names.length === 0 || bad !== undefined)
      throw new Error(`hosts entry for ${e.ip}: invalid name '${bad ?? ''}'`);
    lines.push(`${e.ip}\t${e.names.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A VM's /etc/resolv.conf, as on Compute Engine: the metadata server's address is the name server. Inside a twin VM
 * the VM's own process answers DNS there (sandbox/vm/metadata-dns.ts: instance names from the VM's hosts file as it is
 * at each query, NXDOMAIN for any other name, as GCE's internal DNS for an instance that does not exist yet); without
 * it a VM would use this machine's own resolver, its queries would leave the twin, and every lookup of a name not yet
 * known (a replica just added as an etcd member) would wait out the resolver's time-out (5 s per try). In a bare
 * namespace (no VM process) nothing answers and a lookup fails at once (port unreachable).
 */
export function renderTwinResolvConf(): string {
  return 'nameserver 169.254.169.254\nsearch google.internal\n';
}

export type TwinFaults = {
  /** Zones whose VMs' links are cut. */
  zonesDown: readonly string[];
  /** Pairs of zones between whose VMs nothing passes. */
  partitions: readonly (readonly [string, string])[];
  /** Zones cut off the dashboard host (the metadata address stays reachable). */
  dashboardCut: readonly string[];
};

export const NO_FAULTS: TwinFaults = { zonesDown: [], partitions: [], dashboardCut: [] };

export type TwinVmView = { ns: string; hostVeth: string; ip: string; zone: string };

/** Where neighbour entries live: inside a VM's namespace (device eth0) or on the host (the bridge). */
export const HOST_SIDE = '';

export type TwinKernelState = {
  /** Host-side veth of each VM: up or down. */
  linksUp: Map<string, boolean>;
  /** Per namespace (HOST_SIDE for the host): permanent neighbour entries, IP to MAC. */
  neighbours: Map<string, Map<string, string>>;
};

/**
 * Every address a VM or the host talks to inside the block gets a permanent neighbour entry, so no
 * ARP is ever needed: a fault then never turns into an ARP failure (which fails a connect with
 * EHOSTUNREACH after 3 s) but only into lost frames, which is what a real partition looks like
 * (SYNs go unanswered, connects time out). Faults are expressed as:
 *  - zone down: the zone's host-side veths down; frames in both directions are dropped.
 *  - partition A|B: in A's VMs the entries for B's VMs point to a MAC nobody owns, and vice versa.
 *  - dashboard cut off zone Z: in Z's VMs the entries for the host's gateway addresses (the dashboard's
 *    own addresses on the bridge) point nowhere; the host's SYNs still arrive but the answers are lost.
 *    The cloud's addresses (metadata, the load balancer's backend side, external addresses) keep their
 *    true entries, and the host keeps true entries for Z's VMs, so the cloud still serves Z.
 */
export function planTwinKernelState(input: {
  net: number;
  vms: readonly TwinVmView[];
  /** The dashboard's addresses on the bridge (the region gateways): cut by `dashboardCut`. */
  dashboardIps: readonly string[];
  /** The cloud's addresses on the bridge (metadata, load balancer, external addresses): never cut. */
  cloudIps: readonly string[];
  faults: TwinFaults;
}): TwinKernelState {
  const { net, vms, faults } = input;
  const bridgeMac = twinBridgeMac(net);
  const bogus = twinBogusMac(net);
  const down = new Set(faults.zonesDown);
  const cut = new Set(faults.dashboardCut);
  const parted = (a: string, b: string) =>
    faults.partitions.some(([x, y]) => (x === a && y === b) || (x === b && y === a));

  const linksUp = new Map(vms.map((vm) => [vm.hostVeth, !down.has(vm.zone)] as const));
  const neighbours = new Map<string, Map<string, string>>();
  neighbours.set(HOST_SIDE, new Map(vms.map((vm) => [vm.ip, twinVmMac(vm.ip)] as const)));
  for (const vm of vms) {
    const table = new Map<string, string>();
    for (const other of vms) {
      if (other.ip !== vm.ip) table.set(other.ip, parted(vm.zone, other.zone) ? bogus : twinVmMac(other.ip));
    }
    for (const ip of input.dashboardIps) table.set(ip, cut.has(vm.zone) ? bogus : bridgeMac);
    for (const ip of input.cloudIps) table.set(ip, bridgeMac);
    neighbours.set(vm.ns, table);
  }
  return { linksUp, neighbours };
}

export type NeighbourChanges = { replace: [ip: string, mac: string][]; remove: string[] };

export function diffNeighbours(
  applied: ReadonlyMap<string, string> | undefined,
  wanted: ReadonlyMap<string, string>,
): NeighbourChanges {
  const replace: [string, string][] = [];
  for (const [ip, mac] of wanted) if (applied?.get(ip) !== mac) replace.push([ip, mac]);
  const remove = [...(applied?.keys() ?? [])].filter((ip) => !wanted.has(ip));
  return { replace, remove };
}

/** Lines for `ip -batch -` that turn `applied` into `wanted` on `dev`. */
export function neighbourBatch(dev: string, changes: NeighbourChanges): string[] {
  return [
    ...changes.remove.map((ip) => `neigh del ${ip} dev ${dev}`),
    ...changes.replace.map(([ip, mac]) => `neigh replace ${ip} lladdr ${mac} dev ${dev} nud permanent`),
  ];
}

function ipHex(ip: string): string {
  if (!isIpv4(ip)) throw new Error(`'${ip}' is not an IPv4 address`);
  return ip
    .split('.')
    .map((o) => byteHex(Number(o)))
    .join(':');
}

function byteHex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
