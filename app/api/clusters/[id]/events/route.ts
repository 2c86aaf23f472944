import { routeCaller } from '@/lib/server/auth/guards';
import { parseClusterId } from '@/lib/core/topology';
import { sseResponse } from '@/lib/server/live/feed';
import { clusterFeed } from '@/lib/server/views';

export const dynamic = 'force-dynamic';

/** Live cluster view over SSE: `event: snapshot` with a ClusterView per observation, `event: failure` when one fails. */
export async function GET(request: Request, ctx: { params: Promise<{ id: string }> }) {
  const { denied } = await routeCaller('viewer');
  if (denied) return denied;
  const ref = parseClusterId((await ctx.params).id);
  if (!ref) return Response.json({ code: 'InvalidInput', message: 'Malformed cluster id.' }, { status: 400 });
  return sseResponse(clusterFeed(ref), request.signal);
}
