import 'server-only';
import type { Caller } from '@/lib/core/roles';

// Who is calling, for server actions, route handlers and pages. The resolver reads the request's session
// (lib/server/auth/session.ts, better-auth); integration tests that call actions outside a request install
// their own with setCallerResolverForTests, which nothing in the application calls.

type CallerResolver = () => Promise<Caller | null>;

let testResolver: CallerResolver | null = null;

/** Tests only: act as `caller` (null: anonymous) until reset with undefined. */
export function setCallerResolverForTests(fn: CallerResolver | undefined): void {
  if (process.env.NODE_ENV === 'production') throw new Error('setCallerResolverForTests is for tests; it is refused in production');
  testResolver = fn ?? null;
}

/** The signed-in caller of the current request, or null when anonymous (or no session can be read). */
export async function currentCaller(): Promise<Caller | null> {
  if (testResolver) return testResolver();
  // Loaded on first use, so importing this module never opens the auth database.
  const { sessionCaller } = await import('./session');
  return sessionCaller();
}
