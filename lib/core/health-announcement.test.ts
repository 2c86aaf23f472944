import { describe, expect, it } from 'vitest';
import { fleetHealthStates, healthChanges, healthStateOf, type HealthState } from './health-announcement';
import type { Finding } from './assessment';
import type { ClusterSummary, FleetView } from './view';

const cluster = { project: 'p', region: 'europe-west1', masterName: 'prod-master' };
const finding = (severity: Finding['severity']) => ({ severity }) as Finding;
const summary = (over: Partial<ClusterSummary>): ClusterSummary => ({
  id: 'p~europe-west1~prod-master',
  cluster,
  observedAt: '2026-01-10T12:00:00Z',
  healthyReplicas: 3,
  unknownReplicas: 0,
  totalReplicas: 3,
  zones: 3,
  canLoseReplicas: 1,
  canLoseZones: 1,
  worstFinding: null,
  ...over,
});

const h = (
  state: 'critical' | 'warning' | 'healthy',
  canLoseReplicas: number,
  canLoseZones = canLoseReplicas,
  id = 'a',
  name = 'prod-master',
): HealthState => ({
  id,
  name,
  state,
  canLoseReplicas,
  canLoseZones,
});

describe('healthStateOf', () => {
  it.each<[Finding['severity'] | null, HealthState['state']]>([
    [null, 'healthy'],
    ['info', 'healthy'],
    ['warning', 'warning'],
    ['critical', 'critical'],
  ])('worst finding %s -> %s', (severity, state) => {
    expect(healthStateOf(summary({ worstFinding: severity ? finding(severity) : null })).state).toBe(state);
  });
});

describe('healthChanges', () => {
  it.each<[string, HealthState[], HealthState[], string[]]>([
    ['nothing changed', [h('healthy', 1)], [h('healthy', 1)], []],
    ['the worst state changed', [h('healthy', 1)], [h('warning', 1)], ['prod-master warning 1/1']],
    ['the tolerance changed, the state did not', [h('warning', 1)], [h('warning', 0)], ['prod-master warning 0/0']],
    ['only the zones it can lose changed', [h('healthy', 1, 1)], [h('healthy', 1, 0)], ['prod-master healthy 1/0']],
    ['back to healthy', [h('critical', 0)], [h('healthy', 1)], ['prod-master healthy 1/1']],
    ['first observation', [], [h('critical', 0)], []],
    ['a cluster gone', [h('healthy', 1)], [], []],
    [
      'could not be observed any more',
      [h('healthy', 1)],
      [{ id: 'a', name: 'prod-master', state: 'unobserved' }],
      ['prod-master unobserved'],
    ],
    [
      'still not observed',
      [{ id: 'a', name: 'prod-master', state: 'unobserved' }],
      [{ id: 'a', name: 'prod-master', state: 'unobserved' }],
      [],
    ],
    [
      'two clusters, one changed',
      [h('healthy', 1, 1, 'a', 'prod-master'), h('healthy', 0, 0, 'b', 'staging-master')],
      [h('healthy', 1, 1, 'a', 'prod-master'), h('warning', 0, 0, 'b', 'staging-master')],
      ['staging-master warning 0/0'],
    ],
  ])('%s', (_, previous, next, announced) => {
    // `name state replicas/zones`: what changed, as the announcer puts it in words (tests/unit/catalog-words.test.ts).
    const brief = (x: HealthState) =>
      x.state === 'unobserved' ? `${x.name} unobserved` : `${x.name} ${x.state} ${x.canLoseReplicas}/${x.canLoseZones}`;
    expect(healthChanges(previous, next).map(brief)).toEqual(announced);
  });
});

describe('fleetHealthStates', () => {
  it('gives an unobservable cluster no tolerance', () => {
    const fleet: FleetView = {
      observedAt: '2026-01-10T12:00:00Z',
      clusters: [
        { ok: true, summary: summary({ worstFinding: finding('warning'), canLoseReplicas: 0, canLoseZones: 0 }) },
        {
          ok: false,
          id: 'p~us-central1~staging-master',
          cluster: { ...cluster, region: 'us-central1', masterName: 'staging-master' },
          error: 'timeout',
        },
      ],
    };
    expect(fleetHealthStates(fleet)).toEqual([
      { id: 'p~europe-west1~prod-master', name: 'prod-master', state: 'warning', canLoseReplicas: 0, canLoseZones: 0 },
      { id: 'p~us-central1~staging-master', name: 'staging-master', state: 'unobserved' },
    ]);
  });
});
