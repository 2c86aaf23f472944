import { env } from '@/lib/server/env';

export const dynamic = 'force-dynamic';

/** Liveness of the dashboard, and which cloud it talks to (e2e tests refuse anything but the sandbox). */
export async function GET() {
  return Response.json({ ok: true, provider: env.QUORUM_PROVIDER });
}
