import 'server-only';
import { holdOverSilence, type HeldProbe } from '@/lib/core/silence';
import type { Topology } from '@/lib/core/topology';
import type { ClusterView } from '@/lib/core/view';

/**
 * The last observation of each cluster this server made, from any observer (a live feed, a page load, the fleet).
 * It is what a page paints first (with its age) instead of waiting for a cold probe, and what a probe that timed out
 * once falls back on (lib/core/silence.ts). In memory: a restart starts with nothing to hold over.
 */
export class LastObservations {
  private readonly views = new Map<string, ClusterView>();

  /** `topology` with the previous answers standing in for probes that timed out for the first time in a row. */
  settle(id: string, topology: Topology): { topology: Topology; heldOver: HeldProbe[] } {
    const last = this.views.get(id);
    const settled = holdOverSilence(last ? { topology: last.topology, held: last.heldOver ?? [] } : null, topology);
    return { topology: settled.topology, heldOver: settled.held };
  }

  remember(view: ClusterView): void {
    const last = this.views.get(view.id);
    // An observation that finished after a newer one must not replace it.
    if (last && Date.parse(last.topology.observedAt) > Date.parse(view.topology.observedAt)) return;
    this.views.set(view.id, view);
  }

  /**
   * Replicas whose health was unknown in the cluster's last observation: their probes went unanswered, or Quorum could
   * not get in (port 22 silent in a lost zone reads so once the SSH connect has given up). A planning observation
   * gives them the live deadline instead of waiting the long one for them.
   */
  silentReplicas(id: string): Set<string> {
    const view = this.views.get(id);
    if (!view) return new Set();
    return new Set(
      Object.entries(view.assessment.replicaHealth).flatMap(([name, health]) => (health === 'unknown' ? [name] : [])),
    );
  }

  /** When the cluster was last observed (ms since epoch), by anyone; undefined before the first observation. */
  observedAt(id: string): number | undefined {
    const view = this.views.get(id);
    return view ? Date.parse(view.topology.observedAt) : undefined;
  }

  /** The last view of the cluster, if one was made within `maxAgeMs`. */
  latest(id: string, now: number, maxAgeMs: number): ClusterView | null {
    const view = this.views.get(id);
    return view && now - Date.parse(view.topology.observedAt) <= maxAgeMs ? view : null;
  }
}
