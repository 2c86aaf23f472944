import { routeCaller } from '@/lib/server/auth/guards';
import { sseResponse } from '@/lib/server/live/feed';
import { fleetFeed } from '@/lib/server/views';

export const dynamic = 'force-dynamic';

/** Live fleet summaries over SSE. */
export async function GET(request: Request) {
  const { denied } = await routeCaller('viewer');
  if (denied) return denied;
  return sseResponse(fleetFeed(), request.signal);
}
