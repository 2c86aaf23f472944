import { routeCaller } from '@/lib/server/auth/guards';
import { z } from 'zod';
import { container } from '@/lib/server/container';
import { readOperationView } from '@/lib/server/operations/operation-views';

export const dynamic = 'force-dynamic';

export async function GET(_request: Request, ctx: { params: Promise<{ opId: string }> }) {
  const { denied } = await routeCaller('viewer');
  if (denied) return denied;
  const id = z.uuid().safeParse((await ctx.params).opId);
  if (!id.success) return Response.json({ code: 'InvalidInput', message: 'Malformed operation id.' }, { status: 400 });
  const view = await readOperationView(container().store, id.data);
  return view
    ? Response.json(view)
    : Response.json({ code: 'NotFound', message: 'No such operation.' }, { status: 404 });
}
