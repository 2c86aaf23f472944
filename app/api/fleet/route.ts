import { describeError, getFleetView } from '@/lib/server/views';

export const dynamic = 'force-dynamic';

export async function GET() {
  try {
    return Response.json(await getFleetView());
  } catch (error) {
    return Response.json({ code: 'ProviderUnavailable', message: describeError(error) }, { status: 503 });
  }
}
