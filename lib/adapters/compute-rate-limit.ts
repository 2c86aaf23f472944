import 'server-only';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ForwardingRule, StaticAddress, TargetPool } from '@/lib/core/topology';
import {
  COMPUTE_QUOTA_GROUPS,
  TokenBucket,
  type BucketState,
  type ComputeLane,
  type ComputeQuotaGroup,
  type LaneStats,
  type ProjectBudget,
  type QuotaCost,
} from '@/lib/core/rate-limit';
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
  MutationOptions,
  ProjectMetadata,
  RegionalListing,
  RegionInfo,
} from '@/lib/ports/compute';
import { ProviderError } from '@/lib/ports/provider-error';

// The Compute Engine API budget of each GCE project (issue 5, issue 11): token buckets per project that every
// call of the Compute port draws on, whoever makes it. It counts what Google counts
// (https://cloud.google.com/compute/api-quota: rate quotas are per project, per minute, per group of methods;
// see METHOD_COST below): an overall rate Quorum allows itself, and optionally a per-minute limit per quota
// group. Calls come in two lanes: a running operation's (inOperationLane) and everything else (feeds, pages,
// previews). With an operation share, each lane has its own buckets, so an operation's call never waits behind
// the feeds' reservations; it may also use the observe lane's tokens when that is quicker, while the feeds never
// use the operation lane's: feeds slow down first (lib/core/rate-limit.ts, paceRefresh). A call finding its
// buckets empty waits for its tokens, in arrival order, instead of failing; only a wait longer than `maxWaitMs`
// fails. A `rateLimitExceeded` (403) or 429 answer pauses the project's buckets, doubling the pause each time.

