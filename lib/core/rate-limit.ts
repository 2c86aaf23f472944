// Rate limiting (issue 5), pure: the caller passes the time (milliseconds of a monotonic clock).
// A token bucket holds up to `capacity` tokens and gains `refillPerSecond` of them continuously; a call takes
// tokens or is told exactly when it could. `reserve` lets a caller queue: its tokens are granted at the first
// moment the bucket has them, after every reservation made before it (first come, first served), and the
// caller waits until then.

export type BucketConfig = {
  /** Most tokens the bucket holds: the largest burst. */
  capacity: number;
  /** Tokens gained per second. */
  refillPerSecond: number;
};

export type BucketState = BucketConfig & {
  /** Tokens available now; negative while reserved calls wait for tokens not yet refilled. */
  tokens: number;
};

export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterMs: number };

export type ReserveResult = { ok: true; waitMs: number } | { ok: false; retryAfterMs: number };

function assertConfig({ capacity, refillPerSecond }: BucketConfig): void {
  if (!(Number.isFinite(capacity) && capacity > 0))
    throw new RangeError(`capacity must be a positive number, got ${capacity}`);
  if (!(Number.isFinite(refillPerSecond) && refillPerSecond > 0))
    throw new RangeError(`refillPerSecond must be a positive number, got ${refillPerSecond}`);
}

export class TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
  /** Tokens at time `at`, after the grant made then. */
  private tokens: number;
  /**
   * Time of the latest grant; null while the bucket has never been used (it is full). Ahead of the caller's
   * clock while reserved calls wait: nothing is granted before it, which keeps the queue in order.
   */
  private at: number | null = null;

  constructor(config: BucketConfig) {
    assertConfig(config);
    this.capacity = config.capacity;
    this.refillPerSecond = config.refillPerSecond;
    this.tokens = config.capacity;
  }

  /** Takes `n` tokens if there are that many now; otherwise takes nothing and says after how many ms it would succeed. */
  take(now: number, n = 1): TakeResult {
    this.assertCount(n);
    const waitMs = this.msUntil(now, n);
    if (waitMs > 0) return { ok: false, retryAfterMs: waitMs };
    this.grant(now, n);
    return { ok: true, remaining: this.tokens };
  }

  /**
   * Takes `n` tokens now or, when there are too few, at the first whole millisecond after `now` when the bucket
   * will have them (after every earlier reservation): the caller may proceed after `waitMs`. A reservation that
   * would wait longer than `maxWaitMs` is refused and takes nothing; `retryAfterMs` is when the same call would be
   * accepted.
   */
  reserve(now: number, n: number, maxWaitMs: number): ReserveResult {
    this.assertCount(n);
    const waitMs = this.msUntil(now, n);
    if (waitMs > maxWaitMs) return { ok: false, retryAfterMs: Math.ceil(waitMs - maxWaitMs) };
    this.grant(now + waitMs, n);
    return { ok: true, waitMs };
  }

  /** How many ms after `now` a reservation of `n` tokens would be granted (0: at once); takes nothing. */
  waitMs(now: number, n: number): number {
    this.assertCount(n);
    return this.msUntil(now, n);
  }

  /**
   * Grants nothing before `now + ms`, then one token, refilling from there: after a provider said "rate limit
   * exceeded", the bucket's idea of what is left was wrong (someone else shares the quota), so it starts again
   * from almost nothing. Reservations already booked past the pause stand.
   */
  pause(now: number, ms: number): void {
    const until = now + ms;
    if (this.at !== null && this.at >= until) return;
    this.tokens = Math.min(this.capacity, 1);
    this.at = until;
  }

  /** `tokens` is negative while reserved calls wait: the tokens still owed to them. */
  state(now: number): BucketState {
    const tokens =
      this.at === null
        ? this.tokens
        : now >= this.at
          ? this.tokensAt(now)
          : this.tokens - ((this.at - now) * this.refillPerSecond) / 1000;
    return { capacity: this.capacity, refillPerSecond: this.refillPerSecond, tokens };
  }

  /** Whether the bucket is full at `now`: it is then indistinguishable from a new one (and may be forgotten). */
  isFull(now: number): boolean {
    return this.canTakeAt(now, this.capacity);
  }

  /** Tokens at `t`, for `t` not before the latest grant. */
  private tokensAt(t: number): number {
    if (this.at === null) return this.tokens;
    return Math.min(this.capacity, this.tokens + ((t - this.at) * this.refillPerSecond) / 1000);
  }

  private canTakeAt(t: number, n: number): boolean {
    return (this.at === null || t >= this.at) && this.tokensAt(t) >= n;
  }

  private grant(t: number, n: number): void {
    this.tokens = this.tokensAt(t) - n;
    this.at = t;
  }

  /**
   * The fewest whole milliseconds after `now` at which `n` tokens can be granted. Computed in closed form, then
   * checked against the predicate itself, so that the answer is exact despite floating-point rounding: at
   * `now + result` the grant succeeds, at `now + result - 1` it does not.
   */
  private msUntil(now: number, n: number): number {
    const from = this.at === null ? now : Math.max(now, this.at);
    const deficit = n - this.tokensAt(from);
    let ms = Math.max(0, Math.ceil(from - now + (Math.max(0, deficit) * 1000) / this.refillPerSecond));
    while (ms > 0 && this.canTakeAt(now + ms - 1, n)) ms -= 1;
    while (!this.canTakeAt(now + ms, n)) ms += 1;
    return ms;
  }

  private assertCount(n: number): void {
    if (!(Number.isFinite(n) && n > 0))
      throw new RangeError(`a take must ask for a positive number of tokens, got ${n}`);
    if (n > this.capacity)
      throw new RangeError(`a take of ${n} can never succeed in a bucket of capacity ${this.capacity}`);
  }
}

