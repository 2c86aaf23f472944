import { describe, expect, it } from 'vitest';
import { assessTopology } from './assessment';
import { layoutOf, toleranceOf, type Layout, type LayoutReplica, type Tolerance } from './layout';
import { NOW, buildTopology, prodSpec, stagingSpec, type TopologySpec } from './testing/topology-builder';

const layoutFrom = (spec: TopologySpec): Layout => {
  const t = buildTopology(spec);
  return layoutOf(t, assessTopology(t, NOW));
};

describe('layoutOf', () => {
  const rows: { name: string; spec: TopologySpec; replicas: LayoutReplica[]; loadBalancer: boolean }[] = [
    {
      name: 'healthy prod: three voters behind a load balancer',
      spec: prodSpec(),
      replicas: [
        { name: 'prod-master-b01', zone: 'europe-west1-b', role: 'voter', healthy: true },
        { name: 'prod-master-c02', zone: 'europe-west1-c', role: 'voter', healthy: true },
        { name: 'prod-master-d03', zone: 'europe-west1-d', role: 'voter', healthy: true },
      ],
      loadBalancer: true,
    },
    {
      name: 'staging: one voter, no load balancer',
      spec: stagingSpec(),
      replicas: [{ name: 'staging-master-b01', zone: 'us-central1-b', role: 'voter', healthy: true }],
      loadBalancer: false,
    },
    {
      name: 'a stopped replica is an unhealthy voter; a learner is a learner',
      spec: prodSpec({
        replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }, { zone: 'd', learner: true }],
      }),
      replicas: [
        { name: 'prod-master-b01', zone: 'europe-west1-b', role: 'voter', healthy: true },
        { name: 'prod-master-c02', zone: 'europe-west1-c', role: 'voter', healthy: false },
        { name: 'prod-master-d03', zone: 'europe-west1-d', role: 'voter', healthy: true },
        { name: 'prod-master-d04', zone: 'europe-west1-d', role: 'learner', healthy: true },
      ],
      loadBalancer: true,
    },
    {
      name: 'a replica whose probes time out is not counted on',
      spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout' }, { zone: 'd' }] }),
      replicas: [
        { name: 'prod-master-b01', zone: 'europe-west1-b', role: 'voter', healthy: true },
        { name: 'prod-master-c02', zone: 'europe-west1-c', role: 'voter', healthy: false },
        { name: 'prod-master-d03', zone: 'europe-west1-d', role: 'voter', healthy: true },
      ],
      loadBalancer: true,
    },
  ];
  it('counts voting members no replica runs as stray voters, learners not', () => {
    expect(
      layoutFrom(prodSpec({ extraMembers: [{ name: 'etcd-prod-master-zzz' }, { name: '', isLearner: true }] }))
        .strayVoters,
    ).toBe(1);
    expect(
      layoutFrom(prodSpec({ extraMembers: [{ name: 'etcd-prod-master-zzz', clusters: ['events'] }] })).strayVoters,
    ).toBe(1);
    expect(layoutFrom(prodSpec()).strayVoters).toBe(0);
  });
  it.each(rows)('$name', ({ spec, replicas, loadBalancer }) => {
    const layout = layoutFrom(spec);
    expect(layout.replicas).toEqual(replicas);
    expect(layout.loadBalancer).toBe(loadBalancer);
    expect(layout.region).toBe(spec.region);
  });
});

