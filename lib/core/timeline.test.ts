import { describe, expect, it } from 'vitest';
import { assessTopology } from './assessment';
import { buildTopology, prodSpec, NOW } from './testing/topology-builder';
import {
  leaderChanges,
  replicaOutages,
  timelineSegments,
  timelineStateOf,
  toneOf,
  type TimelineEntry,
  type TimelineState,
} from './timeline';

const at = (minutes: number) => new Date(Date.parse('2026-01-10T03:00:00.000Z') + minutes * 60_000).toISOString();
const healthy: TimelineState = {
  canLoseReplicas: 1,
  canLoseZones: 1,
  quorumLost: false,
  replicas: { a: 'healthy', b: 'healthy', c: 'healthy' },
  leader: 'a',
  worst: null,
};
const bDown: TimelineState = {
  ...healthy,
  canLoseReplicas: 0,
  canLoseZones: 0,
  replicas: { ...healthy.replicas, b: 'unhealthy' },
  worst: 'critical',
};
const entry = (from: number, to: number, state: TimelineState): TimelineEntry => ({
  at: at(from),
  until: at(to),
  state,
});

describe('timeline', () => {
  it('takes its state from a view: tolerance, replica health, the leader by name, the worst finding', () => {
    const t = buildTopology(prodSpec());
    const s = timelineStateOf({ topology: t, assessment: assessTopology(t, NOW) });
    expect(s).toMatchObject({ canLoseReplicas: 1, quorumLost: false, leader: 'prod-master-b01', worst: null });
    expect(Object.values(s.replicas)).toEqual(['healthy', 'healthy', 'healthy']);
  });

  it('keeps an outage’s real start across a gap (the dashboard restarted) and ends it when the replica is seen healthy', () => {
    const entries = [entry(0, 10, healthy), entry(11, 20, bDown), entry(35, 40, bDown), entry(41, 50, healthy)];
    expect(replicaOutages(entries)).toEqual([
      { replica: 'b', from: at(11), to: at(41), health: 'unhealthy', gaps: true },
    ]);
    expect(replicaOutages(entries.slice(0, 3))).toEqual([
      { replica: 'b', from: at(11), to: null, health: 'unhealthy', gaps: true },
    ]);
  });

  it('cuts a window into coloured segments, with "none" where nothing observed the cluster', () => {
    const segments = timelineSegments(
      [entry(0, 10, healthy), entry(10.5, 20, bDown), entry(35, 40, bDown)],
      at(-5),
      at(45),
    );
    expect(segments.map((s) => [s.tone, s.from, s.to])).toEqual([
      ['none', at(-5), at(0)],
      ['ok', at(0), at(10.5)],
      ['down', at(10.5), at(20)],
      ['none', at(20), at(35)],
      ['down', at(35), at(40)],
      ['none', at(40), at(45)],
    ]);
  });

  it('says silence in grey and lists leader changes', () => {
    expect(toneOf({ ...healthy, canLoseReplicas: 0, replicas: { ...healthy.replicas, c: 'unknown' } })).toBe('unknown');
    expect(toneOf(bDown)).toBe('down');
    expect(toneOf({ ...bDown, canLoseReplicas: 1 })).toBe('degraded');
    expect(leaderChanges([entry(0, 1, healthy), entry(2, 3, { ...healthy, leader: 'c' })])).toEqual([
      { at: at(2), from: 'a', to: 'c' },
    ]);
  });
});
