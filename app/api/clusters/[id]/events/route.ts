import { currentSessionValidity } from '@/lib/server/auth/caller';
import { routeCaller } from '@/lib/server/auth/guards';
import { parseClusterId } from '@/lib/core/topology';
import { container } from '@/lib/server/container';
import { knownClusterRef, unknownClusterMessage } from '@/lib/server/known-clusters';
import { slottedStream } from '@/lib/server/live/stream-slots';
import { clusterFeed } from '@/lib/server/views';

export const dynamic = 'force-dynamic';

/** Live cluster view over SSE: `event: snapshot` with a ClusterView per observation, `event: failure` when one fails. */
export async function GET(request: Request, ctx: { params: Promise<{ id: string }> }) {
  const { caller, denied } = await routeCaller('viewer');
  if (denied) return denied;
  const id = (await ctx.params).id;
  const parsed = parseClusterId(id);
  if (!parsed) return Response.json({ code: 'InvalidInput', message: 'Malformed cluster id.' }, { status: 400 });
  // A cluster Quorum does not know starts no feed: 404 before any read of its own. While the project's Compute
  // snapshot cannot be read, a cluster of a configured project gets its feed, which shows that failure.
  const ref = await knownClusterRef(id).catch(() => (container().projects.includes(parsed.project) ? parsed : null));
  if (!ref) return Response.json({ code: 'NotFound', message: unknownClusterMessage(id) }, { status: 404 });
  // One of the caller's stream slots (QUORUM_STREAMS_PER_USER); the stream ends within a few seconds when its session
  // does (sign-out, expiry, a disabled account).
  return slottedStream(caller.userId, () => clusterFeed(ref), request.signal, {
    sessionValid: await currentSessionValidity(),
  });
}
