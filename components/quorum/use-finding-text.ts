// A finding's message and fix in the reader's language: the catalog's `findings.<code>.message` and `.fix`, filled
// with the finding's params (FindingParams in lib/core/assessment.ts). English reads exactly like the finding's own
// sentences (tests/unit/findings-catalog.test.ts), so English pages show what they showed before.
import { useLocale, useTranslations } from 'next-intl';
import type { Finding } from '@/lib/core/assessment';
import { splitParams, type PartFields } from '@/lib/core/findings/params';
import type { Locale } from '@/lib/core/locale';

export type FindingText = { message: string; fix: string };

type Values = Record<string, string | number | boolean>;

/** The `findings` namespace's translator, with keys made at run time (a code, a part, a separator). */
export type FindingsTranslator = {
  (key: string, values?: Values): string;
  has(key: string): boolean;
};

/**
 * Words findings with `t` in `locale`. A string array is a list of names ('a, b and c' in the reader's language),
 * or joined with the catalog's `separators.<key>` where it has one (an enumeration such as 'only in main: a, b').
 * A part (`<part>.<i>.<field>` in params) is worded item by item with `parts.<part>` and joined the same way. A
 * finding without params, or with a code the catalog does not know, keeps its English sentences.
 */
export function findingTextIn(t: FindingsTranslator, locale: Locale): (f: Finding) => FindingText {
  // The English sentences list without a serial comma ('a, b and c', lib/core/format.ts listOf): en-GB's style.
  const names = new Intl.ListFormat(locale === 'en' ? 'en-GB' : locale, { type: 'conjunction' });
  const joined = (key: string, items: readonly string[]) =>
    t.has(`separators.${key}`) ? items.join(t(`separators.${key}`)) : names.format(items);
  const valuesOf = (fields: PartFields): Values =>
    Object.fromEntries(
      Object.entries(fields).map(([key, value]) => [key, typeof value === 'object' ? joined(key, value) : value]),
    );
  return (f) => {
    if (!f.params || !t.has(`${f.code}.message`) || !t.has(`${f.code}.fix`)) return { message: f.message, fix: f.fix };
    const { plain, parts } = splitParams(f.params);
    const values = valuesOf(plain);
    for (const [part, items] of parts)
      values[part] = joined(
        part,
        items.map((item) => t(`parts.${part}`, valuesOf(item))),
      );
    return { message: t(`${f.code}.message`, values), fix: t(`${f.code}.fix`, values) };
  };
}

/** findingTextIn for the page's locale. Server and client components alike (no state). */
export function useFindingText(): (f: Finding) => FindingText {
  const t = useTranslations('findings');
  const locale = useLocale();
  // Keys are built from codes and part names at run time, which the typed translator cannot check.
  return findingTextIn(t as unknown as FindingsTranslator, locale);
}
