// The kube-up twin's network (issue 10): each VM is a Linux network namespace whose eth0 is one end
// of a veth pair; the other end sits on a bridge per sandbox (`qbr<N>`) that plays the VPC network.
// The dashboard host is on the bridge too, with the gateway address of every region's subnetwork and a
// separate metadata address. The external /24 is local to the host as a whole (one `local` route, put
// in place by prepare), so the TCP forwarders bind any external address without the host's addresses
// ever changing while the sandbox runs: a browser on this host sees no address come and go (Chromium
// aborts every request in flight, ERR_NETWORK_CHANGED, when a local address is added or removed),
// just as a user's browser never sees a cloud's addresses.
// Everything uses addresses of the net's /22 in 198.18.0.0/15 (ip-plan.ts), and a blackhole route
// for that /22 is the first thing installed and the last removed, so no packet for the block can
// ever be routed off this machine. A policy rule drops whatever the host would route onward from
// the bridge (a VM's default route points at the host), so VM traffic to the world dies here too.
// Each VM's namespace also holds the Compute firewall rules that apply to it (firewall-plan.ts), as an
// nftables table replaced whole whenever the rules, the instances' tags or the VMs change.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ALL_ZONES, REGIONS, regionNumber, regionOfZone } from '../compute/catalog';
import {
  twinBlock,
  twinExternalRange,
  twinInBlock,
  twinIsExternalRange,
  twinLoadBalancerHostIp,
  twinMetadataHostIp,
  twinRegionSubnet,
} from '../compute/ip-plan';
import {
  IpCommandError,
  listIpv4Addresses,
  listLinks,
  listNamespaces,
  listRoutes,
  listRulePriorities,
  namespacePids,
  runIp,
  runIpBatch,
  runIpIgnoringAbsent,
  runNftIn,
} from './ip-command';
import {
  diffNeighbours,
  HOST_SIDE,
  neighbourBatch,
  NO_FAULTS,
  planTwinKernelState,
  renderTwinHostsFile,
  renderTwinResolvConf,
  twinBridgeMac,
  twinBridgeName,
  twinHostVethMac,
  twinHostVethName,
  twinNamespaceName,
  twinNamespacePrefix,
  twinRulePriority,
  twinVethPrefix,
  twinVmMac,
  type TwinFaults,
  type TwinHostsEntry,
  type TwinVmView,
} from './twin-plan';
import { startTwinJanitor, stopStaleTwinJanitor, type TwinJanitor } from './twin-janitor';
import { FIREWALL_TABLE } from './firewall-plan';

/**
 * The ingress ruleset (nftables text, firewall-plan.ts's ingressRuleset) a VM must have right now, by VM
 * key; undefined when the source knows no such VM (it keeps what it had).
 */
export type FirewallSource = (key: string) => string | undefined;

/** What the emulator drives: it says where the rules come from and when they may have changed. */
export type FirewallEnforcer = {
  setFirewallSource(source: FirewallSource): Promise<void>;
  refreshFirewall(): Promise<void>;
};

/** `ip netns exec <ns>` bind-mounts every file of this directory over /etc (iproute2's convention). */
export const NETNS_ETC = '/etc/netns';

export class TwinUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TwinUnavailableError';
  }
}

export type TwinProbe = {
  uid: number | undefined;
  /** `ip -V`'s output, or undefined when `ip` cannot be run. */
  ipVersion: string | undefined;
  /** Why `ip netns add` failed, or undefined when a namespace could be made and removed. */
  netnsError: string | undefined;
  /** Why nftables could not be used inside that namespace, or undefined when it could (or was not tried). */
  nftError?: string | undefined;
};

/** The sandbox's refusal to start without what the twin needs; undefined when all is there. */
export function twinPrerequisiteProblem(probe: TwinProbe): string | undefined {
  const fix =
    "Run the sandbox as root on Linux with iproute2 and nftables installed (the README's first command installs them); there is no fallback without namespaces or a firewall.";
  if (probe.uid !== 0)
    return `The sandbox's VMs are Linux network namespaces, which only root can make (running as uid ${probe.uid ?? 'unknown'}). ${fix}`;
  if (probe.ipVersion === undefined)
    return `The sandbox's VMs are Linux network namespaces made with iproute2, and \`ip\` was not found. ${fix}`;
  if (probe.netnsError !== undefined)
    return `The sandbox could not make a network namespace (\`ip netns add\`: ${probe.netnsError}). ${fix}`;
  if (probe.nftError !== undefined)
    return `The sandbox enforces Compute Engine firewall rules with nftables inside each VM, and \`nft\` failed in a namespace (${probe.nftError}). ${fix}`;
  return undefined;
}

