import 'server-only';
import { clusterId, type ClusterRef } from '@/lib/core/topology';

export type FleetMonitorDeps = {
  /** QUORUM_MONITOR_INTERVAL_MS: the longest a cluster may go unobserved. */
  intervalMs: number;
  /** The clusters of the fleet, listed the cheap way (the shared per-project Compute snapshots). */
  listClusters: () => Promise<ClusterRef[]>;
  /** Observes one cluster; its observation reaches the bus (observeClusterView publishes it). */
  observe: (ref: ClusterRef) => Promise<unknown>;
  /** When the cluster was last observed by anyone (the bus), ms since epoch. */
  lastObservedAt: (clusterId: string) => number | undefined;
  now?: () => number;
  describeError: (error: unknown) => string;
  log?: (message: string) => void;
};

/** Never sooner than this between two rounds, however soon the next cluster is due. */
const MIN_PAUSE_MS = 100;

/**
 * Makes sure every cluster of the fleet is observed at least every `intervalMs`, also when no page is open: alerts,
 * metrics and "since" then follow the clusters, not the viewers. One loop that never overlaps itself: a round lists
 * the fleet, observes (concurrently) each cluster nobody observed within the interval, and the next round starts
 * when the next cluster falls due. A page's live feed observing a cluster makes the monitor skip it. Failures are
 * logged (once per cluster until it recovers) and never end the loop. Its timer does not keep the process alive.
 */
export class FleetMonitor {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | null = null;
  private stopped = true;
  private readonly failing = new Map<string, string>();
  /** When the monitor last tried each cluster: a cluster whose observation fails is tried again an interval later, not at once. */
  private readonly attemptedAt = new Map<string, number>();
  private readonly now: () => number;
  private readonly log: (message: string) => void;

  constructor(private readonly deps: FleetMonitorDeps) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? ((message) => console.warn(`[monitor] ${message}`));
  }

  start(): void {
    if (!this.stopped || this.deps.intervalMs <= 0) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops the loop; resolves when a round in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round (the loop's, also callable on its own): returns how long until the next cluster is due. */
  async round(): Promise<number> {
    const interval = this.deps.intervalMs;
    let refs: ClusterRef[];
    try {
      refs = await this.deps.listClusters();
      this.clearFailure('(fleet)');
    } catch (error) {
      this.noteFailure('(fleet)', `listing the fleet failed: ${this.deps.describeError(error)}`);
      return interval;
    }
    const seenAt = (id: string) =>
      Math.max(this.deps.lastObservedAt(id) ?? -Infinity, this.attemptedAt.get(id) ?? -Infinity);
    const now = this.now();
    const due = refs.filter((ref) => now - seenAt(clusterId(ref)) >= interval);
    await Promise.all(
      due.map(async (ref) => {
        const id = clusterId(ref);
        this.attemptedAt.set(id, now);
        try {
          await this.deps.observe(ref);
          this.clearFailure(id);
        } catch (error) {
          this.noteFailure(id, `observing ${id} failed: ${this.deps.describeError(error)}`);
        }
      }),
    );
    const after = this.now();
    const nextDue = Math.min(interval, ...refs.map((ref) => seenAt(clusterId(ref)) + interval - after));
    return Math.max(MIN_PAUSE_MS, nextDue);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round()
        .catch((error: unknown) => {
          this.log(`a round failed: ${this.deps.describeError(error)}`);
          return this.deps.intervalMs;
        })
        .then((next) => {
          this.running = null;
          this.schedule(next);
        });
    }, ms);
    this.timer.unref();
  }

  private noteFailure(key: string, message: string): void {
    if (this.failing.get(key) !== message) this.log(message);
    this.failing.set(key, message);
  }

  private clearFailure(key: string): void {
    if (this.failing.delete(key))
      this.log(`${key === '(fleet)' ? 'listing the fleet' : `observing ${key}`} works again`);
  }
}
