import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { SignInForm } from '@/components/auth/sign-in-form';
import { authEnv } from '@/lib/server/auth/auth';
import { currentCaller } from '@/lib/server/auth/caller';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Sign in' };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/** Only same-site paths: `next` must not send the browser elsewhere after sign-in. */
function safeNext(value: string | string[] | undefined): string {
  return typeof value === 'string' && /^\/(?!\/)[\w\-./~%?=&]*$/.test(value) && value.length <= 500 ? value : '/';
}

export default async function SignInPage({ searchParams }: Props) {
  const next = safeNext((await searchParams).next);
  if (await currentCaller().catch(() => null)) redirect(next);
  const env = authEnv();
  return (
    <div className="mx-auto mt-10 max-w-sm space-y-4">
      <h1 className="text-2xl font-semibold tracking-tight">Sign in to Quorum</h1>
      <SignInForm next={next} google={Boolean(env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET)} />
      <p className="text-xs text-slate-500">
        Accounts are created by an admin. On the first start Quorum creates the admin account with a one-time password
        in <span className="font-mono">initial-admin-password</span> in the data directory (the server console says
        where); you set your own at the first sign-in.
      </p>
    </div>
  );
}
