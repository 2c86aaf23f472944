'use client';
import { useTranslations } from 'next-intl';
import { useEffect, useState, type ReactNode } from 'react';
import { isDarkTheme, THEME_CHOICES, themeCookie, type ThemeChoice } from '@/lib/core/theme';

const icon = (path: ReactNode) => (
  <svg
    aria-hidden
    viewBox="0 0 24 24"
    className="h-4 w-4"
    fill="none"
    stroke="currentColor"
    strokeWidth={2}
    strokeLinecap="round"
    strokeLinejoin="round"
  >
    {path}
  </svg>
);

const ICONS: Record<ThemeChoice, ReactNode> = {
  light: icon(
    <>
      <circle cx="12" cy="12" r="4" />
      <path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" />
    </>,
  ),
  dark: icon(<path d="M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z" />),
  system: icon(
    <>
      <rect x="3" y="4" width="18" height="12" rx="2" />
      <path d="M8 20h8M12 16v4" />
    </>,
  ),
};

/** For the server's next render and the boot script; kept out of the component, whose renders touch no globals. */
function rememberThemeChoice(choice: ThemeChoice): void {
  document.cookie = themeCookie(choice, location.protocol === 'https:');
}

/**
 * Light, dark or as the system prefers: three radios (arrow keys move between them). The choice goes into a cookie
 * for the server's next render and the boot script (lib/core/theme.ts); the page switches at once, and follows
 * the system's changes while "system" is chosen.
 */
export function ThemeSwitch({ initial }: { initial: ThemeChoice }) {
  const t = useTranslations('layout.theme');
  const [choice, setChoice] = useState(initial);
  useEffect(() => {
    const media = matchMedia('(prefers-color-scheme: dark)');
    const apply = () => document.documentElement.classList.toggle('dark', isDarkTheme(choice, media.matches));
    apply();
    if (choice !== 'system') return;
    media.addEventListener('change', apply);
    return () => media.removeEventListener('change', apply);
  }, [choice]);
  const pick = (next: ThemeChoice) => {
    setChoice(next);
    rememberThemeChoice(next);
  };
  return (
    <fieldset
      className="flex shrink-0 items-center gap-0.5 rounded-md border border-slate-200 p-0.5"
      data-testid="theme-switch"
      data-theme={choice}
    >
      <legend className="sr-only">{t('legend')}</legend>
      {THEME_CHOICES.map((c) => (
        <label
          key={c}
          title={t(`${c}Title`)}
          className="cursor-pointer rounded p-1 text-slate-500 hover:text-slate-900 has-checked:bg-slate-100 has-checked:text-slate-900 has-focus-visible:ring-2 has-focus-visible:ring-sky-500"
        >
          <input
            type="radio"
            name="colour-theme"
            value={c}
            checked={choice === c}
            onChange={() => pick(c)}
            className="sr-only"
          />
          {ICONS[c]}
          <span className="sr-only">{t(c)}</span>
        </label>
      ))}
    </fieldset>
  );
}
