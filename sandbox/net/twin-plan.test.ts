import { describe, expect, it } from 'vitest';
import {
  diffNeighbours,
  HOST_SIDE,
  MAX_LINK_NAME,
  neighbourBatch,
  NO_FAULTS,
  planTwinKernelState,
  renderTwinHostsFile,
  twinBogusMac,
  twinBridgeMac,
  twinBridgeName,
  twinHostVethName,
  twinNamespaceName,
  twinNamespacePrefix,
  twinVmMac,
  type TwinFaults,
  type TwinVmView,
} from './twin-plan';

describe('twin names', () => {
  it.each([1, 10, 99, 127])('net %i: link names fit IFNAMSIZ and namespaces carry the net prefix', (net) => {
    const key = 'projects/p/zones/europe-west1-b/instances/prod-master-abc';
    expect(twinBridgeName(net).length).toBeLessThanOrEqual(MAX_LINK_NAME);
    expect(twinHostVethName(net, key).length).toBeLessThanOrEqual(MAX_LINK_NAME);
    expect(twinNamespaceName(net, key).startsWith(twinNamespacePrefix(net))).toBe(true);
    expect(twinNamespaceName(net, key)).toBe(twinNamespaceName(net, key));
  });

  it("keeps net 1's prefix from matching net 10's names", () => {
    expect(twinNamespaceName(10, 'x').startsWith(twinNamespacePrefix(1))).toBe(false);
  });

  it('derives distinct locally administered MACs', () => {
    expect(twinVmMac('198.18.40.2')).toBe('02:00:c6:12:28:02');
    expect(twinBridgeMac(99)).toBe('02:01:00:00:00:63');
    expect(twinBogusMac(99)).toBe('02:de:ad:00:00:63');
    expect(() => twinVmMac('198.18.40')).toThrow(/not an IPv4/);
  });
});

describe('renderTwinHostsFile', () => {
  it('lists localhost, the metadata server and every instance', () => {
    expect(
      renderTwinHostsFile([
        { ip: '198.18.40.2', names: ['prod-master-abc'] },
        { ip: '198.18.40.130', names: ['prod-master-def', 'prod-master-def.c.demo.internal'] },
      ]),
    ).toBe(
      [
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        '169.254.169.254\tmetadata.google.internal metadata',
        '198.18.40.2\tprod-master-abc',
        '198.18.40.130\tprod-master-def prod-master-def.c.demo.internal',
        '',
      ].join('\n'),
    );
  });

  it.each([
    [{ ip: '198.18.40.999', names: ['a'] }, /not an IPv4/],
    [{ ip: '198.18.40.2', names: [] }, /invalid name/],
    [{ ip: '198.18.40.2', names: ['a b'] }, /invalid name 'a b'/],
    [{ ip: '198.18.40.2', names: ['evil\n1.2.3.4 metadata.google.internal'] }, /invalid name/],
  ])('refuses %j', (entry, message) => {
    expect(() => renderTwinHostsFile([entry])).toThrow(message);
  });
});

