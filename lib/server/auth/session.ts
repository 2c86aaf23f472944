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
  const mustChangePassword = (session.user as { mustChangePassword?: unknown }).mustChangePassword === true;
  return {
    userId: session.user.id,
    email: session.user.email,
    name: session.user.name,
    role,
    source: sourceOf(h),
    ...(mustChangePassword ? { mustChangePassword } : {}),
  };
}

/**
 * A check of the current request's session that outlives the request's start: the session row is looked up
 * again each time (it is gone after a sign-out and when an admin disables the account, which deletes its
 * sessions), its expiry is compared with now, and a banned user reads as no longer valid. Live streams ask it
 * on a timer. Outside a request, or without a session, the check always answers false.
 */
export async function sessionValidity(): Promise<() => Promise<boolean>> {
  let h: Headers;
  try {
    h = await headers();
  } catch {
    return async () => false;
  }
  const auth = await getAuth();
  const session = await auth.api.getSession({ headers: h });
  if (!session) return async () => false;
  const token = session.session.token;
  const ctx = await auth.$context;
  return async () => {
    const found = await ctx.internalAdapter.findSession(token);
    if (!found) return false;
    if (new Date(found.session.expiresAt).getTime() <= Date.now()) return false;
    return (found.user as { banned?: unknown }).banned !== true;
  };
}
