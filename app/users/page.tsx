import type { Metadata } from 'next';
import { UserAdmin } from '@/components/auth/user-admin';
import { hasRole, ROLE_DUTIES, ROLES } from '@/lib/core/roles';
import { pageCaller } from '@/lib/server/auth/guards';
import { listUsers } from '@/lib/server/services/users';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Users' };

export default async function UsersPage() {
  const caller = await pageCaller('/users');
  if (!hasRole(caller.role, 'admin')) {
    return (
      <p
        role="alert"
        className="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900"
        data-testid="forbidden"
      >
        Managing users takes the admin role; yours is {caller.role}.
      </p>
    );
  }
  const users = await listUsers();
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Users</h1>
        <ul className="mt-1 space-y-0.5 text-sm text-slate-600">
          {ROLES.map((r) => (
            <li key={r}>
              <span className="font-medium">{r}</span> {ROLE_DUTIES[r]}.
            </li>
          ))}
        </ul>
      </div>
      <UserAdmin users={users} self={caller.userId} />
    </div>
  );
}