export type ComputeBudgetConfig = {
  /** Calls per second per project, on average. */
  ratePerSecond: number;
  /** Calls a project may make at once after a quiet spell: the bucket's capacity. */
  burst: number;
  /** Longest a call waits for its token; a longer wait fails with ProviderError('Timeout'). */
  maxWaitMs: number;
  /** Share (0 to 0.9) of the rate and burst reserved for running operations; 0: one queue for every call. */
  operationShare?: number;
  /** Requests per minute Quorum allows itself in each quota group (Google's default is 1,500); absent: not limited per group. */
  perMinute?: number;
  /** First pause after a `rateLimitExceeded` answer, doubled for each further one up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
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

/** The buckets one lane draws on: the overall rate and, when configured, one per quota group. */
type Pool = { pace: TokenBucket; groups: Map<ComputeQuotaGroup, TokenBucket> };

type Entry = {
  pools: Record<ComputeLane, Pool>;
  waiting: number;
  granted: number;
  grantedTokens: number;
  waited: number;
  totalWaitMs: number;
  lastWait: ProjectBudget['lastWait'];
  refused: number;
  lanes: Record<ComputeLane, LaneStats>;
  requestsByGroup: Record<ComputeQuotaGroup, number>;
  rateLimited: number;
  /** Consecutive rate-limit answers: the next pause is `backoffMs * 2^consecutive`. */
  consecutiveRateLimited: number;
  pausedUntil: number | null;
};

const GRANTED = Promise.resolve();

/** A group's bucket holds ten seconds of its per-minute limit: bursts stay small next to Google's minute. */
const GROUP_BURST_SECONDS = 10;

/**
 * More projects than this are not remembered: Compute calls name projects that come from URLs (a cluster id),
 * and a project nobody has called for a while is forgotten first. Configured projects count like any other.
 */
const MAX_PROJECTS = 1_000;

const laneStorage = new AsyncLocalStorage<ComputeLane>();

/** Runs `work` with every Compute call it makes (however deep) in the operation lane. */
export function inOperationLane<T>(work: () => Promise<T>): Promise<T> {
  return laneStorage.run('operation', work);
}

/** The lane of the Compute calls made here: `operation` inside inOperationLane, else `observe`. */
export function currentComputeLane(): ComputeLane {
  return laneStorage.getStore() ?? 'observe';
}

/** Whether Compute refused a call for the project's rate quota (403 `rateLimitExceeded`, or 429). */
export function isRateLimitAnswer(e: unknown): boolean {
  return (
    e instanceof ProviderError &&
    (e.httpStatus === 429 ||
      e.reason === 'rateLimitExceeded' ||
      e.reason === 'userRateLimitExceeded' ||
      e.reason === 'RATE_LIMIT_EXCEEDED')
  );
}

const emptyLane = (): LaneStats => ({ granted: 0, waited: 0, totalWaitMs: 0, maxWaitMs: 0 });
const totalOf = (cost: QuotaCost) => COMPUTE_QUOTA_GROUPS.reduce((sum, g) => sum + (cost[g] ?? 0), 0);

export class ComputeBudget {
  private readonly entries = new Map<string, Entry>();
  private readonly timing: BudgetTiming;
  private readonly share: number;

  constructor(
    readonly config: ComputeBudgetConfig,
    opts: { projects?: readonly string[]; timing?: BudgetTiming } = {},
  ) {
    this.timing = opts.timing ?? realTiming;
    this.share = Math.min(0.9, Math.max(0, config.operationShare ?? 0));
    // The configured projects are listed (with a full bucket) before any call is made.
    for (const project of opts.projects ?? []) this.entryOf(project);
  }

  /**
   * Resolves when a call for `project` may go: at once while the lane's buckets have its tokens (one per Compute
   * request it makes, in its quota groups; a plain number counts as reads), else after waiting for them behind
   * every earlier caller of the lane. Rejects with ProviderError('Timeout') when that wait would exceed `maxWaitMs`.
   */
  acquire(project: string, cost: QuotaCost | number = 1, lane: ComputeLane = currentComputeLane()): Promise<void> {
    const entry = this.entryOf(project);
    const now = this.timing.now();
    const groups: QuotaCost = typeof cost === 'number' ? { read: cost } : cost;
    const tokens = totalOf(groups);
    // An operation takes the observe lane's tokens when they come sooner; the feeds never take the operation's.
    const candidates = lane === 'operation' ? [entry.pools.operation, entry.pools.observe] : [entry.pools.observe];
    let best: { pool: Pool; waitMs: number } | null = null;
    for (const pool of candidates) {
      const waitMs = this.waitIn(pool, now, tokens, groups);
      if (best === null || waitMs < best.waitMs) best = { pool, waitMs };
    }
    if (best === null || best.waitMs > this.config.maxWaitMs) {
      entry.refused += 1;
      return Promise.reject(
        new ProviderError(
          'Timeout',
          `Compute API budget of ${project} exhausted: the call would wait ${best?.waitMs ?? 0} ms for its turn, over the ${this.config.maxWaitMs} ms limit (QUORUM_COMPUTE_RATE_PER_SECOND=${this.config.ratePerSecond}, QUORUM_COMPUTE_BURST=${this.config.burst})`,
        ),
      );
    }
    const waitMs = best.waitMs;
    this.takeIn(best.pool, now, tokens, groups);
    entry.granted += 1;
    entry.grantedTokens += Math.min(tokens, best.pool.pace.capacity);
    for (const g of COMPUTE_QUOTA_GROUPS) entry.requestsByGroup[g] += groups[g] ?? 0;
    const stats = entry.lanes[lane];
    stats.granted += 1;
    if (waitMs === 0) return GRANTED;
    stats.waited += 1;
    stats.totalWaitMs += waitMs;
    stats.maxWaitMs = Math.max(stats.maxWaitMs, waitMs);
    entry.waited += 1;
    entry.totalWaitMs += waitMs;
    entry.lastWait = { ms: waitMs, at: this.timing.wallClock().toISOString() };
    entry.waiting += 1;
    return this.timing.sleep(waitMs).finally(() => {
      entry.waiting -= 1;
    });
  }

  /**
   * Compute answered `rateLimitExceeded`: someone else sharing the project's quota (the clusters' own controllers)
   * used what this budget thought was left. Every lane of the project pauses, 1 s, 2 s, 4 s... up to the maximum.
   */
  rateLimited(project: string): void {
    const entry = this.entryOf(project);
    const now = this.timing.now();
    const pauseMs = Math.min(
      this.config.maxBackoffMs ?? 60_000,
      (this.config.backoffMs ?? 1_000) * 2 ** entry.consecutiveRateLimited,
    );
    entry.rateLimited += 1;
    entry.consecutiveRateLimited += 1;
    entry.pausedUntil = Math.max(entry.pausedUntil ?? 0, now + pauseMs);
    for (const pool of new Set(Object.values(entry.pools))) {
      pool.pace.pause(now, pauseMs);
      for (const bucket of pool.groups.values()) bucket.pause(now, pauseMs);
    }
  }

  /** A call of the project succeeded: the next rate-limit answer pauses for the shortest time again. */
  succeeded(project: string): void {
    const entry = this.entries.get(project);
    if (entry) entry.consecutiveRateLimited = 0;
  }

  /** The observe lane's overall bucket of `project` now (full when the project has made no call): what feeds pace on. */
  state(project: string): BucketState {
    return this.entries.get(project)?.pools.observe.pace.state(this.timing.now()) ?? this.poolConfig('observe');
  }

  /** Every project's budget, by project name. */
  snapshot(): ProjectBudget[] {
    const now = this.timing.now();
    return [...this.entries]
      .map(
        ([
          project,
          { pools, consecutiveRateLimited: _, pausedUntil, lanes, requestsByGroup, ...stats },
        ]): ProjectBudget => {
          const paces = [...new Set(Object.values(pools))].map((p) => p.pace.state(now));
          const sum = (f: (s: BucketState) => number) => paces.reduce((total, s) => total + f(s), 0);
          return {
            project,
            capacity: sum((s) => s.capacity),
            ratePerSecond: sum((s) => s.refillPerSecond),
            tokens: sum((s) => s.tokens),
            ...stats,
            lanes: { operation: { ...lanes.operation }, observe: { ...lanes.observe } },
            requestsByGroup: { ...requestsByGroup },
            pausedUntil:
              pausedUntil !== null && pausedUntil > now
                ? new Date(this.timing.wallClock().getTime() + pausedUntil - now).toISOString()
                : null,
          };
        },
      )
      .sort((a, b) => a.project.localeCompare(b.project));
  }

  private waitIn(pool: Pool, now: number, tokens: number, groups: QuotaCost): number {
    let waitMs = pool.pace.waitMs(now, Math.min(tokens, pool.pace.capacity));
    for (const [group, bucket] of pool.groups) {
      const n = groups[group] ?? 0;
      if (n > 0) waitMs = Math.max(waitMs, bucket.waitMs(now, Math.min(n, bucket.capacity)));
    }
    return waitMs;
  }

  /**
   * Takes the tokens from every bucket of the pool, each as soon as it has them: the call goes when the last one
   * does. Booking each bucket at the common time instead would make a call of one group queue behind a call
   * another group's limit holds back, which Google does not do (each group is counted apart).
   */
  private takeIn(pool: Pool, now: number, tokens: number, groups: QuotaCost): void {
    pool.pace.reserve(now, Math.min(tokens, pool.pace.capacity), Number.POSITIVE_INFINITY);
    for (const [group, bucket] of pool.groups) {
      const n = groups[group] ?? 0;
      if (n > 0) bucket.reserve(now, Math.min(n, bucket.capacity), Number.POSITIVE_INFINITY);
    }
  }

  private poolConfig(lane: ComputeLane): BucketState {
    const share = this.share === 0 ? 1 : lane === 'operation' ? this.share : 1 - this.share;
    const capacity = Math.max(1, this.config.burst * share);
    return { capacity, refillPerSecond: this.config.ratePerSecond * share, tokens: capacity };
  }

  private newPool(lane: ComputeLane): Pool {
    const { capacity, refillPerSecond } = this.poolConfig(lane);
    const groups = new Map<ComputeQuotaGroup, TokenBucket>();
    const perMinute = this.config.perMinute;
    if (perMinute !== undefined) {
      const share = this.share === 0 ? 1 : lane === 'operation' ? this.share : 1 - this.share;
      const rate = (perMinute * share) / 60;
      for (const g of COMPUTE_QUOTA_GROUPS)
        groups.set(g, new TokenBucket({ capacity: Math.max(1, rate * GROUP_BURST_SECONDS), refillPerSecond: rate }));
    }
    return { pace: new TokenBucket({ capacity, refillPerSecond }), groups };
  }

  private entryOf(project: string): Entry {
    let entry = this.entries.get(project);
    if (entry) {
      // Re-inserted last: the map's order is the order of last use.
      this.entries.delete(project);
    } else {
      const observe = this.newPool('observe');
      entry = {
        // Without an operation share both lanes draw on the same buckets, in one queue.
        pools: { observe, operation: this.share === 0 ? observe : this.newPool('operation') },
        waiting: 0,
        granted: 0,
        grantedTokens: 0,
        waited: 0,
        totalWaitMs: 0,
        lastWait: null,
        refused: 0,
        lanes: { operation: emptyLane(), observe: emptyLane() },
        requestsByGroup: { read: 0, list: 0, operationRead: 0, mutation: 0 },
        rateLimited: 0,
        consecutiveRateLimited: 0,
        pausedUntil: null,
      };
    }
    this.entries.set(project, entry);
    if (this.entries.size > MAX_PROJECTS) {
      const now = this.timing.now();
      for (const [key, candidate] of this.entries) {
        const pools = [...new Set(Object.values(candidate.pools))];
        if (
          candidate.waiting === 0 &&
          pools.every((p) => p.pace.isFull(now) && [...p.groups.values()].every((b) => b.isFull(now)))
        ) {
          this.entries.delete(key);
          break;
        }
      }
    }
    return entry;
  }
}

/** A read: one request in the read group (*.get). */
const READ: QuotaCost = { read: 1 };
/** A list or aggregatedList: one request in the list group (one page of up to 500 items). */
const LIST: QuotaCost = { list: 1 };
/** A mutation: its request, and the first wait for its Operation (further waits of a long Operation are not counted). */
const MUTATION: QuotaCost = { mutation: 1, operationRead: 1 };

/**
 * What each port method costs in Compute requests per quota group (groups as documented at
 * https://cloud.google.com/compute/api-quota). A method that makes several requests pays for each.
 */
export const METHOD_COST: Record<keyof ComputePort, QuotaCost> = {
  listRegionZones: READ, // regions.get
  listRegions: LIST,
  listAllInstances: LIST,
  listInstances: LIST,
  listMasterInstances: LIST,
  listAllForwardingRules: LIST,
  listAllTargetPools: LIST,
  listAllAddresses: LIST,
  getForwardingRule: READ,
  getTargetPool: READ,
  getAddress: READ,
  getInstance: READ,
  // zoneOperations.list, then the wait for the Operation found
  awaitZoneMutation: { list: 1, operationRead: 1 },
  insertInstance: MUTATION,
  deleteInstance: MUTATION,
  startInstance: MUTATION,
  resetInstance: MUTATION,
  setInstanceMetadata: MUTATION,
  addAccessConfig: MUTATION,
  deleteAccessConfig: MUTATION,
  getDisk: READ,
  insertDisk: MUTATION,
  deleteDisk: MUTATION,
  insertAddress: MUTATION,
  deleteAddress: MUTATION,
  insertTargetPool: MUTATION,
  deleteTargetPool: MUTATION,
  addTargetPoolInstance: MUTATION,
  removeTargetPoolInstance: MUTATION,
  insertForwardingRule: MUTATION,
  deleteForwardingRule: MUTATION,
  getFirewall: READ,
  insertFirewall: MUTATION,
  deleteFirewall: MUTATION,
  getSubnetworkRange: READ,
  // subnetworks.get, instances.aggregatedList, addresses.list
  freeInternalIp: { read: 1, list: 2 },
  getProjectMetadata: READ,
  getGuestAttributes: READ,
};

/** What a mutation is listened for: Quorum changed something of `project` (its cached Compute state is stale). */
export type MutationListener = (project: string) => void;

const MUTATIONS: ReadonlySet<keyof ComputePort> = new Set(
  (Object.keys(METHOD_COST) as Array<keyof ComputePort>).filter((m) => (METHOD_COST[m].mutation ?? 0) > 0),
);

/**
 * The Compute port with every call first taking its cost (METHOD_COST) from its project's budget, in the caller's
 * lane. A `rateLimitExceeded` answer pauses the budget; every mutation, done or failed, is told to the listeners.
 */
export class RateLimitedCompute implements ComputePort {
  private readonly listeners = new Set<MutationListener>();

  constructor(
    private readonly inner: ComputePort,
    private readonly budget: ComputeBudget,
  ) {}

  /** Calls `listener` after each mutation of a project (done or failed: a failed one may have changed something). */
  onMutation(listener: MutationListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private async limited<T>(method: keyof ComputePort, project: string, call: () => Promise<T>): Promise<T> {
    await this.budget.acquire(project, METHOD_COST[method]);
    try {
      const result = await call();
      this.budget.succeeded(project);
      return result;
    } catch (e) {
      if (isRateLimitAnswer(e)) this.budget.rateLimited(project);
      throw e;
    } finally {
      if (MUTATIONS.has(method)) for (const listener of this.listeners) listener(project);
    }
  }

  listRegionZones(project: string, region: string): Promise<string[]> {
    return this.limited('listRegionZones', project, () => this.inner.listRegionZones(project, region));
  }
  listRegions(project: string): Promise<RegionInfo[]> {
    return this.limited('listRegions', project, () => this.inner.listRegions(project));
  }
  listAllInstances(project: string): Promise<InstanceInfo[]> {
    return this.limited('listAllInstances', project, () => this.inner.listAllInstances(project));
  }
  listInstances(project: string, nameRegex: string): Promise<InstanceInfo[]> {
    return this.limited('listInstances', project, () => this.inner.listInstances(project, nameRegex));
  }
  listMasterInstances(project: string): Promise<InstanceListing> {
    return this.limited('listMasterInstances', project, () => this.inner.listMasterInstances(project));
  }
  getForwardingRule(project: string, region: string, name: string): Promise<ForwardingRule | null> {
    return this.limited('getForwardingRule', project, () => this.inner.getForwardingRule(project, region, name));
  }
  getTargetPool(project: string, region: string, name: string): Promise<TargetPool | null> {
    return this.limited('getTargetPool', project, () => this.inner.getTargetPool(project, region, name));
  }
  getAddress(project: string, region: string, name: string): Promise<StaticAddress | null> {
    return this.limited('getAddress', project, () => this.inner.getAddress(project, region, name));
  }
  getInstance(project: string, zone: string, name: string): Promise<InstanceInfo | null> {
    return this.limited('getInstance', project, () => this.inner.getInstance(project, zone, name));
  }
  awaitZoneMutation(
    project: string,
    zone: string,
    requestId: string,
  ): Promise<{ operation: string; operationType: string } | null> {
    return this.limited('awaitZoneMutation', project, () => this.inner.awaitZoneMutation(project, zone, requestId));
  }
  insertInstance(spec: InsertInstanceSpec, opts?: MutationOptions): Promise<void> {
    return this.limited('insertInstance', spec.project, () => this.inner.insertInstance(spec, opts));
  }
  deleteInstance(project: string, zone: string, name: string, opts?: MutationOptions): Promise<void> {
    return this.limited('deleteInstance', project, () => this.inner.deleteInstance(project, zone, name, opts));
  }
  startInstance(project: string, zone: string, name: string, opts?: MutationOptions): Promise<void> {
    return this.limited('startInstance', project, () => this.inner.startInstance(project, zone, name, opts));
  }
  resetInstance(project: string, zone: string, name: string, opts?: MutationOptions): Promise<void> {
    return this.limited('resetInstance', project, () => this.inner.resetInstance(project, zone, name, opts));
  }
  setInstanceMetadata(
    project: string,
    zone: string,
    name: string,
    items: MetadataItem[],
    fingerprint: string,
    opts?: MutationOptions,
  ): Promise<void> {
    return this.limited('setInstanceMetadata', project, () =>
      this.inner.setInstanceMetadata(project, zone, name, items, fingerprint, opts),
    );
  }
  addAccessConfig(
    project: string,
    zone: string,
    instance: string,
    natIP: string | null,
    opts?: MutationOptions,
  ): Promise<void> {
    return this.limited('addAccessConfig', project, () =>
      this.inner.addAccessConfig(project, zone, instance, natIP, opts),
    );
  }
  deleteAccessConfig(
    project: string,
    zone: string,
    instance: string,
    accessConfigName: string,
    opts?: MutationOptions,
  ): Promise<void> {
    return this.limited('deleteAccessConfig', project, () =>
      this.inner.deleteAccessConfig(project, zone, instance, accessConfigName, opts),
    );
  }
  getDisk(project: string, zone: string, name: string): Promise<DiskInfo | null> {
    return this.limited('getDisk', project, () => this.inner.getDisk(project, zone, name));
  }
  insertDisk(
    project: string,
    zone: string,
    disk: { name: string; sizeGb: number; type: string },
    opts?: MutationOptions,
  ): Promise<void> {
    return this.limited('insertDisk', project, () => this.inner.insertDisk(project, zone, disk, opts));
  }
  deleteDisk(project: string, zone: string, name: string, opts?: MutationOptions): Promise<void> {
    return this.limited('deleteDisk', project, () => this.inner.deleteDisk(project, zone, name, opts));
  }
  insertAddress(
    project: string,
    region: string,
    name: string,
    address?: string,
    opts?: MutationOptions,
  ): Promise<StaticAddress> {
    return this.limited('insertAddress', project, () => this.inner.insertAddress(project, region, name, address, opts));
  }
  deleteAddress(project: string, region: string, name: string, opts?: MutationOptions): Promise<void> {
    return this.limited('deleteAddress', project, () => this.inner.deleteAddress(project, region, name, opts));
  }
  insertTargetPool(
    project: string,
    region: string,
    pool: { name: string; instances: InstanceRef[] },
    opts?: MutationOptions,
  ): Promise<void> {
    return this.limited('insertTargetPool', project, () => this.inner.insertTargetPool(project, region, pool, opts));
  }
  deleteTargetPool(project: string, region: string, name: string, opts?: MutationOptions): Promise<void> {
    return this.limited('deleteTargetPool', project, () => this.inner.deleteTargetPool(project, region, name, opts));
  }
  addTargetPoolInstance(
    project: string,
    region: string,
    pool: string,
    instance: InstanceRef,
    opts?: MutationOptions,
  ): Promise<void> {
    return this.limited('addTargetPoolInstance', project, () =>
      this.inner.addTargetPoolInstance(project, region, pool, instance, opts),
    );
  }
  removeTargetPoolInstance(
    project: string,
    region: string,
    pool: string,
    instance: InstanceRef,
    opts?: MutationOptions,
  ): Promise<void> {
    return this.limited('removeTargetPoolInstance', project, () =>
      this.inner.removeTargetPoolInstance(project, region, pool, instance, opts),
    );
  }
  insertForwardingRule(
    project: string,
    region: string,
    rule: { name: string; ipAddress: string; portRange: string; target: string },
    opts?: MutationOptions,
  ): Promise<void> {
    return this.limited('insertForwardingRule', project, () =>
      this.inner.insertForwardingRule(project, region, rule, opts),
    );
  }
  deleteForwardingRule(project: string, region: string, name: string, opts?: MutationOptions): Promise<void> {
    return this.limited('deleteForwardingRule', project, () =>
      this.inner.deleteForwardingRule(project, region, name, opts),
    );
  }
  getFirewall(project: string, name: string): Promise<FirewallInfo | null> {
    return this.limited('getFirewall', project, () => this.inner.getFirewall(project, name));
  }
  insertFirewall(project: string, rule: FirewallSpec, opts?: MutationOptions): Promise<void> {
    return this.limited('insertFirewall', project, () => this.inner.insertFirewall(project, rule, opts));
  }
  deleteFirewall(project: string, name: string, opts?: MutationOptions): Promise<void> {
    return this.limited('deleteFirewall', project, () => this.inner.deleteFirewall(project, name, opts));
  }
  getSubnetworkRange(project: string, region: string): Promise<string> {
    return this.limited('getSubnetworkRange', project, () => this.inner.getSubnetworkRange(project, region));
  }
  freeInternalIp(project: string, region: string): Promise<string> {
    return this.limited('freeInternalIp', project, () => this.inner.freeInternalIp(project, region));
  }
  getProjectMetadata(project: string): Promise<ProjectMetadata | null> {
    return this.limited('getProjectMetadata', project, () => this.inner.getProjectMetadata(project));
  }
  getGuestAttributes(
    project: string,
    zone: string,
    instance: string,
    queryPath: string,
  ): Promise<GuestAttribute[] | null> {
    return this.limited('getGuestAttributes', project, () =>
      this.inner.getGuestAttributes(project, zone, instance, queryPath),
    );
  }
  listAllForwardingRules(project: string, nameRegex: string): Promise<RegionalListing<ForwardingRule>> {
    return this.limited('listAllForwardingRules', project, () => this.inner.listAllForwardingRules(project, nameRegex));
  }
  listAllTargetPools(project: string, nameRegex: string): Promise<RegionalListing<TargetPool>> {
    return this.limited('listAllTargetPools', project, () => this.inner.listAllTargetPools(project, nameRegex));
  }
  listAllAddresses(project: string, nameRegex: string): Promise<RegionalListing<StaticAddress>> {
    return this.limited('listAllAddresses', project, () => this.inner.listAllAddresses(project, nameRegex));
  }
}