describe('planTwinKernelState', () => {
  const net = 99;
  const vm = (ns: string, ip: string, zone: string): TwinVmView => ({ ns, hostVeth: `qv99-${ns}`, ip, zone });
  const b1 = vm('b1', '198.19.140.2', 'europe-west1-b');
  const c1 = vm('c1', '198.19.140.3', 'europe-west1-c');
  const a1 = vm('a1', '198.19.140.130', 'us-central1-a');
  const gateways = ['198.19.140.1', '198.19.140.129'];
  const external = '198.19.142.1';
  const metadata = '198.19.143.1';
  const lb = '198.19.143.2';
  const bridge = twinBridgeMac(net);
  const bogus = twinBogusMac(net);
  const plan = (faults: TwinFaults) =>
    planTwinKernelState({ net, vms: [b1, c1, a1], dashboardIps: gateways, cloudIps: [metadata, lb, external], faults });

  it('without faults: every link up, every neighbour pinned to its true MAC', () => {
    const s = plan(NO_FAULTS);
    expect([...s.linksUp.values()]).toEqual([true, true, true]);
    expect(s.neighbours.get(HOST_SIDE)).toEqual(new Map([b1, c1, a1].map((v) => [v.ip, twinVmMac(v.ip)])));
    expect(s.neighbours.get('b1')).toEqual(
      new Map([
        [c1.ip, twinVmMac(c1.ip)],
        [a1.ip, twinVmMac(a1.ip)],
        [gateways[0], bridge],
        [gateways[1], bridge],
        [metadata, bridge],
        [lb, bridge],
        [external, bridge],
      ]),
    );
  });

  it("zone down: only that zone's links go down, neighbours unchanged", () => {
    const s = plan({ ...NO_FAULTS, zonesDown: ['europe-west1-c'] });
    expect(s.linksUp).toEqual(
      new Map([
        ['qv99-b1', true],
        ['qv99-c1', false],
        ['qv99-a1', true],
      ]),
    );
    expect(s.neighbours).toEqual(plan(NO_FAULTS).neighbours);
  });

  it('partition b|a: each side points at nobody for the other, both keep the host and third zones', () => {
    const s = plan({ ...NO_FAULTS, partitions: [['europe-west1-b', 'us-central1-a']] });
    expect(s.neighbours.get('b1')?.get(a1.ip)).toBe(bogus);
    expect(s.neighbours.get('a1')?.get(b1.ip)).toBe(bogus);
    expect(s.neighbours.get('b1')?.get(c1.ip)).toBe(twinVmMac(c1.ip));
    expect(s.neighbours.get('c1')?.get(a1.ip)).toBe(twinVmMac(a1.ip));
    for (const ns of ['b1', 'a1']) {
      expect(s.neighbours.get(ns)?.get(gateways[0] ?? '')).toBe(bridge);
      expect(s.neighbours.get(ns)?.get(metadata)).toBe(bridge);
    }
    expect([...s.linksUp.values()]).toEqual([true, true, true]);
  });

  it("dashboard cut off a zone: its VMs lose the gateways only; the cloud's addresses, peers and host side stay", () => {
    const s = plan({ ...NO_FAULTS, dashboardCut: ['us-central1-a'] });
    const a = s.neighbours.get('a1');
    expect([gateways[0], gateways[1]].map((ip) => a?.get(ip ?? ''))).toEqual([bogus, bogus]);
    expect([metadata, lb, external].map((ip) => a?.get(ip))).toEqual([bridge, bridge, bridge]);
    expect(a?.get(b1.ip)).toBe(twinVmMac(b1.ip));
    expect(s.neighbours.get('b1')?.get(gateways[1] ?? '')).toBe(bridge);
    expect(s.neighbours.get(HOST_SIDE)?.get(a1.ip)).toBe(twinVmMac(a1.ip));
  });
});

describe('diffNeighbours / neighbourBatch', () => {
  it.each([
    ['nothing applied yet', undefined, [['1.1.1.1', 'aa']], [['1.1.1.1', 'aa']], []],
    ['unchanged', [['1.1.1.1', 'aa']], [['1.1.1.1', 'aa']], [], []],
    ['changed MAC', [['1.1.1.1', 'aa']], [['1.1.1.1', 'bb']], [['1.1.1.1', 'bb']], []],
    [
      'gone',
      [
        ['1.1.1.1', 'aa'],
        ['2.2.2.2', 'cc'],
      ],
      [['1.1.1.1', 'aa']],
      [],
      ['2.2.2.2'],
    ],
  ] as const)('%s', (_name, applied, wanted, replace, remove) => {
    const d = diffNeighbours(applied ? new Map(applied) : undefined, new Map(wanted));
    expect(d).toEqual({ replace, remove });
  });

  it('writes ip batch lines, removals first', () => {
    expect(neighbourBatch('eth0', { replace: [['1.1.1.1', 'aa']], remove: ['2.2.2.2'] })).toEqual([
      'neigh del 2.2.2.2 dev eth0',
      'neigh replace 1.1.1.1 lladdr aa dev eth0 nud permanent',
    ]);
  });
});
