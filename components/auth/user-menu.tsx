'use client';
import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useTransition } from 'react';
import { Badge } from '@/components/ui/badge';
import { useSignedIn } from './caller-context';

/** Who is signed in, with which role, and sign-out (better-auth's endpoint, then back to the sign-in page). */
export function UserMenu() {
  const t = useTranslations('layout');
  const caller = useSignedIn();
  const router = useRouter();
  const [pending, start] = useTransition();
  if (!caller) return null;
  return (
    <div className="flex min-w-0 items-center gap-3 text-sm" data-testid="user-menu" data-role={caller.role}>
      {/* A long address is cut on a phone rather than pushing the header wider than the screen. */}
      <Link
        href="/account"
        className="min-w-0 truncate text-slate-700 hover:underline"
        title={caller.email}
        data-testid="account-link"
      >
        {caller.email}
      </Link>
      <Badge
        tone={caller.role === 'admin' ? 'info' : caller.role === 'operator' ? 'good' : 'neutral'}
        testId="user-role"
      >
        {t(`role.${caller.role}`)}
      </Badge>
      <button
        className="shrink-0 text-slate-500 hover:text-slate-900"
        disabled={pending}
        onClick={() =>
          start(async () => {
            await fetch('/api/auth/sign-out', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: '{}',
            });
            router.push('/sign-in');
            router.refresh();
          })
        }
      >
        {t('signOut')}
      </button>
    </div>
  );
}
