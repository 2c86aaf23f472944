import 'server-only';
import { redirect } from 'next/navigation';
import { hasRole, ROLE_DUTIES, type Caller, type Role } from '@/lib/core/roles';
import { currentCaller } from './caller';

/**
 * Route handlers: the caller when signed in with at least `role`, else the JSON error response to return
 * (401 for nobody signed in, 403 for a role too low or a one-time password not yet replaced). Every route
 * handler calls this first.
 */
export async function routeCaller(
  role: Role,
): Promise<{ caller: Caller; denied: null } | { caller: null; denied: Response }> {
  const caller = await currentCaller().catch(() => null);
  if (!caller)
    return {
      caller: null,
      denied: Response.json({ code: 'Unauthenticated', message: 'Sign in first.' }, { status: 401 }),
    };
  // The bootstrap admin's one-time password opens /account only (its change goes through better-auth's endpoint).
  if (caller.mustChangePassword) {
    return {
      caller: null,
      denied: Response.json(
        { code: 'PasswordChangeRequired', message: 'Set a password of your own first (on your account page).' },
        { status: 403 },
      ),
    };
  }
  if (!hasRole(caller.role, role)) {
    return {
      caller: null,
      denied: Response.json(
        { code: 'Forbidden', message: `This takes the ${role} role, which ${ROLE_DUTIES[role]}.` },
        { status: 403 },
      ),
    };
  }
  return { caller, denied: null };
}

/**
 * Pages: the signed-in caller; nobody signed in goes to the sign-in page, and comes back to `path` after. An
 * account that still has its one-time password (the bootstrap admin) is sent to /account until it sets its own.
 */
export async function pageCaller(path: string): Promise<Caller> {
  const caller = await currentCaller().catch(() => null);
  if (!caller) redirect(`/sign-in?next=${encodeURIComponent(path)}`);
  if (caller.mustChangePassword && path !== '/account')
    redirect(`/account?set-password=1&next=${encodeURIComponent(path)}`);
  return caller;
}
