'use client';
import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { z } from 'zod';

const errorBody = z.object({ message: z.string().optional(), code: z.string().optional() }).loose();

/** Email and password against better-auth's endpoint; too many attempts come back with when to retry. */
export function SignInForm({ next, google }: { next: string; google: boolean }) {
  const t = useTranslations('auth.signIn');
  const router = useRouter();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const submit = () =>
    start(async () => {
      setError(null);
      const res = await fetch('/api/auth/sign-in/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      if (res.ok) {
        router.push(next);
        router.refresh();
        return;
      }
      if (res.status === 429) {
        const retry = Number(res.headers.get('x-retry-after') ?? res.headers.get('retry-after') ?? '60');
        setError(t('tooManyAttempts', { seconds: Number.isFinite(retry) && retry > 0 ? retry : 60 }));
        return;
      }
      const body = errorBody.safeParse(await res.json().catch(() => ({})));
      setError(
        res.status === 401
          ? t('wrongCredentials')
          : (body.success && body.data.message) || t('failed', { status: res.status }),
      );
    });
  const withGoogle = () =>
    start(async () => {
      const res = await fetch('/api/auth/sign-in/social', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'google', callbackURL: next }),
      });
      const body = z.object({ url: z.string() }).safeParse(await res.json().catch(() => ({})));
      if (res.ok && body.success) window.location.assign(body.data.url);
      else setError(t('googleUnavailable'));
    });
  return (
    <form
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
      data-testid="sign-in-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label className="block text-sm">
        <span className="text-slate-700">{t('email')}</span>
        <input
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5"
        />
      </label>
      <label className="block text-sm">
        <span className="text-slate-700">{t('password')}</span>
        <input
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5"
        />
      </label>
      <button
        type="submit"
        disabled={pending}
        className="w-full rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50"
      >
        {pending ? t('submitting') : t('submit')}
      </button>
      {google && (
        <button
          type="button"
          onClick={withGoogle}
          disabled={pending}
          className="w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm"
        >
          {t('withGoogle')}
        </button>
      )}
      {error && (
        <p role="alert" className="text-sm text-red-700" data-testid="sign-in-error">
          {error}
        </p>
      )}
    </form>
  );
}
