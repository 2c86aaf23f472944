import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import { redirect } from 'next/navigation';
import { SignInForm } from '@/components/auth/sign-in-form';
import { authEnv } from '@/lib/server/auth/auth';
import { currentCaller } from '@/lib/server/auth/caller';

export const dynamic = 'force-dynamic';
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('auth.signIn');
  return { title: t('metadataTitle') };
}

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/** Only same-site paths: `next` must not send the browser elsewhere after sign-in. */
function safeNext(value: string | string[] | undefined): string {
  return typeof value === 'string' && /^\/(?!\/)[\w\-./~%?=&]*$/.test(value) && value.length <= 500 ? value : '/';
}

export default async function SignInPage({ searchParams }: Props) {
  const next = safeNext((await searchParams).next);
  if (await currentCaller().catch(() => null)) redirect(next);
  const env = authEnv();
  const t = await getTranslations('auth.signIn');
  return (
    <div className="mx-auto mt-10 max-w-sm space-y-4">
      <h1 className="text-2xl font-semibold tracking-tight">{t('heading')}</h1>
      <SignInForm next={next} google={Boolean(env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET)} />
      <p className="text-xs text-slate-500">
        {t.rich('howAccountsAreMade', {
          file: 'initial-admin-password',
          mono: (chunks) => <span className="font-mono">{chunks}</span>,
        })}
      </p>
    </div>
  );
}
