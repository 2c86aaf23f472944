// The translation of Compute firewall rules into one VM's nftables ruleset; the kernel side is tested in
// twin-firewall.netns.test.ts.
import { describe, expect, it } from 'vitest';
import {
  appliesTo,
  FIREWALL_TABLE,
  ingressRuleset,
  networkKey,
  parseCidr,
  planIngress,
  sourceIntervals,
  type FirewallResource,
  type FirewallVm,
} from './firewall-plan';

const NETWORK = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/default';
const OTHER_NETWORK = 'https://www.googleapis.com/compute/v1/projects/other/global/networks/default';

const vm = (name: string, ip: string, tags: string[] = [], extra: Partial<FirewallVm> = {}): FirewallVm => ({
  name,
  network: NETWORK,
  ip,
  tags,
  serviceAccounts: [],
  ...extra,
});

const rule = (name: string, extra: Partial<FirewallResource>): FirewallResource => ({
  name,
  network: NETWORK,
  priority: 1000,
  direction: 'INGRESS',
  disabled: false,
  ...extra,
});

const A = vm('prod-master-aaa', '198.18.40.2', ['prod-master']);
const B = vm('prod-master-bbb', '198.18.40.5', ['prod-master']);
const C = vm('plain-vm', '198.18.40.9');
const VMS = [A, B, C];

// kube-up's rules for prod, mapped into net 10's plan (198.18.40.0/23 is every internal subnetwork).
const KUBE_UP = [
  rule('prod-default-internal-master', {
    sourceRanges: ['198.18.40.0/25', '198.18.40.128/25'],
    targetTags: ['prod-master'],
    allowed: [
      { IPProtocol: 'tcp', ports: ['1-2379'] },
      { IPProtocol: 'tcp', ports: ['2382-65535'] },
      { IPProtocol: 'udp', ports: ['1-65535'] },
      { IPProtocol: 'icmp' },
    ],
  }),
  rule('default-default-ssh', { sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] }),
  rule('prod-master-https', {
    sourceRanges: ['0.0.0.0/0'],
    targetTags: ['prod-master'],
    allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
  }),
  rule('prod-master-etcd', {
    sourceTags: ['prod-master'],
    targetTags: ['prod-master'],
    allowed: [{ IPProtocol: 'tcp', ports: ['2380', '2381'] }],
  }),
];

describe('appliesTo (GCE target selection)', () => {
  it.each([
    ['no targets: every instance of the network', rule('r', {}), C, true],
    ['a target tag the VM carries', rule('r', { targetTags: ['x', 'prod-master'] }), A, true],
    ['a target tag the VM lacks', rule('r', { targetTags: ['prod-master'] }), C, false],
    [
      'a target service account',
      rule('r', { targetServiceAccounts: ['sa@p.iam.gserviceaccount.com'] }),
      vm('s', '198.18.40.9', [], { serviceAccounts: ['sa@p.iam.gserviceaccount.com'] }),
      true,
    ],
    ['another service account', rule('r', { targetServiceAccounts: ['sa@p.iam.gserviceaccount.com'] }), C, false],
    ['a disabled rule', rule('r', { disabled: true }), A, false],
    ['an EGRESS rule', rule('r', { direction: 'EGRESS' }), A, false],
    ['another network', rule('r', { network: OTHER_NETWORK }), A, false],
    ['the same network by partial reference', rule('r', { network: 'projects/p/global/networks/default' }), A, true],
  ])('%s', (_what, r, target, expected) => {
    expect(appliesTo(r, target)).toBe(expected);
  });

  it('compares networks by project and name', () => {
    expect(networkKey(NETWORK)).toBe('projects/p/global/networks/default');
    expect(networkKey(OTHER_NETWORK)).not.toBe(networkKey(NETWORK));
  });
});

describe('sourceIntervals', () => {
  it('a source tag stands for the primary internal IP of every instance carrying it, in the same network only', () => {
    const elsewhere = vm('x', '198.18.40.9', ['prod-master'], { network: OTHER_NETWORK });
    const r = rule('r', { sourceTags: ['prod-master'] });
    expect(sourceIntervals(r, [...VMS, elsewhere])).toEqual([parseCidr('198.18.40.2'), parseCidr('198.18.40.5')]);
  });

  it('ranges and tags add up; overlaps and neighbours merge', () => {
    const r = rule('r', { sourceRanges: ['10.0.0.0/8', '10.1.0.0/16', '198.18.40.3'], sourceTags: ['prod-master'] });
    expect(sourceIntervals(r, VMS)).toEqual([
      parseCidr('10.0.0.0/8'),
      parseCidr('198.18.40.2/31'),
      parseCidr('198.18.40.5'),
    ]);
  });

  it('no source at all is from anywhere; a tag nobody carries is from nowhere', () => {
    expect(sourceIntervals(rule('r', {}), VMS)).toEqual([[0, 2 ** 32 - 1]]);
    expect(sourceIntervals(rule('r', { sourceTags: ['nobody'] }), VMS)).toEqual([]);
  });

  it('leaves out what is not IPv4', () => {
    expect(sourceIntervals(rule('r', { sourceRanges: ['::/0', 'nonsense', '300.1.1.1', '1.2.3.4/33'] }), VMS)).toEqual(
      [],
    );
  });
});

