// next-intl's per-request configuration (found by the plugin in next.config.js): the locale from the switch's
// cookie or the browser's Accept-Language (lib/core/locale.ts), and that locale's catalog. No locale in the URL:
// links and bookmarks stay the same in both languages.
import { cookies, headers } from 'next/headers';
import { getRequestConfig } from 'next-intl/server';
import { LOCALE_COOKIE, requestLocale } from '@/lib/core/locale';
import { catalogs, type Messages } from '@/messages';

export default getRequestConfig(async () => {
  const [cookieStore, headerStore] = await Promise.all([cookies(), headers()]);
  const locale = requestLocale(cookieStore.get(LOCALE_COOKIE)?.value, headerStore.get('accept-language'));
  // Times are shown in UTC and say so on every page (lib/core/format.ts); the server and browser agree on it.
  return { locale, messages: catalogs[locale] as Messages, timeZone: 'UTC' };
});
