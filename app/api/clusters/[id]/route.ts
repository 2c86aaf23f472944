import { routeCaller } from '@/lib/server/auth/guards';
import { parseClusterId } from '@/lib/core/topology';
import { describeError } from '@/lib/server/describe-error';
import { ClusterNotFoundError, clusterView } from '@/lib/server/views';

export const dynamic = 'force-dynamic';

/** One fresh observation of a cluster (the client's refetch path; live updates come over SSE). */
export async function GET(_request: Request, ctx: { params: Promise<{ id: string }> }) {
  const { denied } = await routeCaller('viewer');
  if (denied) return denied;
  const ref = parseClusterId((await ctx.params).id);
  if (!ref) return Response.json({ code: 'InvalidInput', message: 'Malformed cluster id.' }, { status: 400 });
  try {
    return Response.json(await clusterView(ref));
  } catch (error) {
    if (error instanceof ClusterNotFoundError)
      return Response.json({ code: 'NotFound', message: error.message }, { status: 404 });
    return Response.json({ code: 'ProviderUnavailable', message: describeError(error) }, { status: 503 });
  }
}
