import { describe, expect, it } from 'vitest';
import { isDarkTheme, parseThemeChoice, themeBootScript, themeCookie, type ThemeChoice } from './theme';

describe('parseThemeChoice', () => {
  it.each([
    ['light', 'light'],
    ['dark', 'dark'],
    ['system', 'system'],
    [undefined, 'system'],
    [null, 'system'],
    ['', 'system'],
    ['Dark', 'system'],
    ["dark');alert(1);('", 'system'],
  ])('%j -> %s', (value, choice) => {
    expect(parseThemeChoice(value)).toBe(choice);
  });
});

describe('isDarkTheme', () => {
  it.each<[ThemeChoice, boolean, boolean]>([
    ['light', false, false],
    ['light', true, false],
    ['dark', false, true],
    ['dark', true, true],
    ['system', false, false],
    ['system', true, true],
  ])('%s with a system that prefers dark: %s -> %s', (choice, systemDark, dark) => {
    expect(isDarkTheme(choice, systemDark)).toBe(dark);
  });
});

describe('themeBootScript', () => {
  /** Runs the script against a fake <html> and matchMedia: the classes it leaves. */
  function run(choice: ThemeChoice, systemDark: boolean, before: string[] = []): string[] {
    const classes = new Set(before);
    const document = {
      documentElement: {
        classList: { toggle: (name: string, on: boolean) => (on ? classes.add(name) : classes.delete(name)) },
      },
    };
    const matchMedia = (query: string) => ({ matches: query === '(prefers-color-scheme: dark)' && systemDark });
    new Function('document', 'matchMedia', themeBootScript(choice))(document, matchMedia);
    return [...classes];
  }

  it.each<[ThemeChoice, boolean, string[]]>([
    ['dark', false, ['dark']],
    ['light', true, []],
    ['system', true, ['dark']],
    ['system', false, []],
  ])('%s with a system that prefers dark: %s -> %j', (choice, systemDark, classes) => {
    expect(run(choice, systemDark)).toEqual(classes);
  });

  it('takes dark off a page that had it', () => {
    expect(run('light', false, ['dark'])).toEqual([]);
  });
});

describe('themeCookie', () => {
  it('is site-wide, kept a year, Lax, and Secure over https only', () => {
    expect(themeCookie('dark', false)).toBe('quorum-theme=dark; Path=/; Max-Age=31536000; SameSite=Lax');
    expect(themeCookie('system', true)).toBe('quorum-theme=system; Path=/; Max-Age=31536000; SameSite=Lax; Secure');
  });
});
