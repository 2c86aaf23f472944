import 'server-only';
import type { CountedAnonymousRefusals, NewAuditEntry, Store } from '@/lib/ports/store';

// Anonymous refusals, folded (issue 12, finding 6): 500 POSTs from nobody signed in must not make 500
// permanent rows. The audit table stays append-only (SQLite triggers refuse UPDATE): nothing is ever
// rewritten. Per source address and UTC minute, the first anonymous refusal is written at once, as before,
// with its action, code and message; the ones after it in that minute are counted in the store file (not in
// memory), and once the minute is over one more row is appended with their number and which actions they
// called (`action.anonymous-refusals`, detail { count, minute, actions }). So a source makes at most two rows
// a minute however hard it knocks, and the first knock is on record at once. A minute is closed by a timer
// just after it ends and, for minutes a stop or crash left open, when the server starts (the current one
// when it ends): no count is lost, it is only written late (the row's `at` is when it was written; detail.minute is the minute counted).

export type AnonymousRefusal = { source: string | null; action: string; code: string; message: string };

export type FoldOptions = {
  now?: () => number;
  /** Whether to close each minute by a timer (tests close minutes by hand). */
  timers?: boolean;
};

export const FOLDED_ACTION = 'action.anonymous-refusals';

const MINUTE_MS = 60_000;

function minuteStart(ms: number): string {
  return new Date(Math.floor(ms / MINUTE_MS) * MINUTE_MS).toISOString();
}

/** The audit row of one source's counted minute. */
export function foldedRefusalsEntry(counted: CountedAnonymousRefusals): NewAuditEntry {
  return {
    actor: 'anonymous',
    source: counted.source,
    action: FOLDED_ACTION,
    outcome: 'refused',
    detail: {
      code: 'Unauthenticated',
      message: `${counted.count} more requests from nobody signed in were refused from this address in the minute from ${counted.minute.slice(11, 16)} UTC, after the one written above.`,
      count: counted.count,
      minute: counted.minute,
      actions: counted.actions,
    },
  };
}

export class AnonymousRefusalFold {
  private readonly now: () => number;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly store: Pick<Store, 'countAnonymousRefusal' | 'closeAnonymousRefusalMinutes'>,
    private readonly opts: FoldOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Records one anonymous refusal: appended when it is the source's first this minute, else counted. */
  async record(refusal: AnonymousRefusal): Promise<void> {
    const now = this.now();
    await this.store.countAnonymousRefusal(
      { source: refusal.source, minute: minuteStart(now), action: refusal.action },
      {
        actor: 'anonymous',
        source: refusal.source,
        action: refusal.action,
        outcome: 'refused',
        detail: { code: refusal.code, message: refusal.message },
      },
    );
    this.closeAfterThisMinute(now);
  }

  /** Appends the count of every minute that has ended (each source's, where more than its first came) and forgets them. */
  async closeEndedMinutes(): Promise<number> {
    return (await this.store.closeAnonymousRefusalMinutes(minuteStart(this.now()), foldedRefusalsEntry)).length;
  }

  /**
   * At the server's start: closes the minutes a stop or crash left open now, and the current one (which may
   * hold counts of the process before) when it ends, even if no refusal comes. Returns the rows written now.
   */
  async resume(): Promise<number> {
    const closed = await this.closeEndedMinutes();
    this.closeAfterThisMinute(this.now());
    return closed;
  }

  private closeAfterThisMinute(now: number): void {
    if (this.opts.timers === false || this.timer) return;
    const wait = (Math.floor(now / MINUTE_MS) + 1) * MINUTE_MS - now + 50;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.closeEndedMinutes().catch((e: unknown) => console.error('[audit] could not write folded refusals', e));
    }, wait);
    this.timer.unref?.();
  }
}

const KEY = Symbol.for('quorum.server.anonymousRefusals');
type Holder = { [KEY]?: AnonymousRefusalFold };

/** The server's one fold, counting in the store's file. */
export async function anonymousRefusalFold(): Promise<AnonymousRefusalFold> {
  const holder = globalThis as Holder;
  if (!holder[KEY]) {
    const { container } = await import('@/lib/server/container');
    holder[KEY] = new AnonymousRefusalFold(container().store);
  }
  return holder[KEY];
}

export async function recordAnonymousRefusal(refusal: AnonymousRefusal): Promise<void> {
  await (await anonymousRefusalFold()).record(refusal);
}
