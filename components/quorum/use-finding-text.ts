// A finding's message and fix in the reader's language: the catalog's `findings.<code>.message` and `.fix`, filled
// with the finding's params (FindingParams in lib/core/assessment.ts). English reads exactly like the finding's own
// sentences (tests/unit/findings-catalog.test.ts), so English pages show what they showed before.
import { useLocale, useTranslations } from 'next-intl';
import type { Finding } from '@/lib/core/assessment';
import { paramValuesIn, type CatalogTranslator } from '@/components/ui/param-words';
import { useReachReason } from '@/components/ui/reach-words';
import type { Locale } from '@/lib/core/locale';

export type FindingText = { message: string; fix: string };

/** The `findings` namespace's translator, with keys made at run time (a code, a part, a separator). */
export type FindingsTranslator = CatalogTranslator;

/**
 * Words findings with `t` in `locale`, their params made values by paramValuesIn. A finding without params, or with
 * a code the catalog does not know, keeps its English sentences.
 */
export function findingTextIn(
  t: FindingsTranslator,
  locale: Locale,
  reasonIn?: (reason: string) => string,
): (f: Finding) => FindingText {
  const valuesOf = paramValuesIn(t, locale, reasonIn);
  return (f) => {
    if (!f.params || !t.has(`${f.code}.message`) || !t.has(`${f.code}.fix`)) return { message: f.message, fix: f.fix };
    const values = valuesOf(f.params);
    return { message: t(`${f.code}.message`, values), fix: t(`${f.code}.fix`, values) };
  };
}

/** findingTextIn for the page's locale. Server and client components alike (no state). */
export function useFindingText(): (f: Finding) => FindingText {
  const t = useTranslations('findings');
  const locale = useLocale();
  const reasonIn = useReachReason();
  // Keys are built from codes and part names at run time, which the typed translator cannot check.
  return findingTextIn(t as unknown as FindingsTranslator, locale, reasonIn);
}
