import 'server-only';
import { headers } from 'next/headers';
import { isRole, type Caller } from '@/lib/core/roles';
import { getAuth } from './auth';
import { sourceOf } from './source';

/** The signed-in user of the current request (better-auth session cookie), or null. Banned users are anonymous. */
export async function sessionCaller(): Promise<Caller | null> {
  let h: Headers;
  try {
    h = await headers();
  } catch {
    // Outside a request (a script, a test without its own resolver): nobody is signed in.
    return null;
  }
  const auth = await getAuth();
  const session = await auth.api.getSession({ headers: h });
  if (!session || session.user.banned) return null;
  const role = isRole(session.user.role) ? session.user.role : 'viewer';
  return { userId: session.user.id, email: session.user.email, name: session.user.name, role, source: sourceOf(h) };
}
