// The console's languages: English and Simplified Chinese. The choice lives in a cookie set by the header's
// switch; without one, the browser's Accept-Language decides (RFC 9110 §12.5.4 weights), else English.

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export const LOCALE_COOKIE = 'quorum-locale';
/** A preference, not a session: kept for a year, like the theme's. */
const LOCALE_COOKIE_MAX_AGE_S = 365 * 24 * 60 * 60;

export function isLocale(value: string | null | undefined): value is Locale {
  return value !== null && value !== undefined && (LOCALES as readonly string[]).includes(value);
}

/**
 * The locale a language tag asks for, if we have it: `en`, `en-GB` -> en; `zh`, `zh-CN`, `zh-Hans`, `zh-SG` and
 * also `zh-TW`, `zh-HK`, `zh-Hant` -> zh-CN (the only Chinese we have; a reader of Traditional Chinese reads it
 * more easily than English, and the switch is one click away). Matching ignores case, as tags do.
 */
function localeOfTag(tag: string): Locale | undefined {
  const primary = tag.toLowerCase().split('-')[0];
  if (primary === 'en') return 'en';
  if (primary === 'zh') return 'zh-CN';
  return undefined;
}

/**
 * The best of our locales for an Accept-Language header: the highest weight wins, ties go to the earlier entry,
 * `q=0` means "not this one", `*` means whatever we prefer. Malformed entries are skipped; nothing usable gives the default.
 */
export function negotiateLocale(acceptLanguage: string | null | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranked = acceptLanguage
    .split(',')
    .map((entry, index) => {
      const [tag = '', ...params] = entry.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { tag: tag.trim(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((e) => e.tag !== '' && e.weight > 0 && e.weight <= 1)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag === '*') return DEFAULT_LOCALE;
    const locale = localeOfTag(tag);
    if (locale) return locale;
  }
  return DEFAULT_LOCALE;
}

/** The cookie's locale when it names one of ours; else the browser's preference. */
export function requestLocale(cookie: string | null | undefined, acceptLanguage: string | null | undefined): Locale {
  return isLocale(cookie) ? cookie : negotiateLocale(acceptLanguage);
}

/** The Set-Cookie string the switch writes with `document.cookie`; Secure when the page came over https. */
export function localeCookie(locale: Locale, secure: boolean): string {
  return `${LOCALE_COOKIE}=${locale}; Path=/; Max-Age=${LOCALE_COOKIE_MAX_AGE_S}; SameSite=Lax${secure ? '; Secure' : ''}`;
}
