import 'server-only';
import type { RefreshPace } from '@/lib/core/rate-limit';

/** One observation (or its failure), with the period until the next one when the feed is paced. */
export type FeedMessage<T> = ({ kind: 'data'; data: T } | { kind: 'error'; message: string }) & {
  refresh?: RefreshPace;
};
type Listener<T> = (message: FeedMessage<T>) => void;

/**
 * One polling loop per key, shared by every subscriber (every open page on that cluster), running only
 * while someone listens. The next observation starts `intervalMs` after the previous one ended, so a
 * slow provider stretches the period instead of piling up calls. `pace`, asked after each observation, may
 * stretch it further (a project's Compute API budget running low); without it the period is `intervalMs`.
 */
export class Feed<T> {
  private readonly listeners = new Set<Listener<T>>();
  private latest: FeedMessage<T> | undefined;
  private running = false;
  /** When a wake lets the next observation start (null: no wake pending). */
  private wakeAt: number | null = null;
  /** When the last observation a wake asked for started. */
  private lastWokenAt = -Infinity;
  /** Set while the feed waits between observations: re-arms the wait after a wake. */
  private rearm: (() => void) | null = null;

  constructor(
    private readonly produce: () => Promise<T>,
    private readonly intervalMs: number,
    private readonly describeError: (error: unknown) => string,
    private readonly pace?: () => RefreshPace,
    /** A shorter wait after this observation (0: observe again at once), e.g. to confirm a silence seen once. */
    private readonly sooner?: (data: T) => number | undefined,
  ) {}

  subscribe(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    if (this.latest) listener(this.latest);
    if (!this.running) void this.loop();
    return () => {
      this.listeners.delete(listener);
    };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /**
   * Something the feed watches changed under it (a connection to a replica's etcd or sshd closed from the far end):
   * observe now instead of at the end of the period, or right after the observation under way. At most one woken
   * observation starts per period: a wake within a period of the last one moves the next observation to that
   * period's end, so a connection that keeps closing cannot make the feed observe back to back.
   */
  wake(): void {
    if (!this.running) return;
    const at = Math.max(Date.now(), this.lastWokenAt + this.intervalMs);
    this.wakeAt = this.wakeAt === null ? at : Math.min(this.wakeAt, at);
    this.rearm?.();
  }

  /** The wait between two observations: `ms`, or less when a wake comes in meanwhile. */
  private pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        clearTimeout(timer);
        const end = this.wakeAt === null ? until : Math.min(until, this.wakeAt);
        timer = setTimeout(
          () => {
            this.rearm = null;
            resolve();
          },
          Math.max(0, end - Date.now()),
        );
      };
      this.rearm = arm;
      arm();
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.listeners.size > 0) {
        let message: FeedMessage<T>;
        let wait: number | undefined;
        // This observation answers any wake so far; counted as woken for the next wake's spacing.
        if (this.wakeAt !== null) {
          this.lastWokenAt = Date.now();
          this.wakeAt = null;
        }
        try {
          const data = await this.produce();
          wait = this.sooner?.(data);
          message = { kind: 'data', data };
        } catch (error) {
          message = { kind: 'error', message: this.describeError(error) };
        }
        const refresh = this.pace?.();
        if (refresh) message = { ...message, refresh };
        this.latest = message;
        for (const listener of this.listeners) listener(message);
        const interval = refresh?.intervalMs ?? this.intervalMs;
        await this.pause(wait === undefined ? interval : Math.min(wait, interval));
      }
    } finally {
      this.running = false;
      this.wakeAt = null;
      // An observation in flight when the last subscriber left is stale by the time someone comes back.
      this.latest = undefined;
    }
  }
}

type Registry = Map<string, Feed<unknown>>;
const globalForFeeds = globalThis as typeof globalThis & { __quorumFeeds?: Registry };

/** The feed for a key, created on first use; kept on globalThis so dev-mode module reloads share it. */
export function feedFor<T>(key: string, create: () => Feed<T>): Feed<T> {
  const registry = (globalForFeeds.__quorumFeeds ??= new Map());
  let feed = registry.get(key) as Feed<T> | undefined;
  if (!feed) {
    feed = create();
    registry.set(key, feed as Feed<unknown>);
  }
  return feed;
}

/** Wakes the running feeds whose key `which` accepts (Feed.wake). */
export function wakeFeeds(which: (key: string) => boolean): void {
  for (const [key, feed] of globalForFeeds.__quorumFeeds ?? []) if (which(key)) feed.wake();
}

