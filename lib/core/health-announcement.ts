// What the fleet and cluster pages' polite live region says (issue 13: nothing was announced to screen readers).
// Only a change is spoken, of a cluster's worst state or of what it can lose, never each observation: the feed
// brings one every few seconds, and the page itself is read when it opens.
import type { ClusterSummary, FleetView } from './view';

export type HealthState =
  | {
      id: string;
      name: string;
      state: 'critical' | 'warning' | 'healthy';
      canLoseReplicas: number;
      canLoseZones: number;
    }
  /** A cluster the fleet could not observe: neither its state nor its tolerance is known. */
  | { id: string; name: string; state: 'unobserved' };

export function healthStateOf(summary: ClusterSummary): HealthState {
  const worst = summary.worstFinding?.severity;
  return {
    id: summary.id,
    name: summary.cluster.masterName,
    // An info finding is advice, not a problem: the tab title ignores it too (view.ts healthTitle).
    state: worst === 'critical' || worst === 'warning' ? worst : 'healthy',
    canLoseReplicas: summary.canLoseReplicas,
    canLoseZones: summary.canLoseZones,
  };
}

export function fleetHealthStates(fleet: FleetView): HealthState[] {
  return fleet.clusters.map((e) =>
    e.ok ? healthStateOf(e.summary) : { id: e.id, name: e.cluster.masterName, state: 'unobserved' },
  );
}

const sameHealth = (a: HealthState, b: HealthState): boolean =>
  a.state === b.state &&
  (a.state === 'unobserved' ||
    (b.state !== 'unobserved' && a.canLoseReplicas === b.canLoseReplicas && a.canLoseZones === b.canLoseZones));

/**
 * The clusters to announce going from `previous` to `next`, in `next`'s order: those whose state or tolerance changed.
 * A cluster seen for the first time, or gone, is not announced (the list on screen says so). The words are the page's
 * (components/quorum/health-announcer.tsx), in its language.
 */
export function healthChanges(previous: readonly HealthState[], next: readonly HealthState[]): HealthState[] {
  const before = new Map(previous.map((h) => [h.id, h]));
  return next.filter((h) => {
    const was = before.get(h.id);
    return was !== undefined && !sameHealth(was, h);
  });
}
