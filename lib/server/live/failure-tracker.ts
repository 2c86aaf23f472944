import 'server-only';
import { trackFailureSince, type ClusterDiagnosis, type FailureSince } from '@/lib/core/failure';

/**
 * Since when each failure has been seen, per cluster, across the observations this server makes (the live
 * feed every ~0.6 s while a page is open, page loads, the fleet). In memory only: "since" means "first seen
 * by this server". After a gap with no observation of the cluster, nobody knows whether a failure cleared in
 * between, so its time starts again rather than claiming a continuity nobody saw.
 */
export class FailureTracker {
  private readonly clusters = new Map<string, { at: number; since: FailureSince }>();

  constructor(private readonly maxGapMs = 60_000) {}

  observe(clusterId: string, diagnosis: ClusterDiagnosis, observedAt: string): FailureSince {
    const at = Date.parse(observedAt);
    const last = this.clusters.get(clusterId);
    const fresh = !last || at - last.at > this.maxGapMs;
    const since = trackFailureSince(fresh ? {} : last.since, diagnosis, observedAt);
    // An observation that finished after a newer one must not move the state back.
    if (!last || at >= last.at) this.clusters.set(clusterId, { at, since });
    return since;
  }
}