export async function probeTwinPrerequisites(net: number): Promise<TwinProbe> {
  const uid = process.getuid?.();
  let ipVersion: string | undefined;
  try {
    ipVersion = (await runIp(['-V'])).trim();
  } catch {
    return { uid, ipVersion: undefined, netnsError: undefined };
  }
  if (uid !== 0) return { uid, ipVersion, netnsError: undefined };
  const probe = `${twinNamespacePrefix(net)}probe`;
  try {
    await runIpIgnoringAbsent(['netns', 'del', probe]);
    await runIp(['netns', 'add', probe]);
  } catch (err) {
    return { uid, ipVersion, netnsError: err instanceof IpCommandError ? err.stderr.trim() : String(err) };
  }
  let nftError: string | undefined;
  try {
    // The firewall's own kind of table, in a namespace: nft is installed and the kernel has nf_tables.
    await runNftIn(probe, `table inet ${FIREWALL_TABLE} {}\ndelete table inet ${FIREWALL_TABLE}\n`);
  } catch (err) {
    nftError = err instanceof IpCommandError ? err.stderr.trim() || err.message : String(err);
  }
  await runIpIgnoringAbsent(['netns', 'del', probe]);
  return { uid, ipVersion, netnsError: undefined, nftError };
}

export type TwinVmSpec = {
  /** Stable identity of the VM (the instance's id or selfLink): names its namespace. */
  key: string;
  internalIp: string;
  zone: string;
};

export type TwinNetworkOptions = {
  net: number;
  log?: (msg: string) => void;
  /** Start the janitor (default true); false only where something else cleans up after a crash. */
  janitor?: boolean;
  /** Where the janitor appends what it does (default: nowhere). */
  janitorLogFile?: string;
};

type VmRecord = TwinVmView & { key: string };

