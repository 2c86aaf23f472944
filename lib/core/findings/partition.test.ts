import { describe, expect, it } from 'vitest';
import { contextOf, type Finding, type FindingCode, type Severity } from '../assessment';
import { NOW, buildTopology, prodSpec, withPeerLinks } from '../testing/topology-builder';
import type { Topology } from '../topology';
import { partitionRule } from './partition';

const B = 'prod-master-b01';
const C = 'prod-master-c02';
const D = 'prod-master-d03';
const prod = () => buildTopology(prodSpec());
const five = () =>
  buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'c' }, { zone: 'd' }] }));

type Row = {
  name: string;
  topology: () => Topology;
  /** What the rule alone emits, in its order: [code, severity, subject]. */
  findings: [FindingCode, Severity, string | null][];
  check?: (findings: Finding[]) => void;
};

const rows: Row[] = [
  { name: 'no member reported its links', topology: prod, findings: [] },
  { name: 'every link up', topology: () => withPeerLinks(prod(), []), findings: [] },
  {
    name: 'two followers cut: the leader holds quorum alone, critical',
    topology: () => withPeerLinks(prod(), [[C, D]]),
    findings: [['ZonePartition', 'critical', 'europe-west1-c | europe-west1-d']],
    check: (f) => {
      expect(f[0]?.message).toContain(`etcd main keeps quorum only through europe-west1-b (${B}, the leader)`);
      expect(f[0]?.action).toBeUndefined();
    },
  },
  {
    name: 'the same cut in etcd events names events',
    topology: () => withPeerLinks(prod(), [[C, D]], { cluster: 'events' }),
    findings: [['ZonePartition', 'critical', 'europe-west1-c | europe-west1-d']],
    check: (f) => expect(f[0]?.message).toMatch(/^etcd events members/),
  },
  {
    name: 'every link cut: one finding per pair of zones, writes stop',
    topology: () =>
      withPeerLinks(prod(), [
        [B, C],
        [B, D],
        [C, D],
      ]),
    findings: [
      ['ZonePartition', 'critical', 'europe-west1-b | europe-west1-c'],
      ['ZonePartition', 'critical', 'europe-west1-b | europe-west1-d'],
      ['ZonePartition', 'critical', 'europe-west1-c | europe-west1-d'],
    ],
    check: (f) => expect(f[0]?.message).toContain('No member reaches a majority of the 3 voters directly'),
  },
  {
    name: 'five replicas, one pair cut inside no zone cut: PeersCut, a warning',
    topology: () => withPeerLinks(five(), [['prod-master-b01', 'prod-master-c03']]),
    findings: [['PeersCut', 'warning', null]],
    check: (f) => expect(f[0]?.message).toContain('prod-master-b01 and prod-master-c03 cannot reach each other'),
  },
];

describe('partitionRule', () => {
  it.each(rows)('$name', ({ topology, findings, check }) => {
    const out = partitionRule.evaluate(contextOf(topology(), NOW));
    expect(out.map((f) => [f.code, f.severity, f.subject])).toEqual(findings);
    check?.(out);
  });
});
