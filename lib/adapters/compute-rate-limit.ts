import 'server-only';
import type { ForwardingRule, StaticAddress, TargetPool } from '@/lib/core/topology';
import { TokenBucket, type BucketState, type ProjectBudget } from '@/lib/core/rate-limit';
import type {
  ComputePort,
  DiskInfo,
  FirewallInfo,
  FirewallSpec,
  GuestAttribute,
  InsertInstanceSpec,
  InstanceInfo,
  InstanceListing,
  InstanceRef,
  MetadataItem,
  ProjectMetadata,
  RegionInfo,
} from '@/lib/ports/compute';
import { ProviderError } from '@/lib/ports/provider-error';

// The Compute Engine API budget of each GCE project (issue 5): a token bucket per project that every call of
// the Compute port draws on, whoever makes it (live feeds, pages, operations). A call finding the bucket empty
// waits for its token, in arrival order, instead of failing; only a wait longer than `maxWaitMs` fails. So
// polling many clusters never exceeds the configured rate, and the live feeds, which read the buckets' state,
// slow their refresh before calls queue up (lib/core/rate-limit.ts, paceRefresh).

export type ComputeBudgetConfig = {
  /** Calls per second per project, on average. */
  ratePerSecond: number;
  /** Calls a project may make at once after a quiet spell: the bucket's capacity. */
  burst: number;
  /** Longest a call waits for its token; a longer wait fails with ProviderError('Timeout'). */
  maxWaitMs: number;
};

/** Time as the budget sees it: a monotonic clock in ms, a way to wait, and the wall clock for display. */
export type BudgetTiming = {
  now(): number;
  sleep(ms: number): Promise<void>;
  wallClock(): Date;
};

const realTiming: BudgetTiming = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  wallClock: () => new Date(),
};

type Entry = Omit<ProjectBudget, 'project' | 'capacity' | 'ratePerSecond' | 'tokens'> & { bucket: TokenBucket };

const GRANTED = Promise.resolve();

/** Tokens a mutation takes: its request and the first wait for its Operation. */
const MUTATION = 2;

/**
 * More projects than this are not remembered: Compute calls name projects that come from URLs (a cluster id),
 * and a project nobody has called for a while is forgotten first. Configured projects count like any other.
 */
const MAX_PROJECTS = 1_000;

export class ComputeBudget {
  private readonly entries = new Map<string, Entry>();
  private readonly timing: BudgetTiming;

  constructor(
    readonly config: ComputeBudgetConfig,
    opts: { projects?: readonly string[]; timing?: BudgetTiming } = {},
  ) {
    this.timing = opts.timing ?? realTiming;
    // The configured projects are listed (with a full bucket) before any call is made.
    for (const project of opts.projects ?? []) this.entryOf(project);
  }

  /**
   * Resolves when a call for `project` may go: at once while the bucket has its `tokens` (one per Compute request
   * it makes), else after waiting for them behind every earlier caller. Rejects with ProviderError('Timeout')
   * when that wait would exceed `maxWaitMs`.
   */
  acquire(project: string, tokens = 1): Promise<void> {
    const entry = this.entryOf(project);
    const now = this.timing.now();
    // A call costing more than a whole bucket could never go: it takes the whole bucket instead.
    const reservation = entry.bucket.reserve(now, Math.min(tokens, this.config.burst), this.config.maxWaitMs);
    if (!reservation.ok) {
      entry.refused += 1;
      return Promise.reject(
        new ProviderError(
          'Timeout',
          `Compute API budget of ${project} exhausted: the call would wait ${reservation.retryAfterMs + this.config.maxWaitMs} ms for its turn, over the ${this.config.maxWaitMs} ms limit (QUORUM_COMPUTE_RATE_PER_SECOND=${this.config.ratePerSecond}, QUORUM_COMPUTE_BURST=${this.config.burst})`,
        ),
      );
    }
    entry.granted += 1;
    if (reservation.waitMs === 0) return GRANTED;
    entry.waited += 1;
    entry.totalWaitMs += reservation.waitMs;
    entry.lastWait = { ms: reservation.waitMs, at: this.timing.wallClock().toISOString() };
    entry.waiting += 1;
    return this.timing.sleep(reservation.waitMs).finally(() => {
      entry.waiting -= 1;
    });
  }

