'use client';
import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { z } from 'zod';
import { usePlanText } from '@/components/wizards/use-plan-text';

/** better-auth's error body; Quorum's password policy adds the params that word its refusal (auth-hooks.ts). */
const errorBody = z
  .object({
    message: z.string().optional(),
    code: z.string().optional(),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])).optional(),
  })
  .loose();

/** better-auth's change-password endpoint: the current password is required; other sessions are signed out. */
export function ChangePasswordForm() {
  const t = useTranslations('auth.changePassword');
  const text = usePlanText();
  const router = useRouter();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, start] = useTransition();
  const submit = () =>
    start(async () => {
      setMessage(null);
      const res = await fetch('/api/auth/change-password', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ currentPassword: current, newPassword: next, revokeOtherSessions: true }),
      });
      if (res.ok) {
        setCurrent('');
        setNext('');
        setMessage({ ok: true, text: t('changed') });
        // A bootstrap admin's first change lifts the "set a password first" notice.
        router.refresh();
        return;
      }
      const body = errorBody.safeParse(await res.json().catch(() => ({})));
      const { message: said, code, params } = body.success ? body.data : {};
      setMessage({
        ok: false,
        text:
          code === 'INVALID_PASSWORD'
            ? t('wrongCurrent')
            : code === 'WEAK_PASSWORD' && said !== undefined
              ? text.refusal({ code: 'WeakPassword', message: said, params })
              : said || t('notChanged', { status: res.status }),
      });
    });
  return (
    <form
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm"
      data-testid="change-password"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <h2 className="font-semibold">{t('heading')}</h2>
      <label className="block">
        <span className="text-slate-700">{t('current')}</span>
        <input
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5"
        />
      </label>
      <label className="block">
        <span className="text-slate-700">{t('new')}</span>
        <input
          type="password"
          autoComplete="new-password"
          required
          minLength={12}
          value={next}
          onChange={(e) => setNext(e.target.value)}
          className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5"
        />
      </label>
      <button
        type="submit"
        disabled={pending}
        className="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white disabled:opacity-50"
      >
        {t('submit')}
      </button>
      {message && (
        <p
          role={message.ok ? 'status' : 'alert'}
          className={message.ok ? 'text-emerald-800' : 'text-red-700'}
          data-testid="change-password-message"
        >
          {message.text}
        </p>
      )}
    </form>
  );
}
