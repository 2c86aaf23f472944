// Words the pages build from the catalogs: the live region's sentences (components/quorum/health-announcer.tsx) and
// "5m ago" (components/ui/use-format-ago.ts), in both languages.
import { createTranslator } from 'next-intl';
import { describe, expect, it } from 'vitest';
import { formatAgoIn } from '@/components/ui/use-format-ago';
import { catalogs, type Messages } from '@/messages';

function sentence(locale: keyof typeof catalogs, name: string, state: string, replicas: number, zones: number) {
  const tc = createTranslator({ locale, messages: catalogs[locale] as Messages, namespace: 'common' });
  return tc('healthAnnouncement.announce', {
    name,
    state,
    tolerance: tc('tolerance.canLose', { replicas, zones }),
  });
}

describe('the health announcement in words', () => {
  it.each([
    ['warning', 0, 0, 'prod-master: warning, can lose 0 replicas and 0 zones.'],
    ['healthy', 1, 1, 'prod-master: healthy, can lose 1 replica and 1 zone.'],
    ['critical', 0, 0, 'prod-master: critical, can lose 0 replicas and 0 zones.'],
    ['healthy', 2, 1, 'prod-master: healthy, can lose 2 replicas and 1 zone.'],
  ])('en: %s, %i replicas, %i zones', (state, replicas, zones, expected) => {
    expect(sentence('en', 'prod-master', state, replicas, zones)).toBe(expected);
  });

  it.each([
    ['warning', 0, 0, 'prod-master：警告，可失去 0 个副本和 0 个可用区。'],
    ['healthy', 1, 1, 'prod-master：健康，可失去 1 个副本和 1 个可用区。'],
    ['critical', 0, 0, 'prod-master：严重，可失去 0 个副本和 0 个可用区。'],
  ])('zh-CN: %s, %i replicas, %i zones', (state, replicas, zones, expected) => {
    expect(sentence('zh-CN', 'prod-master', state, replicas, zones)).toBe(expected);
  });

  it('a cluster that could not be observed', () => {
    const en = createTranslator({ locale: 'en', messages: catalogs.en as Messages, namespace: 'common' });
    const zh = createTranslator({ locale: 'zh-CN', messages: catalogs['zh-CN'] as Messages, namespace: 'common' });
    expect(en('healthAnnouncement.unobserved', { name: 'staging-master' })).toBe(
      'staging-master: could not be observed.',
    );
    expect(zh('healthAnnouncement.unobserved', { name: 'staging-master' })).toBe('staging-master：无法观测。');
  });
});

describe('a time ago in words (components/ui/use-format-ago.ts)', () => {
  const now = new Date('2026-01-10T12:00:00Z');
  it.each([
    ['2026-01-10T12:00:00Z', 'just now', '刚刚'],
    ['2026-01-10T12:00:05Z', 'just now', '刚刚'],
    ['2026-01-10T11:59:58Z', '2s ago', '2s前'],
    ['2026-01-10T11:55:00Z', '5m ago', '5m前'],
    ['not a time', '—', '—'],
  ])('%s -> %s / %s', (since, en, zh) => {
    const words = (locale: keyof typeof catalogs) => {
      const tc = createTranslator({ locale, messages: catalogs[locale] as Messages, namespace: 'common' });
      return formatAgoIn((key: 'justNow' | 'ago', values?: { age: string }) =>
        key === 'ago' ? tc('ago', values) : tc('justNow'),
      );
    };
    expect(words('en')(since, now)).toBe(en);
    expect(words('zh-CN')(since, now)).toBe(zh);
  });
});
