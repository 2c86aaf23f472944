// A core sentence's params as a catalog message's values, in the reader's language: shared by the findings'
// (components/quorum/use-finding-text.ts) and the plans' words (components/wizards/use-plan-text.ts).
import type { FindingParams } from '@/lib/core/assessment';
import { splitParams, type ParamValue } from '@/lib/core/findings/params';
import type { Locale } from '@/lib/core/locale';

export type Values = Record<string, string | number | boolean>;

/** A namespace's translator with keys made at run time (a code, a kind, a part, a separator). */
export type CatalogTranslator = {
  (key: string, values?: Values): string;
  has(key: string): boolean;
};

/** A key of a part's item that holds a part of its own: `<part>.<i>.<sub>.<j>.<field>` (splitParams leaves it plain). */
const NESTED = /^([A-Za-z]\w*\.\d+)\.(.+)$/;

/**
 * The values for `t`'s messages from `params`, in `locale`. A string array is a list of names ('a, b and c' in the
 * reader's language), or joined with the catalog's `separators.<key>` where it has one. A part (`<part>.<i>.<field>`)
 * is worded item by item with `parts.<part>` and joined the same way, and an item's own part (a down voter's reasons)
 * likewise. A `reason` is worded by `reasonIn` (Quorum's words for a way into a replica that failed,
 * components/ui/reach-words.ts); as it came without one.
 */
export function paramValuesIn(
  t: CatalogTranslator,
  locale: Locale,
  reasonIn: (reason: string) => string = (r) => r,
): (params: FindingParams) => Values {
  // The English sentences list without a serial comma ('a, b and c', lib/core/format.ts listOf): en-GB's style.
  const names = new Intl.ListFormat(locale === 'en' ? 'en-GB' : locale, { type: 'conjunction' });
  const joined = (key: string, items: readonly string[]) =>
    t.has(`separators.${key}`) ? items.join(t(`separators.${key}`)) : names.format(items);
  const valuesOf = (params: FindingParams): Values => {
    const { plain, parts } = splitParams(params);
    const values: Values = {};
    const nested = new Map<string, Record<string, ParamValue>>();
    for (const [key, value] of Object.entries(plain)) {
      const m = NESTED.exec(key);
      if (m?.[1] && m[2]) nested.set(m[1], { ...nested.get(m[1]), [m[2]]: value });
      else if (key === 'reason' && typeof value === 'string') values[key] = reasonIn(value);
      else values[key] = typeof value === 'object' ? joined(key, value) : value;
    }
    for (const [part, items] of parts)
      values[part] = joined(
        part,
        items.map((item, i) => t(`parts.${part}`, valuesOf({ ...item, ...nested.get(`${part}.${i}`) }))),
      );
    return values;
  };
  return valuesOf;
}