describe('toleranceOf', () => {
  const zones = ['z-a', 'z-b', 'z-c'];
  const layout = (replicas: [string, boolean, ('voter' | 'learner')?][]): Layout => ({
    region: 'z',
    regionZones: zones,
    loadBalancer: replicas.length > 1,
    strayVoters: 0,
    replicas: replicas.map(([zone, healthy, role], i) => ({ name: `r${i}`, zone, healthy, role: role ?? 'voter' })),
  });
  const rows: { name: string; layout: Layout; tolerance: Tolerance }[] = [
    {
      name: 'no replica',
      layout: layout([]),
      tolerance: { voters: 0, healthyVoters: 0, quorum: 1, canLoseReplicas: 0, canLoseZones: 0, hasQuorum: false },
    },
    {
      name: 'one healthy',
      layout: layout([['z-a', true]]),
      tolerance: { voters: 1, healthyVoters: 1, quorum: 1, canLoseReplicas: 0, canLoseZones: 0, hasQuorum: true },
    },
    {
      name: 'two healthy: quorum, nothing to spare',
      layout: layout([
        ['z-a', true],
        ['z-b', true],
      ]),
      tolerance: { voters: 2, healthyVoters: 2, quorum: 2, canLoseReplicas: 0, canLoseZones: 0, hasQuorum: true },
    },
    {
      name: 'three in three zones',
      layout: layout([
        ['z-a', true],
        ['z-b', true],
        ['z-c', true],
      ]),
      tolerance: { voters: 3, healthyVoters: 3, quorum: 2, canLoseReplicas: 1, canLoseZones: 1, hasQuorum: true },
    },
    {
      name: 'three with one down',
      layout: layout([
        ['z-a', true],
        ['z-b', false],
        ['z-c', true],
      ]),
      tolerance: { voters: 3, healthyVoters: 2, quorum: 2, canLoseReplicas: 0, canLoseZones: 0, hasQuorum: true },
    },
    {
      name: 'three in one zone survive a replica, not the zone',
      layout: layout([
        ['z-a', true],
        ['z-a', true],
        ['z-a', true],
      ]),
      tolerance: { voters: 3, healthyVoters: 3, quorum: 2, canLoseReplicas: 1, canLoseZones: 0, hasQuorum: true },
    },
    {
      name: 'a learner does not vote',
      layout: layout([
        ['z-a', true],
        ['z-b', true],
        ['z-c', true],
        ['z-c', true, 'learner'],
      ]),
      tolerance: { voters: 3, healthyVoters: 3, quorum: 2, canLoseReplicas: 1, canLoseZones: 1, hasQuorum: true },
    },
    {
      name: 'five over three zones (2, 2, 1)',
      layout: layout([
        ['z-a', true],
        ['z-a', true],
        ['z-b', true],
        ['z-b', true],
        ['z-c', true],
      ]),
      tolerance: { voters: 5, healthyVoters: 5, quorum: 3, canLoseReplicas: 2, canLoseZones: 1, hasQuorum: true },
    },
    {
      name: 'three with two down: quorum lost',
      layout: layout([
        ['z-a', true],
        ['z-b', false],
        ['z-c', false],
      ]),
      tolerance: { voters: 3, healthyVoters: 1, quorum: 2, canLoseReplicas: 0, canLoseZones: 0, hasQuorum: false },
    },
  ];
  it.each(rows)('$name', ({ layout: l, tolerance }) => {
    expect(toleranceOf(l)).toEqual(tolerance);
  });

  it('agrees with the assessment on observed clusters', () => {
    for (const spec of [
      prodSpec(),
      stagingSpec(),
      prodSpec({ extraMembers: [{ name: 'etcd-prod-master-zzz' }] }),
      prodSpec({
        replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }, { zone: 'd' }],
      }),
    ]) {
      const t = buildTopology(spec);
      const a = assessTopology(t, NOW);
      const tol = toleranceOf(layoutOf(t, a));
      expect({ r: tol.canLoseReplicas, z: tol.canLoseZones, v: tol.voters }).toEqual({
        r: a.canLoseReplicas,
        z: a.canLoseZones,
        v: a.etcd.main.voters,
      });
    }
  });
});

describe('toleranceOf with stray voters', () => {
  it('counts them toward the quorum as down', () => {
    const layout: Layout = {
      region: 'z',
      regionZones: ['z-a', 'z-b', 'z-c'],
      loadBalancer: true,
      strayVoters: 2,
      replicas: ['z-a', 'z-b', 'z-c'].map((zone, i) => ({
        name: `r${i}`,
        zone,
        role: 'voter' as const,
        healthy: true,
      })),
    };
    expect(toleranceOf(layout)).toEqual({
      voters: 5,
      healthyVoters: 3,
      quorum: 3,
      canLoseReplicas: 0,
      canLoseZones: 0,
      hasQuorum: true,
    });
  });
});
