import { currentSessionValidity } from '@/lib/server/auth/caller';
import { routeCaller } from '@/lib/server/auth/guards';
import { slottedStream } from '@/lib/server/live/stream-slots';
import { fleetFeed } from '@/lib/server/views';

export const dynamic = 'force-dynamic';

/** Live fleet summaries over SSE. */
export async function GET(request: Request) {
  const { caller, denied } = await routeCaller('viewer');
  if (denied) return denied;
  // One of the caller's stream slots (QUORUM_STREAMS_PER_USER); the stream ends within a few seconds when its session
  // does (sign-out, expiry, a disabled account).
  return slottedStream(caller.userId, fleetFeed, request.signal, { sessionValid: await currentSessionValidity() });
}
