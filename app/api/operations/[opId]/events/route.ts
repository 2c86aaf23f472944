import { routeCaller } from '@/lib/server/auth/guards';
import { z } from 'zod';
import { container } from '@/lib/server/container';
import { sseResponse } from '@/lib/server/live/feed';
import { operationFeed } from '@/lib/server/operations/operation-views';

export const dynamic = 'force-dynamic';

/** Live journal of one operation over SSE: `event: snapshot` with an OperationView. */
export async function GET(request: Request, ctx: { params: Promise<{ opId: string }> }) {
  const { denied } = await routeCaller('viewer');
  if (denied) return denied;
  const id = z.uuid().safeParse((await ctx.params).opId);
  if (!id.success) return Response.json({ code: 'InvalidInput', message: 'Malformed operation id.' }, { status: 400 });
  return sseResponse(operationFeed(container().store, id.data), request.signal);
}