  /** The bucket of `project` now (full when the project has made no call). */
  state(project: string): BucketState {
    return this.entries.get(project)?.bucket.state(this.timing.now()) ?? { capacity: this.config.burst, refillPerSecond: this.config.ratePerSecond, tokens: this.config.burst };
  }

  /** Every project's budget, by project name. */
  snapshot(): ProjectBudget[] {
    const now = this.timing.now();
    return [...this.entries]
      .map(([project, { bucket, ...stats }]) => {
        const state = bucket.state(now);
        return { project, capacity: state.capacity, ratePerSecond: state.refillPerSecond, tokens: state.tokens, ...stats };
      })
      .sort((a, b) => a.project.localeCompare(b.project));
  }

  private entryOf(project: string): Entry {
    let entry = this.entries.get(project);
    if (entry) {
      // Re-inserted last: the map's order is the order of last use.
      this.entries.delete(project);
    } else {
      entry = {
        bucket: new TokenBucket({ capacity: this.config.burst, refillPerSecond: this.config.ratePerSecond }),
        waiting: 0,
        granted: 0,
        waited: 0,
        totalWaitMs: 0,
        lastWait: null,
        refused: 0,
      };
    }
    this.entries.set(project, entry);
    if (this.entries.size > MAX_PROJECTS) {
      const now = this.timing.now();
      for (const [key, candidate] of this.entries) {
        if (candidate.waiting === 0 && candidate.bucket.isFull(now)) {
          this.entries.delete(key);
          break;
        }
      }
    }
    return entry;
  }
}

/**
 * The Compute port with every call first taking tokens from its project's budget, one per Compute request it
 * makes: a read is one; a mutation two (the request and the wait for its Operation; an Operation outliving its
 * first wait makes further waits, which are not counted); `freeInternalIp` three (subnetwork, instances, addresses).
 */
export class RateLimitedCompute implements ComputePort {
  constructor(
    private readonly inner: ComputePort,
    private readonly budget: ComputeBudget,
  ) {}

  private async limited<T>(project: string, call: () => Promise<T>, tokens = 1): Promise<T> {
    await this.budget.acquire(project, tokens);
    return call();
  }

