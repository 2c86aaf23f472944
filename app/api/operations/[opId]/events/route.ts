import { currentSessionValidity } from '@/lib/server/auth/caller';
import { routeCaller } from '@/lib/server/auth/guards';
import { z } from 'zod';
import { container } from '@/lib/server/container';
import { slottedStream } from '@/lib/server/live/stream-slots';
import { operationFeed } from '@/lib/server/operations/operation-views';

export const dynamic = 'force-dynamic';

/** Live journal of one operation over SSE: `event: snapshot` with an OperationView. */
export async function GET(request: Request, ctx: { params: Promise<{ opId: string }> }) {
  const { caller, denied } = await routeCaller('viewer');
  if (denied) return denied;
  const id = z.uuid().safeParse((await ctx.params).opId);
  if (!id.success) return Response.json({ code: 'InvalidInput', message: 'Malformed operation id.' }, { status: 400 });
  // An operation Quorum has no journal of starts no feed.
  if (!(await container().store.getOperation(id.data)))
    return Response.json({ code: 'NotFound', message: `No operation ${id.data}.` }, { status: 404 });
  // One of the caller's stream slots (QUORUM_STREAMS_PER_USER); the stream ends within a few seconds when its session
  // does (sign-out, expiry, a disabled account).
  return slottedStream(caller.userId, () => operationFeed(container().store, id.data), request.signal, {
    sessionValid: await currentSessionValidity(),
  });
}
