import { describe, expect, it } from 'vitest';
import { localeCookie, negotiateLocale, requestLocale } from './locale';

describe('negotiateLocale', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['en-US,en;q=0.9', 'en'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['ZH-hans', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['de-DE,zh;q=0.5,en;q=0.4', 'zh-CN'],
    ['en;q=0.5,zh;q=0.8', 'zh-CN'],
    ['zh;q=0,en', 'en'],
    ['fr,de', 'en'],
    ['*', 'en'],
    ['fr;q=abc,zh;q=0.1', 'zh-CN'],
    ['en;q=0.7,zh;q=0.7', 'en'],
    ['zh;q=2,en;q=0.1', 'en'],
  ] as const)('%j -> %s', (header, expected) => {
    expect(negotiateLocale(header)).toBe(expected);
  });
});

describe('requestLocale', () => {
  it('takes the cookie when it names a locale, else the browser', () => {
    expect(requestLocale('zh-CN', 'en-US')).toBe('zh-CN');
    expect(requestLocale('en', 'zh-CN')).toBe('en');
    expect(requestLocale('klingon', 'zh-CN')).toBe('zh-CN');
    expect(requestLocale(undefined, undefined)).toBe('en');
  });
});

describe('localeCookie', () => {
  it('is a year-long, site-wide, Lax cookie, Secure over https', () => {
    expect(localeCookie('zh-CN', false)).toBe('quorum-locale=zh-CN; Path=/; Max-Age=31536000; SameSite=Lax');
    expect(localeCookie('en', true)).toMatch(/; Secure$/);
  });
});
