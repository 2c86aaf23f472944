import 'server-only';
import { trackFailureSince, type ClusterDiagnosis, type FailureSince } from '@/lib/core/failure';
import type { Store } from '@/lib/ports/store';

/** An unchanged "since" of a failing cluster is saved again (its `at` moved) at most this often. */
export const FAILURE_SINCE_SAVE_EVERY_MS = 15_000;

export type FailureTrackerOptions = {
  /** Where the state is kept across restarts, opened on first use; without it, memory only. */
  store?: () => Pick<Store, 'failureSince' | 'saveFailureSince'>;
  /** A longer silence than this with no observation of a cluster starts its "since" again. */
  maxGapMs?: number;
  saveEveryMs?: number;
};

/**
 * Since when each failure has been seen, per cluster, across the observations this server makes (the live
 * feed every ~0.6 s while a page is open, page loads, the fleet, the background monitor). After a gap with no
 * observation of the cluster, nobody knows whether a failure cleared in between, so its time starts again rather
 * than claiming a continuity nobody saw. With a store, the state is saved (when it changes, and its time at most
 * every FAILURE_SINCE_SAVE_EVERY_MS) and read back on a cluster's first observation, so a restarted dashboard
 * keeps the first time of a failure still there; the same gap rule decides whether what was saved is continued.
 */
export class FailureTracker {
  private readonly clusters = new Map<string, { at: number; since: FailureSince }>();
  /** What the store holds per cluster, as far as this process knows (since as JSON). */
  private readonly saved = new Map<string, { at: number; since: string }>();
  private readonly loads = new Map<string, Promise<void>>();
  private readonly store: FailureTrackerOptions['store'];
  private readonly maxGapMs: number;
  private readonly saveEveryMs: number;

  constructor(opts: FailureTrackerOptions = {}) {
    this.store = opts.store;
    this.maxGapMs = opts.maxGapMs ?? 60_000;
    this.saveEveryMs = opts.saveEveryMs ?? FAILURE_SINCE_SAVE_EVERY_MS;
  }

  async observe(clusterId: string, diagnosis: ClusterDiagnosis, observedAt: string): Promise<FailureSince> {
    await this.load(clusterId);
    const at = Date.parse(observedAt);
    const last = this.clusters.get(clusterId);
    const fresh = !last || at - last.at > this.maxGapMs;
    const since = trackFailureSince(fresh ? {} : last.since, diagnosis, observedAt);
    // An observation that finished after a newer one must not move the state back.
    if (!last || at >= last.at) {
      this.clusters.set(clusterId, { at, since });
      await this.save(clusterId, at, since);
    }
    return since;
  }

  /** Reads a cluster's saved state once per process; concurrent first observations wait for the same read. */
  private load(clusterId: string): Promise<void> {
    let loading = this.loads.get(clusterId);
    if (!loading) {
      loading = this.read(clusterId);
      this.loads.set(clusterId, loading);
    }
    return loading;
  }

  private async read(clusterId: string): Promise<void> {
    if (!this.store) return;
    try {
      const saved = await this.store().failureSince(clusterId);
      const at = saved ? Date.parse(saved.at) : NaN;
      if (!saved || !Number.isFinite(at)) return;
      this.clusters.set(clusterId, { at, since: saved.since });
      this.saved.set(clusterId, { at, since: JSON.stringify(saved.since) });
    } catch (error) {
      // Without the store "since" is this server's memory, as it was before it had one.
      warn(clusterId, error);
    }
  }

  private async save(clusterId: string, at: number, since: FailureSince): Promise<void> {
    if (!this.store) return;
    const json = JSON.stringify(since);
    const saved = this.saved.get(clusterId);
    // The time matters only while something fails: it lets the gap rule judge the saved state after a restart.
    if (saved && saved.since === json && (json === '{}' || at - saved.at < this.saveEveryMs)) return;
    this.saved.set(clusterId, { at, since: json });
    try {
      await this.store().saveFailureSince(clusterId, new Date(at).toISOString(), since);
    } catch (error) {
      warn(clusterId, error);
    }
  }
}

function warn(clusterId: string, error: unknown): void {
  console.warn(`[failure-since] ${clusterId}: ${error instanceof Error ? error.message : String(error)}`);
}
