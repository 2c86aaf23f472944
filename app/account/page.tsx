import type { Metadata } from 'next';
import { ChangePasswordForm } from '@/components/auth/change-password-form';
import { ROLE_DUTIES } from '@/lib/core/roles';
import { pageCaller } from '@/lib/server/auth/guards';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Account' };

export default async function AccountPage() {
  const caller = await pageCaller('/account');
  return (
    <div className="max-w-md space-y-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Your account</h1>
        <p className="text-sm text-slate-600">
          {caller.email} · role <span className="font-medium">{caller.role}</span>: {ROLE_DUTIES[caller.role]}.
        </p>
      </div>
      {caller.mustChangePassword && (
        <p
          role="alert"
          data-testid="must-change-password"
          className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900"
        >
          This account still has its one-time password. Set a password of your own before anything else; then delete the
          initial-admin-password file in the data directory.
        </p>
      )}
      <ChangePasswordForm />
    </div>
  );
}
