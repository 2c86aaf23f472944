'use client';
import { useLocale, useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useTransition } from 'react';
import { isLocale, localeCookie, LOCALES, type Locale } from '@/lib/core/locale';

/** Each language names itself, in its own script, whatever the page's language. */
const NAMES: Record<Locale, string> = { en: 'English', 'zh-CN': '中文' };

/** For the server's next render; kept out of the component, whose renders touch no globals. */
function rememberLocale(locale: Locale): void {
  document.cookie = localeCookie(locale, location.protocol === 'https:');
}

/**
 * The page's language: the choice goes into a cookie (lib/core/locale.ts) and the server renders the page again in
 * it; without a choice the browser's Accept-Language decides.
 */
export function LocaleSwitch() {
  const t = useTranslations('layout');
  const locale = useLocale();
  const router = useRouter();
  const [pending, start] = useTransition();
  return (
    <label className="flex shrink-0 items-center text-sm">
      <span className="sr-only">{t('language')}</span>
      <select
        value={locale}
        disabled={pending}
        data-testid="locale-switch"
        onChange={(e) => {
          const next = e.target.value;
          if (!isLocale(next)) return;
          rememberLocale(next);
          start(() => router.refresh());
        }}
        className="rounded-md border border-slate-200 bg-white px-1.5 py-1 text-slate-700"
      >
        {LOCALES.map((l) => (
          <option key={l} value={l} lang={l}>
            {NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}
