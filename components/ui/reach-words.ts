// Quorum's words for why the way into a replica failed (lib/core/reach-why.ts), in the reader's language:
// `common.reachWhy.<key>`. A reason that is none of its sentences (a message that came as it is) stays as it came.
import { useTranslations } from 'next-intl';
import { reachWhyOf } from '@/lib/core/reach-why';
import type { CatalogTranslator } from './param-words';

/** Words a reason with the `common` namespace's translator. */
export function reachReasonIn(t: CatalogTranslator): (reason: string) => string {
  return (reason) => {
    const why = reachWhyOf(reason);
    return why && t.has(`reachWhy.${why.key}`) ? t(`reachWhy.${why.key}`, { ...why.params }) : reason;
  };
}

/** reachReasonIn for the page's locale. Server and client components alike (no state). */
export function useReachReason(): (reason: string) => string {
  const t = useTranslations('common');
  // Keys are made from the sentence's key at run time, which the typed translator cannot check.
  return reachReasonIn(t as unknown as CatalogTranslator);
}
