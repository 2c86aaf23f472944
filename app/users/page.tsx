import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import { UserAdmin } from '@/components/auth/user-admin';
import { hasRole, ROLES } from '@/lib/core/roles';
import { pageCaller } from '@/lib/server/auth/guards';
import { listUsers } from '@/lib/server/services/users';

export const dynamic = 'force-dynamic';
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('auth.users');
  return { title: t('metadataTitle') };
}

export default async function UsersPage() {
  const caller = await pageCaller('/users');
  const [t, roles, can] = await Promise.all([
    getTranslations('auth.users'),
    getTranslations('layout.role'),
    getTranslations('auth.can'),
  ]);
  if (!hasRole(caller.role, 'admin')) {
    return (
      <p
        role="alert"
        className="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900"
        data-testid="forbidden"
      >
        {t('forbidden', { role: roles(caller.role) })}
      </p>
    );
  }
  const users = await listUsers();
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">{t('heading')}</h1>
        <ul className="mt-1 space-y-0.5 text-sm text-slate-600">
          {ROLES.map((r) => (
            <li key={r}>
              {/* What each role may do: lib/core's ROLE_DUTIES, worded by the catalog (the same English). */}
              {t.rich('roleDuties', {
                role: roles(r),
                duties: can(`duties.${r}`),
                b: (chunks) => <span className="font-medium">{chunks}</span>,
              })}
            </li>
          ))}
        </ul>
      </div>
      <UserAdmin users={users} self={caller.userId} />
    </div>
  );
}
