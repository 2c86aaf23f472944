import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import { ChangePasswordForm } from '@/components/auth/change-password-form';
import { pageCaller } from '@/lib/server/auth/guards';

export const dynamic = 'force-dynamic';
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('auth.account');
  return { title: t('metadataTitle') };
}

export default async function AccountPage() {
  const caller = await pageCaller('/account');
  const [t, roles, can] = await Promise.all([
    getTranslations('auth.account'),
    getTranslations('layout.role'),
    getTranslations('auth.can'),
  ]);
  return (
    <div className="max-w-md space-y-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">{t('heading')}</h1>
        <p className="text-sm text-slate-600">
          {/* What each role may do: lib/core's ROLE_DUTIES, worded by the catalog (the same English). */}
          {t.rich('summary', {
            email: caller.email,
            role: roles(caller.role),
            duties: can(`duties.${caller.role}`),
            b: (chunks) => <span className="font-medium">{chunks}</span>,
          })}
        </p>
      </div>
      {caller.mustChangePassword && (
        <p
          role="alert"
          data-testid="must-change-password"
          className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900"
        >
          {t('mustChangePassword', { file: 'initial-admin-password' })}
        </p>
      )}
      <ChangePasswordForm />
    </div>
  );
}
