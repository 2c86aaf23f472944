import type { Metadata } from 'next';
import { NextIntlClientProvider } from 'next-intl';
import { getLocale, getTranslations } from 'next-intl/server';
import { cookies, headers } from 'next/headers';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { UserMenu } from '@/components/auth/user-menu';
import { Providers } from '@/components/providers';
import { LocaleSwitch } from '@/components/ui/locale-switch';
import { ThemeSwitch } from '@/components/ui/theme-switch';
import { parseThemeChoice, THEME_COOKIE, themeBootScript } from '@/lib/core/theme';
import { currentCaller } from '@/lib/server/auth/caller';
import './globals.css';

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('layout');
  return { title: { default: t('title'), template: `%s · ${t('title')}` }, description: t('description') };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const caller = await currentCaller().catch(() => null);
  const signedIn = caller ? { email: caller.email, name: caller.name, role: caller.role } : null;
  const [cookieStore, headerStore, locale, t] = await Promise.all([
    cookies(),
    headers(),
    getLocale(),
    getTranslations('layout'),
  ]);
  const theme = parseThemeChoice(cookieStore.get(THEME_COOKIE)?.value);
  // proxy.ts's per-request CSP nonce: without it the browser refuses the inline theme script.
  const nonce = headerStore.get('x-nonce') ?? undefined;
  return (
    // The theme script sets <html>'s class before hydration; React renders no class there, so it never undoes it.
    <html lang={locale} suppressHydrationWarning>
      <head>
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: themeBootScript(theme) }} />
      </head>
      <body className="min-h-screen">
        <a
          href="#main"
          // Above the top edge until it has the focus: the first Tab shows it.
          className="fixed top-2 left-2 z-50 -translate-y-[150%] rounded-md bg-white px-3 py-2 text-sm font-medium text-sky-700 shadow-md ring-2 ring-sky-500 focus:translate-y-0"
        >
          {t('skipToContent')}
        </a>
        <NextIntlClientProvider>
          <Providers caller={signedIn}>
            <header className="border-b border-slate-200 bg-white">
              {/* Below sm the links take the last row, under the name and the user's controls. */}
              <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6">
                <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight">
                  <span
                    aria-hidden
                    className="inline-block h-3 w-3 rounded-full bg-emerald-500 ring-4 ring-emerald-100"
                  />
                  {t('title')}
                </Link>
                {signedIn && (
                  <nav
                    aria-label={t('nav.label')}
                    className="order-last flex w-full gap-4 text-sm text-slate-600 sm:order-none sm:w-auto"
                  >
                    <Link href="/" className="hover:text-slate-900">
                      {t('nav.clusters')}
                    </Link>
                    <Link href="/audit" className="hover:text-slate-900">
                      {t('nav.audit')}
                    </Link>
                    {signedIn.role === 'admin' && (
                      <Link href="/users" className="hover:text-slate-900">
                        {t('nav.users')}
                      </Link>
                    )}
                    {signedIn.role === 'admin' && (
                      <Link href="/settings" className="hover:text-slate-900">
                        {t('nav.settings')}
                      </Link>
                    )}
                  </nav>
                )}
                {/* On a phone the language and theme switches sit beside the name and the user's address gets a row of
                    its own (beside them it was cut to two letters); from sm on all of it is one row. */}
                {signedIn && (
                  <div className="order-2 flex w-full min-w-0 sm:order-none sm:ml-auto sm:w-auto">
                    <UserMenu />
                  </div>
                )}
                <div className={`order-1 ml-auto flex items-center gap-3 sm:order-none ${signedIn ? 'sm:ml-0' : ''}`}>
                  <LocaleSwitch />
                  <ThemeSwitch initial={theme} />
                </div>
              </div>
            </header>
            <main id="main" tabIndex={-1} className="mx-auto max-w-7xl px-4 py-6 focus:outline-none sm:px-6">
              {children}
            </main>
          </Providers>
        </NextIntlClientProvider>
      </body>
    </html>
  );
}
