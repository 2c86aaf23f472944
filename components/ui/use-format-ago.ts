import { useTranslations } from 'next-intl';
import { sinceParts } from '@/lib/core/failure';
import { formatAge } from '@/lib/core/format';

/** The two messages "5m ago" and "just now" are made of (`common.ago`, `common.justNow`). */
type AgoWords = { (key: 'justNow'): string; (key: 'ago', values: { age: string }): string };

/**
 * "5m12s ago" in the words given, "just now" within a second (and for a time ahead of `now`: clock skew); a time that
 * is not one stays "—".
 */
export function formatAgoIn(words: AgoWords): (since: Date | string, now: Date) => string {
  return (since, now) => {
    const age = formatAge(since, now);
    if (age === '—') return age;
    return age === '0s' ? words('justNow') : words('ago', { age });
  };
}

/**
 * formatAgoIn in the page's language. A hook, for client and server components alike (no request state: the same
 * words on both sides).
 */
export function useFormatAgo(): (since: Date | string, now: Date) => string {
  const tc = useTranslations('common');
  return formatAgoIn((key: 'justNow' | 'ago', values?: { age: string }) =>
    key === 'ago' ? tc('ago', values) : tc('justNow'),
  );
}

/** The message "for 12s, since 14:02:11 UTC" is worded by (`common.failingSince`). */
type SinceWords = (key: 'failingSince', values: { age: string; at: string }) => string;

/** How long a failure has lasted and since when, in the words given; null when the time is not known. */
export function describeSinceIn(words: SinceWords): (since: string | undefined, observedAt: string) => string | null {
  return (since, observedAt) => {
    const parts = sinceParts(since, observedAt);
    return parts && words('failingSince', parts);
  };
}

/** describeSinceIn in the page's language. */
export function useDescribeSince(): (since: string | undefined, observedAt: string) => string | null {
  const tc = useTranslations('common');
  return describeSinceIn((key, values) => tc(key, values));
}
