// Compute Engine's VPC firewall for one VM of the twin, as an nftables ruleset loaded inside the VM's
// network namespace (twin-network.ts applies it). Pure: firewall resources and instances in, text out.
//
// GCE's semantics, as its firewall documentation states them:
// - implied rules: deny every ingress, allow every egress (lowest priority, 65535); so only an INGRESS
//   chain exists here, with policy drop, and egress is not filtered;
// - a rule applies to a VM when it is enabled, INGRESS, on the VM's network, and its targets match: no
//   targetTags and no targetServiceAccounts (every instance), a tag the VM carries, or the VM's service
//   account;
// - sources: sourceRanges, or the primary internal IP of an instance carrying one of sourceTags (or
//   running as one of sourceServiceAccounts); a packet matching either kind matches the rule; a rule with
//   no source at all is "from anywhere" (0.0.0.0/0);
// - allowed / denied entries: IPProtocol (a name or a number; `all`) and, for tcp, udp and sctp, ports
//   or ranges ("2380-2381"); none means every port;
// - the lowest priority number wins; at equal priority a deny wins over an allow;
// - stateful: the replies of an allowed connection, and of the VM's own outgoing ones, always pass;
// - traffic of the VM to itself and to the metadata server (169.254.169.254, on the VM's loopback here)
//   is never filtered.
// GCE drops what is denied silently, so the chain drops (callers time out) rather than rejects.

/** The name of the nftables table the twin owns in every VM's namespace. */
export const FIREWALL_TABLE = 'gce_firewall';

export type FirewallEntry = { IPProtocol: string; ports?: readonly string[] };

/** The fields of a Compute `firewall` resource the data plane reads. */
export type FirewallResource = {
  name: string;
  network: string;
  priority: number;
  direction: string;
  disabled: boolean;
  sourceRanges?: readonly string[];
  sourceTags?: readonly string[];
  sourceServiceAccounts?: readonly string[];
  targetTags?: readonly string[];
  targetServiceAccounts?: readonly string[];
  allowed?: readonly FirewallEntry[];
  denied?: readonly FirewallEntry[];
};

/** An instance as the firewall sees it: its network, primary internal IP, tags and service accounts. */
export type FirewallVm = {
  name: string;
  network: string;
  ip: string;
  tags: readonly string[];
  serviceAccounts: readonly string[];
};

type Interval = readonly [number, number];

/** One nftables rule of the ingress chain: a (protocol, ports) entry of one firewall rule. */
export type IngressRule = {
  firewall: string;
  priority: number;
  verdict: 'accept' | 'drop';
  /** Merged IPv4 intervals of the sources (never empty). */
  sources: readonly Interval[];
  /** nftables' name or number of the protocol; undefined: every protocol (`all`). */
  protocol: string | undefined;
  /** Merged port intervals; empty: every port. */
  ports: readonly Interval[];
};

