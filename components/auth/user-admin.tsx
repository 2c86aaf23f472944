'use client';
import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { formatUtcDateTime } from '@/lib/core/format';
import { changeAccountAction } from '@/lib/actions/change-account-action';
import { createUserAction } from '@/lib/actions/create-user-action';
import { setUserRoleAction } from '@/lib/actions/set-user-role-action';
import type { Result } from '@/lib/core/errors';
import { isRole, ROLES, type Account, type Role } from '@/lib/core/roles';
import { usePlanText } from '@/components/wizards/use-plan-text';

import { Card } from '@/components/ui/card';
import { TableHead } from '@/components/ui/table-head';

/**
 * The accounts with their roles (changeable), disable/enable and delete (a disabled account's sessions end at
 * once), and a form to create one. Every change goes through an audited admin action.
 */
export function UserAdmin({ users, self }: { users: Account[]; self: string }) {
  const t = useTranslations('auth.users');
  const roles = useTranslations('layout.role');
  const router = useRouter();
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [form, setForm] = useState({ email: '', name: '', role: 'viewer' as Role, password: '' });
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const text = usePlanText();
  const run = (what: () => Promise<Result<unknown>>, done: string) =>
    start(async () => {
      const result = await what();
      setMessage(result.ok ? { ok: true, text: done } : { ok: false, text: text.refusal(result) || t('refused') });
      if (result.ok) router.refresh();
    });
  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_22rem]">
      <Card title={t('accounts', { count: users.length })}>
        {/* On a phone the table scrolls inside the card, not the page; `relative` keeps the buttons' screen-reader-only
            names (absolutely positioned) inside the box too, or they would widen the page. */}
        <div className="relative overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="users-table">
            <TableHead
              columns={[
                t('columns.email'),
                t('columns.name'),
                t('columns.role'),
                t('columns.created'),
                t('columns.status'),
              ]}
              compact
            />
            <tbody>
              {users.map((u) => (
                <tr
                  key={u.id}
                  className="border-t border-slate-100"
                  data-testid="user-row"
                  data-email={u.email}
                  data-disabled={u.banned ? 'true' : 'false'}
                >
                  <td className="py-1.5 pr-3 font-mono text-xs">
                    {u.email}
                    {u.id === self && t('you')}
                  </td>
                  <td className="py-1.5 pr-3">{u.name}</td>
                  <td className="py-1.5 pr-3">
                    <select
                      aria-label={t('roleOf', { email: u.email })}
                      value={u.role}
                      disabled={pending}
                      onChange={(e) => {
                        const role = e.target.value;
                        if (isRole(role))
                          run(
                            () => setUserRoleAction({ userId: u.id, role }),
                            t('nowRole', { email: u.email, role: roles(role) }),
                          );
                      }}
                      className="rounded-md border border-slate-300 bg-white px-1.5 py-0.5"
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {roles(r)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="py-1.5 pr-3 text-xs text-slate-500">{formatUtcDateTime(u.createdAt)}</td>
                  <td className="py-1.5 text-xs">
                    {u.id === self ? (
                      <span className="text-slate-500">{t('active')}</span>
                    ) : (
                      <span className="flex flex-wrap items-center gap-1.5">
                        <span className={u.banned ? 'font-medium text-red-700' : 'text-slate-500'}>
                          {u.banned ? t('disabled') : t('active')}
                        </span>
                        <button
                          type="button"
                          disabled={pending}
                          onClick={() =>
                            run(
                              () => changeAccountAction({ userId: u.id, change: u.banned ? 'enable' : 'disable' }),
                              u.banned ? t('enabledAgain', { email: u.email }) : t('disabledDone', { email: u.email }),
                            )
                          }
                          className="rounded border border-slate-300 px-1.5 py-0.5 disabled:opacity-50"
                        >
                          {u.banned ? t('enable') : t('disable')}
                          <span className="sr-only"> {u.email}</span>
                        </button>
                        {confirmDelete === u.id ? (
                          <>
                            <button
                              type="button"
                              disabled={pending}
                              onClick={() => {
                                setConfirmDelete(null);
                                run(
                                  () => changeAccountAction({ userId: u.id, change: 'delete' }),
                                  t('deleted', { email: u.email }),
                                );
                              }}
                              className="rounded bg-red-700 px-1.5 py-0.5 text-white disabled:opacity-50"
                            >
                              {t('deleteForGood', { email: u.email })}
                            </button>
                            <button
                              type="button"
                              onClick={() => setConfirmDelete(null)}
                              className="rounded border border-slate-300 px-1.5 py-0.5"
                            >
                              {t('keep')}
                              <span className="sr-only"> {u.email}</span>
                            </button>
                          </>
                        ) : (
                          <button
                            type="button"
                            disabled={pending}
                            onClick={() => setConfirmDelete(u.id)}
                            className="rounded border border-red-300 px-1.5 py-0.5 text-red-700 disabled:opacity-50"
                          >
                            {t('delete')}
                            <span className="sr-only"> {u.email}</span>
                          </button>
                        )}
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      <Card title={t('create.title')}>
        <form
          className="space-y-2 text-sm"
          data-testid="create-user"
          onSubmit={(e) => {
            e.preventDefault();
            run(
              async () => {
                const r = await createUserAction(form);
                if (r.ok) setForm({ email: '', name: '', role: 'viewer', password: '' });
                return r;
              },
              t('create.created', { email: form.email, role: roles(form.role) }),
            );
          }}
        >
          {(['email', 'name'] as const).map((field) => (
            <label key={field} className="block">
              <span className="text-slate-700">{field === 'email' ? t('create.email') : t('create.name')}</span>
              <input
                name={field}
                value={form[field]}
                onChange={(e) => setForm({ ...form, [field]: e.target.value })}
                required
                className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5"
              />
            </label>
          ))}
          <label className="block">
            <span className="text-slate-700">{t('create.role')}</span>
            <select
              name="role"
              value={form.role}
              onChange={(e) => isRole(e.target.value) && setForm({ ...form, role: e.target.value })}
              className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5"
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {roles(r)}
                </option>
              ))}
            </select>
          </label>
          <label className="block">
            <span className="text-slate-700">{t('create.password')}</span>
            <input
              name="password"
              type="password"
              autoComplete="new-password"
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
              required
              minLength={12}
              className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5"
            />
          </label>
          <button
            type="submit"
            disabled={pending}
            className="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white disabled:opacity-50"
          >
            {t('create.submit')}
          </button>
        </form>
      </Card>
      {message && (
        <p
          role={message.ok ? 'status' : 'alert'}
          data-testid="users-message"
          className={`lg:col-span-2 text-sm ${message.ok ? 'text-emerald-800' : 'text-red-700'}`}
        >
          {message.text}
        </p>
      )}
    </div>
  );
}