export type KeyedLimiterOptions = {
  /**
   * Most keys remembered. Idle keys are forgotten without loss (a full bucket equals a new one); past this bound
   * the least recently used key is forgotten even if not full, so a flood of distinct keys cannot grow memory.
   */
  maxKeys?: number;
};

/**
 * One token bucket per key (a user id, a project), created full on first use. Keys whose bucket has refilled
 * are evicted as calls come in: the least recently used ones first, each call doing only the work of what it evicts.
 */
export class KeyedLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly maxKeys: number;

  constructor(
    readonly config: BucketConfig,
    opts: KeyedLimiterOptions = {},
  ) {
    assertConfig(config);
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  take(key: string, now: number, n = 1): TakeResult {
    return this.touch(key, now).take(now, n);
  }

  reserve(key: string, now: number, n: number, maxWaitMs: number): ReserveResult {
    return this.touch(key, now).reserve(now, n, maxWaitMs);
  }

  /** The bucket's state; a key not remembered has a full bucket. */
  state(key: string, now: number): BucketState {
    return this.buckets.get(key)?.state(now) ?? { ...this.config, tokens: this.config.capacity };
  }

  /** Keys remembered, least recently used first. */
  keys(): string[] {
    return [...this.buckets.keys()];
  }

  get size(): number {
    return this.buckets.size;
  }

  /**
   * Forgets the least recently used keys while their bucket is full. Stops at the first that is not: a key
   * used later is full no later than `capacity / refillPerSecond` after its last use, so none stays past that.
   */
  evictIdle(now: number): number {
    let evicted = 0;
    for (const [key, bucket] of this.buckets) {
      if (!bucket.isFull(now)) break;
      this.buckets.delete(key);
      evicted += 1;
    }
    return evicted;
  }

  private touch(key: string, now: number): TokenBucket {
    this.evictIdle(now);
    let bucket = this.buckets.get(key);
    if (bucket) this.buckets.delete(key);
    else bucket = new TokenBucket(this.config);
    // Re-inserted last: the map's order is the order of last use.
    this.buckets.set(key, bucket);
    while (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (oldest.done) break;
      this.buckets.delete(oldest.value);
    }
    return bucket;
  }
}

/** A live feed's period between observations, and why it is longer than usual. */
export type RefreshPace = {
  intervalMs: number;
  /** The period with a healthy budget. */
  baseIntervalMs: number;
  /** Set when the period was stretched: the project whose Compute API budget ran low. */
  slowedBy: { reason: 'compute-budget'; project: string } | null;
  /**
   * For a view whose Compute state comes from the shared per-project snapshot: the period of those Compute reads
   * (probes keep `intervalMs`). `slowedBy` then says why this one, not the probes', was stretched.
   */
  compute?: { intervalMs: number; baseIntervalMs: number };
};

export type PaceOptions = {
  /** Below this share of its capacity, the bucket slows the feeds that draw on it. */
  lowFraction: number;
  /** The longest period a feed is stretched to. */
  maxIntervalMs: number;
};

export const DEFAULT_PACE: PaceOptions = { lowFraction: 0.5, maxIntervalMs: 30_000 };