describe('planIngress', () => {
  it('orders by priority, a deny before an allow of the same priority, and drops rules that apply to nobody', () => {
    const rules = [
      rule('late-allow', { priority: 2000, allowed: [{ IPProtocol: 'all' }] }),
      rule('allow', { priority: 100, allowed: [{ IPProtocol: 'tcp', ports: ['2380'] }] }),
      rule('deny', { priority: 100, denied: [{ IPProtocol: 'tcp', ports: ['2380'] }] }),
      rule('first', { priority: 10, allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] }),
      rule('off', { priority: 0, disabled: true, allowed: [{ IPProtocol: 'all' }] }),
      rule('from-nobody', { priority: 0, sourceTags: ['nobody'], allowed: [{ IPProtocol: 'all' }] }),
    ];
    expect(planIngress(rules, A, VMS).map((r) => `${r.firewall}:${r.verdict}`)).toEqual([
      'first:accept',
      'deny:drop',
      'allow:accept',
      'late-allow:accept',
    ]);
  });

  it('one nftables rule per allowed entry; ports only for tcp, udp and sctp; ranges merged', () => {
    const r = rule('r', {
      allowed: [
        { IPProtocol: 'TCP', ports: ['2380', '2381', '2000-2380'] },
        { IPProtocol: 'icmp', ports: ['7'] },
        { IPProtocol: 'ipip' },
        { IPProtocol: '132' },
        { IPProtocol: 'bogus' },
      ],
    });
    expect(planIngress([r], A, VMS).map((x) => [x.protocol, x.ports])).toEqual([
      ['tcp', [[2000, 2381]]],
      ['icmp', []],
      ['4', []],
      ['132', []],
    ]);
  });
});

describe('ingressRuleset', () => {
  it("renders kube-up's rules for a master: ssh and https from anywhere, etcd peers from masters only, the rest from inside", () => {
    const text = ingressRuleset(KUBE_UP, A, VMS);
    expect(text).toBe(
      [
        '# Compute Engine firewall of prod-master-aaa (198.18.40.2) on projects/p/global/networks/default: ingress only; egress is allowed (implied rule)',
        `table inet ${FIREWALL_TABLE} {}`,
        `delete table inet ${FIREWALL_TABLE}`,
        `table inet ${FIREWALL_TABLE} {`,
        '  chain ingress {',
        '    # implied deny ingress (priority 65535)',
        '    type filter hook input priority filter; policy drop;',
        '    iif "lo" accept comment "the VM to itself and to the metadata server"',
        '    ct state established,related accept comment "stateful: replies always pass"',
        '    ip saddr 0.0.0.0/0 tcp dport 22 accept comment "default-default-ssh (priority 1000)"',
        '    ip saddr 198.18.40.0/24 tcp dport 1-2379 accept comment "prod-default-internal-master (priority 1000)"',
        '    ip saddr 198.18.40.0/24 tcp dport 2382-65535 accept comment "prod-default-internal-master (priority 1000)"',
        '    ip saddr 198.18.40.0/24 udp dport 1-65535 accept comment "prod-default-internal-master (priority 1000)"',
        '    ip saddr 198.18.40.0/24 meta l4proto icmp accept comment "prod-default-internal-master (priority 1000)"',
        '    ip saddr { 198.18.40.2, 198.18.40.5 } tcp dport 2380-2381 accept comment "prod-master-etcd (priority 1000)"',
        '    ip saddr 0.0.0.0/0 tcp dport 443 accept comment "prod-master-https (priority 1000)"',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('gives an untagged VM only the rules without targets', () => {
    const text = ingressRuleset(KUBE_UP, C, VMS);
    expect(text).toMatch(/tcp dport 22 accept comment "default-default-ssh/);
    expect(text).not.toMatch(/2380|443|internal-master/);
    expect(text).toMatch(/policy drop;/);
  });

  it('renders a range that is no single CIDR as the fewest CIDRs, and several ports as a set', () => {
    const r = rule('r', {
      sourceRanges: ['10.0.0.1', '10.0.0.2/31', '10.0.0.4/30'],
      allowed: [{ IPProtocol: 'udp', ports: ['53', '123'] }],
    });
    expect(ingressRuleset([r], A, VMS)).toMatch(
      /ip saddr \{ 10\.0\.0\.1, 10\.0\.0\.2\/31, 10\.0\.0\.4\/30 \} udp dport \{ 53, 123 \} accept/,
    );
  });

  it('a deny renders as drop, and `all` matches every protocol', () => {
    const r = rule('block', { sourceRanges: ['198.18.40.1'], denied: [{ IPProtocol: 'all' }], priority: 5 });
    expect(ingressRuleset([r], A, VMS)).toMatch(/ip saddr 198\.18\.40\.1 drop comment "block \(priority 5\)"/);
  });
});
