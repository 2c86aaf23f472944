import 'server-only';
import { paceRefresh, type BucketState, type RefreshPace } from '@/lib/core/rate-limit';
import type { ForwardingRule, StaticAddress, TargetPool } from '@/lib/core/topology';
import type { ComputePort, InstanceListing, RegionalListing } from '@/lib/ports/compute';

// Compute state changes slowly and costs quota; etcd and API health change fast and cost none. So live views read
// Compute on their own cadence: per project, one project-wide snapshot (the master-named instances and the
// load balancers' forwarding rules, target pools and addresses, each one aggregatedList) shared by every cluster
// page and the fleet, read again when it is older than the refresh period, and at once after Quorum's own
// mutations or a chaos action. A fleet of 200 clusters costs the same four calls per refresh as a fleet of 2.

/** kube-up's names of a master's forwarding rule and target pool (`<MASTER_NAME>`) and static address (`<MASTER_NAME>-ip`). */
export const KUBE_UP_LB_NAME_RE2 = '[a-z]([-a-z0-9]*[a-z0-9])?-master(-ip)?';

/** kube-up master names (`<prefix>-master`): the clusters whose Compute state the snapshot holds. */
const KUBE_UP_MASTER = /^[a-z]([-a-z0-9]*[a-z0-9])?-master$/;

export function isKubeUpMasterName(masterName: string): boolean {
  return KUBE_UP_MASTER.test(masterName);
}

/** One project's Compute state as of one refresh. Instance metadata holds secrets: server-only. */
export type ProjectComputeState = {
  project: string;
  masters: InstanceListing;
  forwardingRules: RegionalListing<ForwardingRule>;
  targetPools: RegionalListing<TargetPool>;
  addresses: RegionalListing<StaticAddress>;
};

export type SnapshotReads = Pick<
  ComputePort,
  'listMasterInstances' | 'listAllForwardingRules' | 'listAllTargetPools' | 'listAllAddresses'
>;

type Entry = {
  /** The latest state read, with the invalidation generation it was read in and when its read started. */
  latest: { state: ProjectComputeState; generation: number; startedAt: number } | null;
  /** The read under way, if any. */
  inflight: { state: Promise<ProjectComputeState>; generation: number; startedAt: number } | null;
};

export type ComputeSnapshotsOptions = {
  /** The usual period between two reads of a project (QUORUM_COMPUTE_REFRESH_MS). */
  refreshMs: number;
  /** The budget of a project as the feeds see it: a low bucket stretches the period (feeds slow down first). */
  budgetState?: (project: string) => BucketState;
  now?: () => number;
};

export class ComputeSnapshots {
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();
  private readonly now: () => number;
  /** Refreshes started, per project: what the bench counts. */
  readonly refreshes = new Map<string, number>();

  constructor(
    private readonly compute: SnapshotReads,
    private readonly opts: ComputeSnapshotsOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
  }

  /**
   * The project's Compute state. Within the (paced) refresh period the last read; past it, still the last read
   * while a new one runs in the background, so an observation's probes never wait for Compute. After an
   * invalidation callers wait for a new read (Quorum's own change must show), as they do when there is none yet or
   * the last refresh failed (the failure then shows). `fresh` always waits for a new read.
   */
  read(project: string, opts: { fresh?: boolean } = {}): Promise<ProjectComputeState> {
    const now = this.now();
    const generation = this.generations.get(project) ?? 0;
    const entry = this.entries.get(project) ?? { latest: null, inflight: null };
    this.entries.set(project, entry);
    if (opts.fresh) return this.start(project, entry, generation, now);
    const latest = entry.latest?.generation === generation ? entry.latest : null;
    const inflight = entry.inflight?.generation === generation ? entry.inflight : null;
    if (latest) {
      if (inflight === null && now - latest.startedAt >= this.pace(project).intervalMs)
        void this.start(project, entry, generation, now).catch(() => {});
      return Promise.resolve(latest.state);
    }
    return inflight ? inflight.state : this.start(project, entry, generation, now);
  }

  private start(project: string, entry: Entry, generation: number, startedAt: number): Promise<ProjectComputeState> {
    const state = this.refresh(project);
    const inflight = { state, generation, startedAt };
    entry.inflight = inflight;
    state.then(
      (value) => {
        if (entry.latest === null || entry.latest.startedAt <= startedAt)
          entry.latest = { state: value, generation, startedAt };
        if (entry.inflight === inflight) entry.inflight = null;
      },
      () => {
        // A failed read is not kept, and the stale state is dropped: the next caller reads again and sees the failure.
        if (entry.inflight === inflight) entry.inflight = null;
        entry.latest = null;
      },
    );
    return state;
  }

  /**
   * While callers of `read` wait for a new read (after an invalidation: a lost connection, Quorum's own change), the
   * state read before it; null when `read` answers at once or nothing was read. An observation starts its probes from
   * this while Compute is read again, and keeps their answers only if the new read has the same replicas.
   */
  previous(project: string): ProjectComputeState | null {
    const latest = this.entries.get(project)?.latest;
    if (!latest || latest.generation === (this.generations.get(project) ?? 0)) return null;
    return latest.state;
  }

  /**
   * The latest state read in the current generation if its read started less than `maxAgeMs` ago, without starting
   * a read of its own; null otherwise. For checks that must cost nothing (is this cluster id one discovery knows?).
   */
  peek(project: string, maxAgeMs: number): ProjectComputeState | null {
    const latest = this.entries.get(project)?.latest;
    if (!latest || latest.generation !== (this.generations.get(project) ?? 0)) return null;
    return this.now() - latest.startedAt < maxAgeMs ? latest.state : null;
  }

  /**
   * Something may have changed under Quorum (a replica's etcd or SSH connection closed from its side: a VM being
   * stopped or deleted?): read the project again now, and the observations that start meanwhile wait for that read,
   * so the one that sees the failure also sees the VM's status (their probes do not wait: `previous`). Not when a read is under way or the last one started
   * less than `minAgeMs` ago (then its state is recent enough).
   */
  refreshSoon(project: string, minAgeMs: number): void {
    const entry = this.entries.get(project);
    if (!entry?.latest || entry.inflight !== null) return;
    if (this.now() - entry.latest.startedAt < minAgeMs) return;
    this.invalidate(project);
    void this.read(project).catch(() => {});
  }

  /** Quorum changed something in the project (or the sandbox's chaos did): the next read goes to Compute. */
  invalidate(project: string): void {
    this.generations.set(project, (this.generations.get(project) ?? 0) + 1);
  }

  /** The period of the project's Compute reads: the refresh period, stretched while the project's budget is low. */
  pace(project: string): RefreshPace {
    const state = this.opts.budgetState?.(project);
    return paceRefresh(this.opts.refreshMs, state ? [{ project, state }] : []);
  }

  private async refresh(project: string): Promise<ProjectComputeState> {
    this.refreshes.set(project, (this.refreshes.get(project) ?? 0) + 1);
    const [masters, forwardingRules, targetPools, addresses] = await Promise.all([
      this.compute.listMasterInstances(project),
      this.compute.listAllForwardingRules(project, KUBE_UP_LB_NAME_RE2),
      this.compute.listAllTargetPools(project, KUBE_UP_LB_NAME_RE2),
      this.compute.listAllAddresses(project, KUBE_UP_LB_NAME_RE2),
    ]);
    return { project, masters, forwardingRules, targetPools, addresses };
  }
}
