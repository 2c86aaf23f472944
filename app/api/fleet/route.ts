import { routeCaller } from '@/lib/server/auth/guards';
import { describeError } from '@/lib/server/describe-error';
import { fleetView } from '@/lib/server/views';

export const dynamic = 'force-dynamic';

export async function GET() {
  const { denied } = await routeCaller('viewer');
  if (denied) return denied;
  try {
    return Response.json(await fleetView());
  } catch (error) {
    return Response.json({ code: 'ProviderUnavailable', message: describeError(error) }, { status: 503 });
  }
}