const encoder = new TextEncoder();

/** How often an open stream asks whether its session is still valid (sign-out, expiry, a disabled account). */
export const SESSION_CHECK_MS = 2_000;

/**
 * A stream whose reader has not taken this many messages is abandoned: the client went away without the runtime
 * cancelling the stream (a busy server, a proxy keeping the socket), so it is closed and the feed let go.
 */
export const STALLED_MESSAGES = 40;

export type StreamOptions = {
  /** Asked every `sessionCheckMs`: false (or a throw) ends the stream with `event: session-ended`. */
  sessionValid?: () => Promise<boolean>;
  sessionCheckMs?: number;
  /** Called once when the stream ends, however it ends (a stream slot given back). */
  onClose?: () => void;
  /** How often the stream checks that its client is still there (aborted request, unread backlog). */
  livenessCheckMs?: number;
  stalledMessages?: number;
};

/**
 * A text/event-stream Response relaying a feed until the client goes away or its session ends: `event:
 * snapshot` (the data), `event: failure` ({ message }), and, before either, `event: refresh` (a RefreshPace)
 * when the feed is paced and its period differs from the one last sent on this stream. With `sessionValid`,
 * a session that is no longer valid ends the stream within `sessionCheckMs` (`event: session-ended`, then
 * close): a signed-out or disabled user's page stops receiving at once, not at the next reconnect.
 */
export function sseResponse<T>(feed: Feed<T>, signal: AbortSignal, opts: StreamOptions = {}): Response {
  let unsubscribe = () => {};
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let sessionTimer: ReturnType<typeof setTimeout> | undefined;
  let liveness: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  const end = () => {
    if (!closed) opts.onClose?.();
    closed = true;
    unsubscribe();
    if (keepAlive) clearInterval(keepAlive);
    if (liveness) clearInterval(liveness);
    if (sessionTimer) clearTimeout(sessionTimer);
  };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const close = () => {
        end();
        try {
          controller.close();
        } catch {
          // already closed by the runtime
        }
      };
      let paceSent = '';
      unsubscribe = feed.subscribe((message) => {
        try {
          const pace = message.refresh ? JSON.stringify(message.refresh) : '';
          if (pace !== '' && pace !== paceSent) {
            controller.enqueue(encoder.encode(`event: refresh\ndata: ${pace}\n\n`));
            paceSent = pace;
          }
          controller.enqueue(
            encoder.encode(
              `event: ${message.kind === 'data' ? 'snapshot' : 'failure'}\ndata: ${JSON.stringify(message.kind === 'data' ? message.data : { message: message.message })}\n\n`,
            ),
          );
        } catch {
          close();
        }
      });
      // Proxies drop idle streams; a comment line every 15 s keeps it open.
      keepAlive = setInterval(() => {
        try {
          controller.enqueue(encoder.encode(': keep-alive\n\n'));
        } catch {
          close();
        }
      }, 15_000);
      signal.addEventListener('abort', close, { once: true });
      // No work outlives its client: an aborted request, or a reader that stopped reading, ends the stream (and the
      // feed stops with its last subscriber), even when the runtime never cancels it.
      const stalled = opts.stalledMessages ?? STALLED_MESSAGES;
      liveness = setInterval(() => {
        if (signal.aborted || (controller.desiredSize ?? 0) < -stalled) close();
      }, opts.livenessCheckMs ?? SESSION_CHECK_MS);
      const sessionValid = opts.sessionValid;
      if (sessionValid) {
        const check = async () => {
          const valid = await sessionValid().catch(() => false);
          if (closed) return;
          if (valid) {
            sessionTimer = setTimeout(() => void check(), opts.sessionCheckMs ?? SESSION_CHECK_MS);
            return;
          }
          try {
            controller.enqueue(
              encoder.encode(
                `event: session-ended\ndata: {"message":"Your session ended (signed out, expired or the account was disabled): sign in again."}\n\n`,
              ),
            );
          } catch {
            // the client is gone already
          }
          close();
        };
        sessionTimer = setTimeout(() => void check(), opts.sessionCheckMs ?? SESSION_CHECK_MS);
      }
    },
    cancel() {
      end();
    },
  });
  return new Response(stream, {
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // What proxy.ts sets on every event stream (lib/server/security/headers.ts), for a stream served without it.
      'Cache-Control': 'private, no-store, no-transform',
      Vary: 'Cookie',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    },
  });
}
