import { describe, expect, it } from 'vitest';
import type { Topology } from './topology';
import { assessTopology } from './assessment';
import { buildTopology, NOW, prodSpec, withReplica } from './testing/topology-builder';
import {
  addZoneChoices,
  etcdRoleOf,
  fleetWorstSeverity,
  healthTitle,
  isNewerObservation,
  leasesHeldBy,
  outsideZoneChoices,
  replacementZoneChoices,
  type FleetView,
} from './view';

describe('isNewerObservation', () => {
  it.each([
    { current: undefined, incoming: '2026-01-01T00:00:01Z', accept: true },
    { current: '2026-01-01T00:00:01Z', incoming: '2026-01-01T00:00:02Z', accept: true },
    { current: '2026-01-01T00:00:02Z', incoming: '2026-01-01T00:00:01Z', accept: false },
    { current: '2026-01-01T00:00:02Z', incoming: '2026-01-01T00:00:02Z', accept: true },
  ])('current $current, incoming $incoming -> $accept', ({ current, incoming, accept }) => {
    expect(isNewerObservation(current, incoming)).toBe(accept);
  });
});

describe('etcdRoleOf', () => {
  const base = {
    ok: true as const,
    memberId: '1',
    leaderId: '1',
    raftIndex: 5,
    raftTerm: 2,
    dbSize: 20480,
    isLearner: false,
    version: '3.4.23',
  };
  it.each([
    { status: base, role: 'leader' },
    { status: { ...base, memberId: '2' }, role: 'follower' },
    { status: { ...base, memberId: '2', isLearner: true }, role: 'learner' },
    { status: { ok: false as const, error: 'connection refused' }, role: 'unknown' },
  ])('$role', ({ status, role }) => {
    expect(etcdRoleOf(status)).toBe(role);
  });
});

describe('leasesHeldBy', () => {
  const topology = {
    observedAt: '2026-01-01T00:00:30Z',
    leases: [
      {
        component: 'kube-scheduler',
        holderIdentity: 'm-abc_123',
        renewTime: '2026-01-01T00:00:29Z',
        leaseDurationSeconds: 15,
      },
      {
        component: 'kube-controller-manager',
        holderIdentity: 'm-abc_123',
        renewTime: '2026-01-01T00:00:10Z',
        leaseDurationSeconds: 15,
      },
      {
        component: 'cluster-autoscaler',
        holderIdentity: 'm-def_9',
        renewTime: '2026-01-01T00:00:29Z',
        leaseDurationSeconds: 15,
      },
    ],
  } as unknown as Topology;
  it('lists only unexpired leases of that replica', () => {
    expect(leasesHeldBy(topology, 'm-abc')).toEqual(['kube-scheduler']);
    expect(leasesHeldBy(topology, 'm-def')).toEqual(['cluster-autoscaler']);
    expect(leasesHeldBy(topology, 'm-xyz')).toEqual([]);
  });
});

describe('addZoneChoices', () => {
  it('recommends the free zone of a two-zone-filled prod-like cluster and refuses nothing healthy', () => {
    const topology = buildTopology(prodSpec());
    const view = { id: 'x', topology, assessment: assessTopology(topology, NOW) };
    const choices = addZoneChoices(view);
    expect(choices.map((c) => c.zone)).toEqual(topology.regionZones);
    expect(choices.filter((c) => c.recommended)).toHaveLength(1);
    for (const c of choices) expect(c.refusal === null).toBe(c.after !== null);
  });

  it('refuses every zone while a voter is down, recommending none', () => {
    const base = buildTopology(prodSpec());
    const victim = base.replicas[0];
    if (!victim) throw new Error('no replica');
    const topology = withReplica(base, victim.name, { vmStatus: 'TERMINATED' });
    const choices = addZoneChoices({ id: 'x', topology, assessment: assessTopology(topology, NOW) });
    expect(choices.every((c) => c.refusal !== null && c.after === null && !c.recommended)).toBe(true);
  });
});

describe('addZoneChoices while an operation runs', () => {
  it('refuses every zone with the same OperationInProgress reason, recommending none', () => {
    const topology = buildTopology(prodSpec());
    const choices = addZoneChoices(
      { id: 'x', topology, assessment: assessTopology(topology, NOW) },
      { operationInProgress: true },
    );
    expect(new Set(choices.map((c) => c.refusalCode))).toEqual(new Set(['OperationInProgress']));
    expect(new Set(choices.map((c) => c.refusal)).size).toBe(1);
    expect(choices.some((c) => c.recommended || c.after !== null)).toBe(false);
  });
});