/** `projects/<p>/global/networks/<n>` of a network URL or partial reference, to compare two of them. */
export function networkKey(ref: string): string {
  const m = /(?:^|\/)projects\/([^/]+)\/global\/networks\/([^/?#]+)/.exec(ref);
  return m ? `projects/${m[1]}/global/networks/${m[2]}` : ref;
}

/** Whether `rule` filters ingress to `vm` (GCE's target selection); disabled rules and EGRESS never do. */
export function appliesTo(rule: FirewallResource, vm: FirewallVm): boolean {
  if (rule.disabled || rule.direction !== 'INGRESS') return false;
  if (networkKey(rule.network) !== networkKey(vm.network)) return false;
  const tags = rule.targetTags ?? [];
  const accounts = rule.targetServiceAccounts ?? [];
  if (tags.length === 0 && accounts.length === 0) return true;
  return tags.some((t) => vm.tags.includes(t)) || accounts.some((a) => vm.serviceAccounts.includes(a));
}

/**
 * The IPv4 intervals a rule admits traffic from: its ranges and the primary internal IPs of the
 * instances of its network that carry a source tag or run as a source service account. Entries that
 * are not IPv4 (the twin has no IPv6) are left out.
 */
export function sourceIntervals(rule: FirewallResource, vms: readonly FirewallVm[]): Interval[] {
  const ranges = rule.sourceRanges ?? [];
  const tags = rule.sourceTags ?? [];
  const accounts = rule.sourceServiceAccounts ?? [];
  const cidrs = ranges.length === 0 && tags.length === 0 && accounts.length === 0 ? ['0.0.0.0/0'] : [...ranges];
  const network = networkKey(rule.network);
  for (const vm of vms) {
    if (networkKey(vm.network) !== network) continue;
    if (vm.tags.some((t) => tags.includes(t)) || vm.serviceAccounts.some((a) => accounts.includes(a)))
      cidrs.push(vm.ip);
  }
  return mergeIntervals(cidrs.map(parseCidr).filter((i): i is Interval => i !== undefined));
}

/** The ingress rules of `vm` in evaluation order (priority, then deny before allow, then name). */
export function planIngress(
  rules: readonly FirewallResource[],
  vm: FirewallVm,
  vms: readonly FirewallVm[],
): IngressRule[] {
  const ordered = rules
    .filter((r) => appliesTo(r, vm))
    .map((r) => ({ r, deny: (r.denied?.length ?? 0) > 0 }))
    .sort(
      (a, b) =>
        a.r.priority - b.r.priority ||
        Number(b.deny) - Number(a.deny) ||
        (a.r.name < b.r.name ? -1 : a.r.name > b.r.name ? 1 : 0),
    );
  const out: IngressRule[] = [];
  for (const { r, deny } of ordered) {
    const sources = sourceIntervals(r, vms);
    // A rule whose sources match no address (a source tag nobody carries) matches nothing.
    if (sources.length === 0) continue;
    for (const entry of (deny ? r.denied : r.allowed) ?? []) {
      const protocol = nftProtocol(entry.IPProtocol);
      if (protocol === null) continue;
      const ports =
        protocol !== undefined && PORT_PROTOCOLS.has(protocol)
          ? mergeIntervals((entry.ports ?? []).map(parsePortRange).filter((p): p is Interval => p !== undefined))
          : [];
      out.push({ firewall: r.name, priority: r.priority, verdict: deny ? 'drop' : 'accept', sources, protocol, ports });
    }
  }
  return out;
}

/**
 * The whole ruleset of one VM, for `nft -f`: it replaces the twin's table in one transaction (the table is
 * declared, deleted and declared again in the same file), so no packet ever sees half a firewall.
 */
export function ingressRuleset(rules: readonly FirewallResource[], vm: FirewallVm, vms: readonly FirewallVm[]): string {
  const lines = planIngress(rules, vm, vms).map(renderRule);
  return [
    `# Compute Engine firewall of ${vm.name} (${vm.ip}) on ${networkKey(vm.network)}: ingress only; egress is allowed (implied rule)`,
    `table inet ${FIREWALL_TABLE} {}`,
    `delete table inet ${FIREWALL_TABLE}`,
    `table inet ${FIREWALL_TABLE} {`,
    '  chain ingress {',
    '    # implied deny ingress (priority 65535)',
    '    type filter hook input priority filter; policy drop;',
    '    iif "lo" accept comment "the VM to itself and to the metadata server"',
    '    ct state established,related accept comment "stateful: replies always pass"',
    ...lines.map((l) => `    ${l}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

function renderRule(rule: IngressRule): string {
  const parts = [`ip saddr ${renderSet(rule.sources.flatMap(intervalToCidrs))}`];
  if (rule.protocol !== undefined) {
    if (rule.ports.length > 0)
      parts.push(
        `${rule.protocol} dport ${renderSet(rule.ports.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`)))}`,
      );
    else parts.push(`meta l4proto ${rule.protocol}`);
  }
  parts.push(rule.verdict, `comment "${rule.firewall} (priority ${rule.priority})"`);
  return parts.join(' ');
}

function renderSet(items: readonly string[]): string {
  return items.length === 1 ? (items[0] ?? '') : `{ ${items.join(', ')} }`;
}

const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);
const NAMED_PROTOCOLS: Record<string, string> = {
  tcp: 'tcp',
  udp: 'udp',
  icmp: 'icmp',
  esp: 'esp',
  ah: 'ah',
  sctp: 'sctp',
  ipip: '4',
};

/** nftables' protocol for GCE's IPProtocol: undefined for `all`, null for something unknown (left out). */
function nftProtocol(ipProtocol: string): string | undefined | null {
  const p = ipProtocol.toLowerCase();
  if (p === 'all') return undefined;
  if (NAMED_PROTOCOLS[p] !== undefined) return NAMED_PROTOCOLS[p];
  if (/^\d{1,3}$/.test(p) && Number(p) <= 255) return String(Number(p));
  return null;
}

function parsePortRange(text: string): Interval | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = Number(m[2] ?? m[1]);
  return lo <= hi && hi <= 65535 ? [lo, hi] : undefined;
}

/** An IPv4 address or CIDR as [first, last]; undefined when it is not one. */
export function parseCidr(text: string): Interval | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  const length = m[5] === undefined ? 32 : Number(m[5]);
  if (length > 32) return undefined;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - length);
  const first = Math.floor(ip / size) * size;
  return [first, first + size - 1];
}

/** Sorted, overlapping and adjacent intervals joined (nftables refuses overlapping elements in one set). */
function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** The fewest CIDRs covering exactly [first, last], for a readable ruleset. */
function intervalToCidrs([first, last]: Interval): string[] {
  const out: string[] = [];
  let start = first;
  while (start <= last) {
    let size = 1;
    // Grow the block while it stays aligned at `start` and inside the interval.
    while (size < 2 ** 32 && start % (size * 2) === 0 && start + size * 2 - 1 <= last) size *= 2;
    const length = 32 - Math.log2(size);
    const ip = [24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256).join('.');
    out.push(length === 32 ? ip : `${ip}/${length}`);
    start += size;
  }
  return out;
}
