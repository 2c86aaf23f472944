// The colour theme picked in the header's switch: light, dark, or what the system prefers. It lives in a cookie
// so the server knows it (the switch renders the choice it will hydrate with) and the boot script in the root
// layout applies it before the first paint: no flash of the wrong theme, no hydration mismatch.

export const THEME_CHOICES = ['light', 'dark', 'system'] as const;
export type ThemeChoice = (typeof THEME_CHOICES)[number];

export const THEME_COOKIE = 'quorum-theme';
/** A preference, not a session: kept for a year. */
const THEME_COOKIE_MAX_AGE_S = 365 * 24 * 60 * 60;

function isThemeChoice(value: string): value is ThemeChoice {
  return (THEME_CHOICES as readonly string[]).includes(value);
}

/** The cookie's value as a choice; anything else (no cookie, an old or forged value) follows the system. */
export function parseThemeChoice(value: string | null | undefined): ThemeChoice {
  return value !== null && value !== undefined && isThemeChoice(value) ? value : 'system';
}

/** Whether the page is drawn dark for this choice, given the system's preference. */
export function isDarkTheme(choice: ThemeChoice, systemPrefersDark: boolean): boolean {
  return choice === 'dark' || (choice === 'system' && systemPrefersDark);
}

/** The Set-Cookie string the switch writes with `document.cookie`; Secure when the page came over https. */
export function themeCookie(choice: ThemeChoice, secure: boolean): string {
  return `${THEME_COOKIE}=${choice}; Path=/; Max-Age=${THEME_COOKIE_MAX_AGE_S}; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/**
 * The inline script the root layout puts first in <head> (with the request's CSP nonce): it sets `dark` on <html>
 * before anything is painted. Only "system" needs the browser to decide; the choice is one of three literals, so
 * nothing from the request reaches the script's text.
 */
export function themeBootScript(choice: ThemeChoice): string {
  const dark = choice === 'system' ? "matchMedia('(prefers-color-scheme: dark)').matches" : String(choice === 'dark');
  return `document.documentElement.classList.toggle('dark',${dark})`;
}