describe('outsideZoneChoices', () => {
  it("gives each zone of another region the planner's reason and leaves the region's own zones out", () => {
    const topology = buildTopology(prodSpec());
    const view = { id: 'x', topology, assessment: assessTopology(topology, NOW) };
    const choices = outsideZoneChoices(view, [...topology.regionZones, 'us-central1-a', 'us-central1-f']);
    expect(choices.map((c) => c.zone)).toEqual(['us-central1-a', 'us-central1-f']);
    expect(choices[0]?.refusal).toMatch(
      /^us-central1-a is in us-central1, outside the cluster's region europe-west1; pick one of /,
    );
  });
});

describe('replacementZoneChoices', () => {
  it("recommends the failed replica's own zone and lists every zone with what the cluster survives after", () => {
    const t = buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'refused' }, { zone: 'd' }] }));
    const choices = replacementZoneChoices(
      { id: 'x', topology: t, assessment: assessTopology(t, NOW) },
      'prod-master-c02',
    );
    expect(choices.map((c) => [c.zone, c.recommended, c.after?.canLoseZones ?? null, c.warning !== null])).toEqual([
      ['europe-west1-b', false, 0, true],
      ['europe-west1-c', true, 1, false],
      ['europe-west1-d', false, 0, true],
    ]);
    expect(choices[1]?.replicas).toEqual([]);
  });

  it('refuses the zone that is down and recommends the emptiest reachable one, with the tolerance warning', () => {
    const base = buildTopology(
      prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout', apiServer: 'timeout' }, { zone: 'd' }] }),
    );
    const t = {
      ...base,
      nodes: (base.nodes ?? []).map((n) => (n.zone === 'europe-west1-c' ? { ...n, ready: false } : n)),
    };
    const choices = replacementZoneChoices(
      { id: 'x', topology: t, assessment: assessTopology(t, NOW) },
      'prod-master-c02',
    );
    const c = choices.find((x) => x.zone === 'europe-west1-c');
    expect(c?.refusalCode).toBe('ZoneUnavailable');
    const recommended = choices.filter((x) => x.recommended);
    expect(recommended.map((x) => x.zone)).toEqual(['europe-west1-b']);
    expect(recommended[0]?.warning?.message).toContain('because europe-west1-c is unreachable');
  });
});

describe('healthTitle', () => {
  it('puts critical and warning in front of the title, and takes them off again', () => {
    expect(healthTitle('prod-master · Quorum', 'critical')).toBe('[critical] prod-master · Quorum');
    expect(healthTitle('[critical] prod-master · Quorum', 'warning')).toBe('[warning] prod-master · Quorum');
    expect(healthTitle('[warning] prod-master · Quorum', 'info')).toBe('prod-master · Quorum');
    expect(healthTitle('prod-master · Quorum', null)).toBe('prod-master · Quorum');
    expect(healthTitle(healthTitle('Quorum', 'critical'), 'critical')).toBe('[critical] Quorum');
  });
});

describe('fleetWorstSeverity', () => {
  const ref = { project: 'p', region: 'r', masterName: 'm' };
  const entry = (severity: 'critical' | 'warning' | 'info' | null): FleetView['clusters'][number] => ({
    ok: true,
    summary: {
      id: 'p~r~m',
      cluster: ref,
      observedAt: NOW.toISOString(),
      healthyReplicas: 3,
      unknownReplicas: 0,
      totalReplicas: 3,
      zones: 3,
      canLoseReplicas: 1,
      canLoseZones: 1,
      worstFinding: severity ? { code: 'QuorumLost', severity, subject: 's', message: 'm', fix: 'f' } : null,
    },
  });
  const fleet = (clusters: FleetView['clusters']): FleetView => ({ observedAt: NOW.toISOString(), clusters });
  it('is the worst finding of any cluster; a cluster that could not be read counts as a warning', () => {
    expect(fleetWorstSeverity(fleet([entry(null), entry('info')]))).toBe('info');
    expect(fleetWorstSeverity(fleet([entry('warning'), entry('critical'), entry(null)]))).toBe('critical');
    expect(fleetWorstSeverity(fleet([entry(null), { ok: false, id: 'p~r~x', cluster: ref, error: 'boom' }]))).toBe(
      'warning',
    );
    expect(fleetWorstSeverity(fleet([]))).toBeNull();
  });
});
