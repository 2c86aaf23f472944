import { getAuth } from '@/lib/server/auth/auth';

// better-auth's endpoints: sign-in (email and password; Google when configured), sign-out, session, and the
// admin plugin's user endpoints (admin role only). Sign-up is disabled: an admin creates accounts.
export const dynamic = 'force-dynamic';

const handle = async (request: Request) => (await getAuth()).handler(request);

export const GET = handle;
export const POST = handle;
