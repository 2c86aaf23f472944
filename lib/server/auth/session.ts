import 'server-only';
import { headers } from 'next/headers';
import { isRole, type Caller } from '@/lib/core/roles';
import { getAuth } from './auth';

/** The client address for the audit log: the first x-forwarded-for hop, x-real-ip, or 'unknown'. */
export function sourceOf(h: Headers): string {
  const forwarded = h.get('x-forwarded-for')?.split(',')[0]?.trim();
  const address = forwarded || h.get('x-real-ip')?.trim() || '';
  return /^[0-9a-fA-F:.]{2,45}$/.test(address) ? address : 'unknown';
}

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
