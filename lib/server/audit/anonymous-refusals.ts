import 'server-only';
import type { NewAuditEntry } from '@/lib/ports/store';

// Anonymous refusals, folded (issue 12, finding 6): 500 POSTs from nobody signed in must not make 500
// permanent rows. The audit table stays append-only (SQLite triggers refuse UPDATE): nothing is ever
// rewritten. Per source address and UTC minute, the first anonymous refusal is written at once, as before,
// with its action, code and message; the ones after it in that minute are only counted in memory, and when
// the minute is over one more row is appended with their number and which actions they called
// (`action.anonymous-refusals`, detail { count, minute, actions }). So a source makes at most two rows a
// minute however hard it knocks, and the first knock is on record at once. Counts not yet flushed are lost if
// the process dies (at most one minute's); more than `maxSources` sources in one minute flush early.

export type AnonymousRefusal = { source: string | null; action: string; code: string; message: string };

type Bucket = { minute: number; count: number; actions: Record<string, number>; timer: ReturnType<typeof setTimeout> | null };

export type FoldOptions = {
  write: (entry: NewAuditEntry) => Promise<unknown>;
  now?: () => number;
  /** Sources tracked at once; past it every pending count is written before a new source is tracked. */
  maxSources?: number;
  /** Whether to flush each minute by a timer (tests flush by hand). */
  timers?: boolean;
};

export const FOLDED_ACTION = 'action.anonymous-refusals';

export class AnonymousRefusalFold {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxSources: number;

  constructor(private readonly opts: FoldOptions) {
    this.now = opts.now ?? Date.now;
    this.maxSources = opts.maxSources ?? 10_000;
  }

  /** Records one anonymous refusal: written when it is the source's first this minute, else counted. */
  async record(refusal: AnonymousRefusal): Promise<void> {
    const key = refusal.source ?? 'unknown';
    const now = this.now();
    const minute = Math.floor(now / 60_000);
    const bucket = this.buckets.get(key);
    if (bucket && bucket.minute === minute) {
      bucket.count += 1;
      bucket.actions[refusal.action] = (bucket.actions[refusal.action] ?? 0) + 1;
      return;
    }
    if (bucket) await this.flush(key);
    if (this.buckets.size >= this.maxSources) await this.flushAll();
    const timer = this.opts.timers === false ? null : setTimeout(() => void this.flush(key).catch((e: unknown) => console.error('[audit] could not write folded refusals', e)), (minute + 1) * 60_000 - now + 50);
    timer?.unref?.();
    this.buckets.set(key, { minute, count: 0, actions: {}, timer });
    await this.opts.write({ actor: 'anonymous', source: refusal.source, action: refusal.action, outcome: 'refused', detail: { code: refusal.code, message: refusal.message } });
  }

  /** Writes the count of a source's minute, if any, and forgets it. */
  async flush(key: string): Promise<void> {
    const bucket = this.buckets.get(key);
    if (!bucket) return;
    this.buckets.delete(key);
    if (bucket.timer) clearTimeout(bucket.timer);
    if (bucket.count === 0) return;
    const minute = new Date(bucket.minute * 60_000).toISOString();
    await this.opts.write({
      actor: 'anonymous',
      source: key === 'unknown' ? null : key,
      action: FOLDED_ACTION,
      outcome: 'refused',
      detail: {
        code: 'Unauthenticated',
        message: `${bucket.count} more requests from nobody signed in were refused from this address in the minute from ${minute.slice(11, 16)} UTC, after the one written above.`,
        count: bucket.count,
        minute,
        actions: bucket.actions,
      },
    });
  }

  async flushAll(): Promise<void> {
    for (const key of [...this.buckets.keys()]) await this.flush(key);
  }
}

const KEY = Symbol.for('quorum.server.anonymousRefusals');
type Holder = { [KEY]?: AnonymousRefusalFold };

/** The server's one fold, writing to the store's audit log. */
export async function recordAnonymousRefusal(refusal: AnonymousRefusal): Promise<void> {
  const holder = globalThis as Holder;
  if (!holder[KEY]) {
    const { container } = await import('@/lib/server/container');
    holder[KEY] = new AnonymousRefusalFold({ write: (entry) => container().store.addAudit(entry) });
  }
  await holder[KEY].record(refusal);
}
