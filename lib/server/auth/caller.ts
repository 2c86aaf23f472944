import 'server-only';
import type { Caller } from '@/lib/core/roles';

// Who is calling, for server actions, route handlers and pages. The resolver reads the request's session
// (lib/server/auth/session.ts, better-auth); integration tests that call actions outside a request install
// their own with setCallerResolverForTests, which nothing in the application calls.

type CallerResolver = () => Promise<Caller | null>;

let testResolver: CallerResolver | null = null;

/** Tests only: act as `caller` (null: anonymous) until reset with undefined. */
export function setCallerResolverForTests(fn: CallerResolver | undefined): void {
  if (process.env.NODE_ENV === 'production')
    throw new Error('setCallerResolverForTests is for tests; it is refused in production');
  testResolver = fn ?? null;
}

/** The signed-in caller of the current request, or null when anonymous (or no session can be read). */
export async function currentCaller(): Promise<Caller | null> {
  if (testResolver) return testResolver();
  // Loaded on first use, so importing this module never opens the auth database.
  const { sessionCaller } = await import('./session');
  return sessionCaller();
}

/** The client address of the current request (lib/server/auth/source.ts), or null outside a request. */
export async function currentSource(): Promise<string | null> {
  try {
    const [{ headers }, { sourceOf }] = await Promise.all([import('next/headers'), import('./source')]);
    return sourceOf(await headers());
  } catch {
    return null;
  }
}

/**
 * For a live stream: whether the session that opened it is still valid, asked again on a timer (sign-out,
 * expiry, a disabled account end it). With a test resolver installed, whether it still names a caller.
 */
export async function currentSessionValidity(): Promise<() => Promise<boolean>> {
  if (testResolver) {
    const resolver = testResolver;
    return async () => (await resolver()) !== null;
  }
  const { sessionValidity } = await import('./session');
  return sessionValidity();
}