export class TwinNetwork implements FirewallEnforcer {
  readonly net: number;
  readonly bridge: string;
  /** Where the metadata server listens on the host; each VM's 169.254.169.254 proxy forwards here. */
  readonly metadataIp: string;
  /** The source address of the load balancer's connections to its backends (see planTwinKernelState). */
  readonly loadBalancerIp: string;
  private readonly log: (msg: string) => void;
  private readonly vms = new Map<string, VmRecord>();
  private readonly externalIps = new Set<string>();
  private hostsEntries: readonly TwinHostsEntry[] = [];
  private faultState: TwinFaults = NO_FAULTS;
  private appliedLinks = new Map<string, boolean>();
  private appliedNeighbours = new Map<string, Map<string, string>>();
  private firewallSource: FirewallSource | undefined;
  /** The ruleset loaded in each VM's namespace, by namespace. */
  private appliedFirewalls = new Map<string, string>();
  /** A refresh queued and not started yet: later changes are covered by it. */
  private firewallRefresh: Promise<void> | undefined;
  private janitor: TwinJanitor | undefined;
  private prepared = false;
  // Every change runs after the previous one, so the applied state the diffs start from is exact.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: TwinNetworkOptions) {
    twinBlock(opts.net); // refuses a net outside the plan before anything is touched
    this.net = opts.net;
    this.bridge = twinBridgeName(opts.net);
    this.metadataIp = twinMetadataHostIp(opts.net);
    this.loadBalancerIp = twinLoadBalancerHostIp(opts.net);
    this.log = opts.log ?? (() => undefined);
  }

  /** The dashboard host's addresses on the bridge, one per region: the VMs' default gateways. */
  gateways(): string[] {
    return REGIONS.map((r) => twinRegionSubnet(this.net, regionNumber(r.name) ?? 0).gateway);
  }

  prepare(): Promise<void> {
    return this.serial(async () => {
      if (this.prepared) return;
      const problem = twinPrerequisiteProblem(await probeTwinPrerequisites(this.net));
      if (problem !== undefined) throw new TwinUnavailableError(problem);
      const block = twinBlock(this.net).cidr;
      // First, before any address or link exists: nothing addressed to the block leaves the machine.
      await runIp(['route', 'replace', 'blackhole', block]);
      try {
        await this.build();
      } catch (err) {
        // Half a network is worse than none: remove it all (best effort) and say what failed.
        await cleanupTwinNet(this.net, { keepBlackhole: false, log: this.log }).catch((e: unknown) =>
          this.log(`clean-up after a failed prepare: ${String(e)}`),
        );
        throw err;
      }
      this.prepared = true;
      this.log(
        `network ${block} ready on ${this.bridge} (gateways ${this.gateways().join(', ')}, metadata ${this.metadataIp})`,
      );
    });
  }

  private async build(): Promise<void> {
    await stopStaleTwinJanitor(this.net);
    await cleanupTwinNet(this.net, { keepBlackhole: true, log: this.log });
    const pref = String(twinRulePriority(this.net));
    await runIp(['rule', 'add', 'pref', pref, 'iif', this.bridge, 'blackhole']);
    await runIp(['link', 'add', this.bridge, 'address', twinBridgeMac(this.net), 'type', 'bridge']);
    await runIpBatch(undefined, [
      ...REGIONS.map((r) => {
        const s = twinRegionSubnet(this.net, regionNumber(r.name) ?? 0);
        return `addr add ${s.gateway}/${s.prefixLength} dev ${this.bridge}`;
      }),
      `addr add ${this.metadataIp}/32 dev ${this.bridge}`,
      `addr add ${this.loadBalancerIp}/32 dev ${this.bridge}`,
      // Every external address is the host's from now on; in use or not, none is ever added or removed.
      `route add local ${twinExternalRange(this.net)} dev lo table local`,
      // IPv4 only: no IPv6 link-local addresses that would give VMs a path the faults do not cut.
      `link set ${this.bridge} addrgenmode none`,
      `link set ${this.bridge} up`,
    ]);
    if (this.opts.janitor ?? true) this.janitor = await startTwinJanitor(this.net, this.opts.janitorLogFile);
  }

  addVm(spec: TwinVmSpec): Promise<{ ns: string }> {
    return this.serial(async () => {
      this.assertPrepared();
      const region = regionOfZone(spec.zone);
      const regionNo = region ? regionNumber(region.name) : undefined;
      if (regionNo === undefined) throw new Error(`addVm ${spec.key}: unknown zone '${spec.zone}'`);
      const subnet = twinRegionSubnet(this.net, regionNo);
      if (!subnet.hosts.includes(spec.internalIp)) {
        throw new Error(
          `addVm ${spec.key}: ${spec.internalIp} is not a host address of ${region?.name}'s subnetwork ${subnet.cidr}`,
        );
      }
      const ns = twinNamespaceName(this.net, spec.key);
      const existing = this.vms.get(ns);
      if (existing) {
        if (existing.key === spec.key && existing.ip === spec.internalIp && existing.zone === spec.zone) return { ns };
        throw new Error(
          `addVm ${spec.key}: namespace ${ns} is already used by ${existing.key} (${existing.ip}, ${existing.zone})`,
        );
      }
      const clash = [...this.vms.values()].find((vm) => vm.ip === spec.internalIp);
      if (clash) throw new Error(`addVm ${spec.key}: ${spec.internalIp} is already the address of ${clash.key}`);

      const vm: VmRecord = {
        key: spec.key,
        ns,
        hostVeth: twinHostVethName(this.net, spec.key),
        ip: spec.internalIp,
        zone: spec.zone,
      };
      try {
        // The hosts file and resolv.conf exist before the namespace, so no process can ever start without them.
        await mkdir(path.join(NETNS_ETC, ns), { recursive: true });
        await writeFile(path.join(NETNS_ETC, ns, 'hosts'), renderTwinHostsFile(this.hostsEntries));
        await writeFile(path.join(NETNS_ETC, ns, 'resolv.conf'), renderTwinResolvConf());
        await runIp(['netns', 'add', ns]);
        await runIp([
          'link',
          'add',
          vm.hostVeth,
          'address',
          twinHostVethMac(vm.ip),
          'type',
          'veth',
          'peer',
          'name',
          'eth0',
          'address',
          twinVmMac(vm.ip),
          'netns',
          ns,
        ]);
        await runIp(['link', 'set', vm.hostVeth, 'addrgenmode', 'none', 'master', this.bridge]);
        await runIpBatch(ns, [
          'link set lo up',
          // The metadata proxy inside the VM listens here, as GCE's metadata server answers there.
          'addr add 169.254.169.254/32 dev lo',
          `addr add ${vm.ip}/${subnet.prefixLength} dev eth0`,
          'link set eth0 addrgenmode none',
          'link set eth0 up',
          // VMs of every region reach each other directly, as on one VPC network.
          `route add ${twinBlock(this.net).cidr} dev eth0`,
          `route add default via ${subnet.gateway} dev eth0`,
        ]);
        // The firewall is in place before the VM's processes start: nothing of a VM is ever unfiltered.
        await this.applyFirewall(vm);
        this.vms.set(ns, vm);
        await this.applyKernelState();
      } catch (err) {
        this.vms.delete(ns);
        await this.destroyVm(vm).catch((cleanupErr: unknown) =>
          this.log(`addVm ${spec.key}: roll-back failed: ${String(cleanupErr)}`),
        );
        throw err;
      }
      this.log(`VM ${spec.key} is ${ns} (${vm.ip}, ${vm.zone})`);
      return { ns };
    });
  }

  /** Kills every process in the VM's namespace and removes the namespace, its link and its /etc. */
  removeVm(ns: string): Promise<void> {
    return this.serial(async () => {
      const vm = this.vms.get(ns);
      if (!vm) return;
      this.vms.delete(ns);
      await this.destroyVm(vm);
      await this.applyKernelState();
    });
  }

  /** Namespace of a VM added earlier, by key. */
  namespaceOf(key: string): string | undefined {
    const ns = twinNamespaceName(this.net, key);
    return this.vms.has(ns) ? ns : undefined;
  }

  /** Rewrites every VM's /etc/hosts (in place: `ip netns exec` bind-mounts the file's inode). */
  setHosts(entries: readonly TwinHostsEntry[]): Promise<void> {
    return this.serial(async () => {
      const text = renderTwinHostsFile(entries);
      this.hostsEntries = entries.map((e) => ({ ip: e.ip, names: [...e.names] }));
      // writeFile opens with O_TRUNC: the same inode, so running processes see the new content.
      await Promise.all([...this.vms.values()].map((vm) => writeFile(path.join(NETNS_ETC, vm.ns, 'hosts'), text)));
    });
  }

  /**
   * Takes an external address into use, for a forwarder to bind: the VMs get its neighbour entry (the
   * host's bridge). The host has every external address from prepare on, so no address of the host changes.
   */
  addHostAddress(ip: string): Promise<void> {
    return this.serial(async () => {
      this.assertPrepared();
      if (!twinIsExternalRange(this.net, ip))
        throw new Error(`addHostAddress: ${ip} is not in net ${this.net}'s external range`);
      if (this.externalIps.has(ip)) return;
      this.externalIps.add(ip);
      await this.applyKernelState();
    });
  }

  /** Takes an external address out of use: the VMs lose its neighbour entry; nobody listens there any more. */
  removeHostAddress(ip: string): Promise<void> {
    return this.serial(async () => {
      if (!this.externalIps.has(ip)) return;
      this.externalIps.delete(ip);
      await this.applyKernelState();
    });
  }

  /**
   * From now on every VM gets the ruleset `source` gives it: VMs added later before they return from addVm,
   * VMs already there now. Without a source (tests of the bare network) VMs are not filtered.
   */
  setFirewallSource(source: FirewallSource): Promise<void> {
    this.firewallSource = source;
    return this.refreshFirewall();
  }

  /**
   * Re-reads the source for every VM and replaces the ruleset of each whose text changed (one `nft -f`
   * transaction per VM). Calls made while one is queued share it; a failure for one VM is logged and the
   * others still get theirs, then the call rejects naming the VMs that failed.
   */
  refreshFirewall(): Promise<void> {
    if (this.firewallRefresh) return this.firewallRefresh;
    const run = this.serial(async () => {
      this.firewallRefresh = undefined;
      const failed: string[] = [];
      await Promise.all(
        [...this.vms.values()].map((vm) =>
          this.applyFirewall(vm).catch((err: unknown) => {
            failed.push(vm.key);
            this.log(`firewall of ${vm.key} not applied: ${err instanceof Error ? err.message : String(err)}`);
          }),
        ),
      );
      if (failed.length > 0) throw new Error(`firewall not applied to ${failed.join(', ')}`);
    });
    this.firewallRefresh = run;
    return run;
  }

  /** The ruleset loaded in a VM's namespace (as last applied), by VM key. */
  firewallOf(key: string): string | undefined {
    return this.appliedFirewalls.get(twinNamespaceName(this.net, key));
  }

  private async applyFirewall(vm: VmRecord): Promise<void> {
    const wanted = this.firewallSource?.(vm.key);
    if (wanted === undefined || this.appliedFirewalls.get(vm.ns) === wanted) return;
    await runNftIn(vm.ns, wanted);
    this.appliedFirewalls.set(vm.ns, wanted);
  }

  faults(): TwinFaults {
    return this.faultState;
  }

  /** Zone down: every link of the zone's VMs cut; their processes keep running. */
  setZoneDown(zone: string, down: boolean): Promise<void> {
    assertZone(zone);
    const others = this.faultState.zonesDown.filter((z) => z !== zone);
    return this.setFaults({ ...this.faultState, zonesDown: down ? [...others, zone] : others });
  }

  /** Partition between two zones: their VMs lose each other; both still reach the host. */
  setPartition(zoneA: string, zoneB: string, on: boolean): Promise<void> {
    assertZone(zoneA);
    assertZone(zoneB);
    if (zoneA === zoneB) throw new Error(`A partition needs two different zones (got ${zoneA} twice)`);
    const others = this.faultState.partitions.filter(
      ([a, b]) => !((a === zoneA && b === zoneB) || (a === zoneB && b === zoneA)),
    );
    return this.setFaults({ ...this.faultState, partitions: on ? [...others, [zoneA, zoneB] as const] : others });
  }

  /**
   * The dashboard host cut off a zone (both ways): nothing from or to the gateway addresses, which
   * are the source of every connection the host opens without choosing one (Quorum's SSH, the natIP
   * forwarders). The zone keeps its peers, the metadata server, the external addresses and the load
   * balancer, whose forwarders must connect from `loadBalancerIp` for that.
   */
  setDashboardCut(zone: string, cut: boolean): Promise<void> {
    assertZone(zone);
    const others = this.faultState.dashboardCut.filter((z) => z !== zone);
    return this.setFaults({ ...this.faultState, dashboardCut: cut ? [...others, zone] : others });
  }

  clearFaults(): Promise<void> {
    return this.setFaults(NO_FAULTS);
  }

  private setFaults(faults: TwinFaults): Promise<void> {
    return this.serial(async () => {
      this.assertPrepared();
      this.faultState = faults;
      await this.applyKernelState();
      this.log(`faults: ${describeFaults(faults)}`);
    });
  }

  /** Removes everything prepare and addVm made; the blackhole route goes last. */
  teardown(): Promise<void> {
    return this.serial(async () => {
      await cleanupTwinNet(this.net, { keepBlackhole: false, log: this.log });
      await this.janitor?.disarm();
      this.janitor = undefined;
      this.vms.clear();
      this.externalIps.clear();
      this.appliedLinks = new Map();
      this.appliedNeighbours = new Map();
      this.appliedFirewalls = new Map();
      this.faultState = NO_FAULTS;
      this.prepared = false;
      this.log(`network ${twinBlock(this.net).cidr} removed`);
    });
  }

  private async applyKernelState(): Promise<void> {
    const wanted = planTwinKernelState({
      net: this.net,
      vms: [...this.vms.values()],
      dashboardIps: this.gateways(),
      cloudIps: [this.metadataIp, this.loadBalancerIp, ...this.externalIps],
      faults: this.faultState,
    });
    const hostLines: string[] = [];
    for (const [veth, up] of wanted.linksUp)
      if (this.appliedLinks.get(veth) !== up) hostLines.push(`link set ${veth} ${up ? 'up' : 'down'}`);
    const batches: Promise<void>[] = [];
    for (const [ns, table] of wanted.neighbours) {
      const lines = neighbourBatch(
        ns === HOST_SIDE ? this.bridge : 'eth0',
        diffNeighbours(this.appliedNeighbours.get(ns), table),
      );
      if (ns === HOST_SIDE) hostLines.push(...lines);
      else batches.push(runIpBatch(ns, lines));
    }
    batches.push(runIpBatch(undefined, hostLines));
    await Promise.all(batches);
    this.appliedLinks = wanted.linksUp;
    this.appliedNeighbours = wanted.neighbours;
  }

  private async destroyVm(vm: VmRecord): Promise<void> {
    await killNamespaceProcesses(vm.ns);
    // Deleting the host end removes both ends at once; the namespace's own teardown is asynchronous.
    await runIpIgnoringAbsent(['link', 'del', vm.hostVeth]);
    await runIpIgnoringAbsent(['netns', 'del', vm.ns]);
    await rm(path.join(NETNS_ETC, vm.ns), { recursive: true, force: true });
    this.appliedLinks.delete(vm.hostVeth);
    this.appliedNeighbours.delete(vm.ns);
    this.appliedFirewalls.delete(vm.ns);
  }

  private assertPrepared(): void {
    if (!this.prepared) throw new Error(`TwinNetwork ${this.net}: call prepare() first`);
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** SIGKILLs every process inside a namespace and waits until none is left (at most 5 s). */
export async function killNamespaceProcesses(ns: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const pids = await namespacePids(ns);
    if (pids.length === 0) return;
    if (Date.now() > deadline) throw new Error(`Processes ${pids.join(', ')} in namespace ${ns} did not die`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Removes what any run of `net` made: processes in its namespaces, the namespaces, host-side veths,
 * the bridge (and the addresses on it), addresses of the block left on other links, the external
 * range's local route, /etc/netns
 * directories, the policy rule and, unless kept, the blackhole route (last). Safe to run twice.
 */
export async function cleanupTwinNet(
  net: number,
  opts: { keepBlackhole: boolean; log?: (msg: string) => void },
): Promise<void> {
  const log = opts.log ?? (() => undefined);
  const prefix = twinNamespacePrefix(net);
  const namespaces = (await listNamespaces()).filter((n) => n.startsWith(prefix));
  for (const ns of namespaces) {
    await killNamespaceProcesses(ns);
    await runIpIgnoringAbsent(['netns', 'del', ns]);
  }
  if (namespaces.length > 0) log(`removed namespaces ${namespaces.join(', ')}`);
  const vethPrefix = twinVethPrefix(net);
  for (const link of (await listLinks()).filter((l) => l.startsWith(vethPrefix)))
    await runIpIgnoringAbsent(['link', 'del', link]);
  if ((await listLinks()).includes(twinBridgeName(net)))
    await runIpIgnoringAbsent(['link', 'del', twinBridgeName(net)]);
  for (const a of (await listIpv4Addresses()).filter((a) => twinInBlock(net, a.ip))) {
    await runIpIgnoringAbsent(['addr', 'del', `${a.ip}/${a.prefixLength}`, 'dev', a.ifname]);
  }
  const external = twinExternalRange(net);
  if ((await listRoutes('local')).some((r) => r.dst === external && r.type === 'local'))
    await runIpIgnoringAbsent(['route', 'del', 'local', external, 'table', 'local']);
  if (existsSync(NETNS_ETC)) {
    for (const dir of (await readdir(NETNS_ETC)).filter((d) => d.startsWith(prefix))) {
      await rm(path.join(NETNS_ETC, dir), { recursive: true, force: true });
    }
  }
  const pref = twinRulePriority(net);
  for (const p of (await listRulePriorities()).filter((p) => p === pref))
    await runIpIgnoringAbsent(['rule', 'del', 'pref', String(p)]);
  if (!opts.keepBlackhole) {
    const block = twinBlock(net).cidr;
    if ((await listRoutes()).some((r) => r.dst === block && r.type === 'blackhole'))
      await runIpIgnoringAbsent(['route', 'del', 'blackhole', block]);
  }
}

function assertZone(zone: string): void {
  if (!ALL_ZONES.includes(zone)) throw new Error(`Unknown zone '${zone}'`);
}

function describeFaults(f: TwinFaults): string {
  const parts = [
    ...f.zonesDown.map((z) => `${z} down`),
    ...f.partitions.map(([a, b]) => `${a}|${b}`),
    ...f.dashboardCut.map((z) => `dashboard cut off ${z}`),
  ];
  return parts.length === 0 ? 'none' : parts.join(', ');
}