  listRegionZones(project: string, region: string): Promise<string[]> {
    return this.limited(project, () => this.inner.listRegionZones(project, region));
  }
  listRegions(project: string): Promise<RegionInfo[]> {
    return this.limited(project, () => this.inner.listRegions(project));
  }
  listAllInstances(project: string): Promise<InstanceInfo[]> {
    return this.limited(project, () => this.inner.listAllInstances(project));
  }
  listInstances(project: string, nameRegex: string): Promise<InstanceInfo[]> {
    return this.limited(project, () => this.inner.listInstances(project, nameRegex));
  }
  listMasterInstances(project: string): Promise<InstanceListing> {
    return this.limited(project, () => this.inner.listMasterInstances(project));
  }
  getForwardingRule(project: string, region: string, name: string): Promise<ForwardingRule | null> {
    return this.limited(project, () => this.inner.getForwardingRule(project, region, name));
  }
  getTargetPool(project: string, region: string, name: string): Promise<TargetPool | null> {
    return this.limited(project, () => this.inner.getTargetPool(project, region, name));
  }
  getAddress(project: string, region: string, name: string): Promise<StaticAddress | null> {
    return this.limited(project, () => this.inner.getAddress(project, region, name));
  }
  getInstance(project: string, zone: string, name: string): Promise<InstanceInfo | null> {
    return this.limited(project, () => this.inner.getInstance(project, zone, name));
  }
  insertInstance(spec: InsertInstanceSpec): Promise<void> {
    return this.limited(spec.project, () => this.inner.insertInstance(spec), MUTATION);
  }
  deleteInstance(project: string, zone: string, name: string): Promise<void> {
    return this.limited(project, () => this.inner.deleteInstance(project, zone, name), MUTATION);
  }
  setInstanceMetadata(project: string, zone: string, name: string, items: MetadataItem[], fingerprint: string): Promise<void> {
    return this.limited(project, () => this.inner.setInstanceMetadata(project, zone, name, items, fingerprint), MUTATION);
  }
  addAccessConfig(project: string, zone: string, instance: string, natIP: string | null): Promise<void> {
    return this.limited(project, () => this.inner.addAccessConfig(project, zone, instance, natIP), MUTATION);
  }
  deleteAccessConfig(project: string, zone: string, instance: string, accessConfigName: string): Promise<void> {
    return this.limited(project, () => this.inner.deleteAccessConfig(project, zone, instance, accessConfigName), MUTATION);
  }
  getDisk(project: string, zone: string, name: string): Promise<DiskInfo | null> {
    return this.limited(project, () => this.inner.getDisk(project, zone, name));
  }
  insertDisk(project: string, zone: string, disk: { name: string; sizeGb: number; type: 'pd-ssd' | 'pd-standard' }): Promise<void> {
    return this.limited(project, () => this.inner.insertDisk(project, zone, disk), MUTATION);
  }
  deleteDisk(project: string, zone: string, name: string): Promise<void> {
    return this.limited(project, () => this.inner.deleteDisk(project, zone, name), MUTATION);
  }
  insertAddress(project: string, region: string, name: string, address?: string): Promise<StaticAddress> {
    return this.limited(project, () => this.inner.insertAddress(project, region, name, address), MUTATION);
  }
  deleteAddress(project: string, region: string, name: string): Promise<void> {
    return this.limited(project, () => this.inner.deleteAddress(project, region, name), MUTATION);
  }
  insertTargetPool(project: string, region: string, pool: { name: string; instances: InstanceRef[] }): Promise<void> {
    return this.limited(project, () => this.inner.insertTargetPool(project, region, pool), MUTATION);
  }
  deleteTargetPool(project: string, region: string, name: string): Promise<void> {
    return this.limited(project, () => this.inner.deleteTargetPool(project, region, name), MUTATION);
  }
  addTargetPoolInstance(project: string, region: string, pool: string, instance: InstanceRef): Promise<void> {
    return this.limited(project, () => this.inner.addTargetPoolInstance(project, region, pool, instance), MUTATION);
  }
  removeTargetPoolInstance(project: string, region: string, pool: string, instance: InstanceRef): Promise<void> {
    return this.limited(project, () => this.inner.removeTargetPoolInstance(project, region, pool, instance), MUTATION);
  }
  insertForwardingRule(project: string, region: string, rule: { name: string; ipAddress: string; portRange: string; target: string }): Promise<void> {
    return this.limited(project, () => this.inner.insertForwardingRule(project, region, rule), MUTATION);
  }
  deleteForwardingRule(project: string, region: string, name: string): Promise<void> {
    return this.limited(project, () => this.inner.deleteForwardingRule(project, region, name), MUTATION);
  }
  getFirewall(project: string, name: string): Promise<FirewallInfo | null> {
    return this.limited(project, () => this.inner.getFirewall(project, name));
  }
  insertFirewall(project: string, rule: FirewallSpec): Promise<void> {
    return this.limited(project, () => this.inner.insertFirewall(project, rule), MUTATION);
  }
  deleteFirewall(project: string, name: string): Promise<void> {
    return this.limited(project, () => this.inner.deleteFirewall(project, name), MUTATION);
  }
  getSubnetworkRange(project: string, region: string): Promise<string> {
    return this.limited(project, () => this.inner.getSubnetworkRange(project, region));
  }
  freeInternalIp(project: string, region: string): Promise<string> {
    return this.limited(project, () => this.inner.freeInternalIp(project, region), 3);
  }
  getProjectMetadata(project: string): Promise<ProjectMetadata | null> {
    return this.limited(project, () => this.inner.getProjectMetadata(project));
  }
  getGuestAttributes(project: string, zone: string, instance: string, queryPath: string): Promise<GuestAttribute[] | null> {
    return this.limited(project, () => this.inner.getGuestAttributes(project, zone, instance, queryPath));
  }
}