/**
 * The period a live feed waits before its next observation, given the Compute budget of each project it reads.
 * With every bucket at or above `lowFraction` of its capacity it is `baseMs`, unchanged. Below, the feed waits
 * until the lowest bucket is back at that level (never less than `baseMs`, never more than `maxIntervalMs`), so
 * polling slows down instead of queueing Compute calls until they time out.
 */
export function paceRefresh(
  baseMs: number,
  budgets: ReadonlyArray<{ project: string; state: BucketState }>,
  opts: PaceOptions = DEFAULT_PACE,
): RefreshPace {
  let intervalMs = baseMs;
  let slowedBy: RefreshPace['slowedBy'] = null;
  for (const { project, state } of budgets) {
    const floor = opts.lowFraction * state.capacity;
    if (state.tokens >= floor) continue;
    const refillMs = Math.ceil(((floor - state.tokens) * 1000) / state.refillPerSecond);
    const wait = Math.min(opts.maxIntervalMs, Math.max(baseMs, refillMs));
    if (wait > intervalMs) {
      intervalMs = wait;
      slowedBy = { reason: 'compute-budget', project };
    }
  }
  return { intervalMs, baseIntervalMs: baseMs, slowedBy };
}

/**
 * Compute Engine's rate quota groups that Quorum's calls fall in (https://cloud.google.com/compute/api-quota):
 * each is counted separately, per project and per minute. `read`: *.get (read_requests); `list`: *.list and
 * *.aggregatedList (list_requests); `operationRead`: zone/region/globalOperations.get and .wait
 * (operation_read_requests); `mutation`: every other method, the inserts, deletes and set* calls (the
 * "queries" group, compute.googleapis.com/default).
 */
export const COMPUTE_QUOTA_GROUPS = ['read', 'list', 'operationRead', 'mutation'] as const;
export type ComputeQuotaGroup = (typeof COMPUTE_QUOTA_GROUPS)[number];

/** What one call of a port method costs: Compute requests per quota group. */
export type QuotaCost = Partial<Record<ComputeQuotaGroup, number>>;

/** Who makes a Compute call: a running operation (priority) or an observation (feeds, pages, previews). */
export const COMPUTE_LANES = ['operation', 'observe'] as const;
export type ComputeLane = (typeof COMPUTE_LANES)[number];

/** Calls made in one lane and how long they waited for their tokens. */
export type LaneStats = { granted: number; waited: number; totalWaitMs: number; maxWaitMs: number };

/** One GCE project's Compute API budget as the settings page shows it. */
export type ProjectBudget = {
  project: string;
  capacity: number;
  ratePerSecond: number;
  /** Tokens now; negative while calls wait (the tokens owed to them). */
  tokens: number;
  /** Calls waiting for their token now. */
  waiting: number;
  /** Calls let through, at once or after waiting. */
  granted: number;
  /** Tokens those calls took: Compute requests paid for (a mutation takes two, its request and its Operation's wait). */
  grantedTokens: number;
  /** Of those, the calls that had to wait. */
  waited: number;
  totalWaitMs: number;
  /** The latest wait: how long, and when the call arrived. */
  lastWait: { ms: number; at: string } | null;
  /** Calls failed because their wait would have exceeded the bound. */
  refused: number;
  /** The same calls by lane: an operation's calls are counted apart from the feeds'. */
  lanes: Record<ComputeLane, LaneStats>;
  /** Requests granted per quota group since start (what Google counts). */
  requestsByGroup: Record<ComputeQuotaGroup, number>;
  /** Answers `rateLimitExceeded` / 429 Compute gave; each paused the project's budget. */
  rateLimited: number;
  /** Until when the budget is paused after such an answer (ISO time), null when it is not. */
  pausedUntil: string | null;
};

/** The rate limits in force and the state of the Compute budgets, for the settings page. */
export type RateLimitsView = {
  observedAt: string;
  compute: {
    ratePerSecond: number;
    burst: number;
    maxWaitMs: number;
    /** Share of the rate reserved for running operations (0: none, one queue for all). */
    operationShare: number;
    /** Requests per minute per quota group Quorum allows itself (null: not limited per group). */
    perMinute: number | null;
    budgets: ProjectBudget[];
  };
  /** Live feeds slow down below this share of a bucket, up to this period. */
  pace: PaceOptions;
  /** Per user: `burst` mutating actions in a row, then `perMinute` on average. */
  actions: { perMinute: number; burst: number };
  /** Per user: `burst` plan previews in a row, then `perMinute` on average. */
  previews: { perMinute: number; burst: number };
};
