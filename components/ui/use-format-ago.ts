import { useTranslations } from 'next-intl';
import { formatAge } from '@/lib/core/format';

/**
 * lib/core/format.ts's formatAgo in the page's language ("5m ago", "just now"); a time that is not one stays "—".
 * A hook, for client and server components alike (no request state: the same words on both sides).
 */
export function useFormatAgo(): (since: Date | string, now: Date) => string {
  const tc = useTranslations('common');
  return (since, now) => {
    const age = formatAge(since, now);
    if (age === '—') return age;
    return age === '0s' ? tc('justNow') : tc('ago', { age });
  };
}
