import 'server-only';
import { env as processEnv } from '@/lib/server/env';
import { sseResponse, type Feed, type StreamOptions } from './feed';

// Who may cost what (issue 12): each signed-in user holds at most QUORUM_STREAMS_PER_USER live streams at once
// (cluster, fleet and operation pages each hold one; a browser holds at most six connections to a host over
// HTTP/1.1 anyway). A stream past the cap is refused up front, before any feed starts, with the typed
// `TooManyStreams` answer; a slot is given back when its stream ends, however it ends.

export type StreamSlot = { release: () => void };

export class StreamSlots {
  private readonly held = new Map<string, number>();

  constructor(readonly perUser: number) {}

  /** A slot for one more stream of `userId`, or null when the user holds `perUser` already. Release it once. */
  acquire(userId: string): StreamSlot | null {
    const now = this.held.get(userId) ?? 0;
    if (now >= this.perUser) return null;
    this.held.set(userId, now + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.held.get(userId) ?? 1) - 1;
        if (left <= 0) this.held.delete(userId);
        else this.held.set(userId, left);
      },
    };
  }

  heldBy(userId: string): number {
    return this.held.get(userId) ?? 0;
  }
}

/** What a stream past the cap answers: 429, the typed code, words, and when to try again. */
export function tooManyStreams(perUser: number): Response {
  return Response.json(
    {
      code: 'TooManyStreams',
      message: `You have ${perUser} live views open already, the most one user may hold at once: close a tab or a page with a live view, then try again.`,
      retryAfterSeconds: 5,
    },
    { status: 429, headers: { 'Retry-After': '5' } },
  );
}

// One set of slots per server process, on globalThis because Next's dev server re-evaluates modules on every edit.
const KEY = Symbol.for('quorum.server.stream-slots');
type Holder = { [KEY]?: StreamSlots };

/** The process's stream slots, QUORUM_STREAMS_PER_USER each. */
export function streamSlots(): StreamSlots {
  const holder = globalThis as Holder;
  return (holder[KEY] ??= new StreamSlots(processEnv.QUORUM_STREAMS_PER_USER));
}

/**
 * A live stream of `feed` for `userId` in one of the user's slots, given back when the stream ends; past the cap the
 * 429 answer, and the feed is not even looked up (no polling starts for a refused stream).
 */
export function slottedStream<T>(
  userId: string,
  feed: () => Feed<T>,
  signal: AbortSignal,
  opts: Omit<StreamOptions, 'onClose'> = {},
): Response {
  const slots = streamSlots();
  const slot = slots.acquire(userId);
  if (!slot) return tooManyStreams(slots.perUser);
  try {
    return sseResponse(feed(), signal, { ...opts, onClose: slot.release });
  } catch (error) {
    slot.release();
    throw error;
  }
}
