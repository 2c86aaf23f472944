// What the catalog tests (tests/unit/findings-catalog.test.ts, plans-catalog.test.ts) share: a namespace's translator
// that throws on any error and records what it was asked to word, a message read from a catalog, and the select/plural
// branches a message offers and those a wording takes.
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { createTranslator } from 'next-intl';
import type { CatalogTranslator, Values } from '@/components/ui/param-words';
import type { Locale } from '@/lib/core/locale';
import { catalogs, type Messages } from '@/messages';

export type Call = { key: string; values: Values };

/** The translator of `namespace` in `locale`, throwing on any error, and recording what it was asked to word. */
export function catalogTranslator(
  namespace: 'findings' | 'plans' | 'operations' | 'common',
  locale: Locale,
  calls: Call[] = [],
): CatalogTranslator {
  const t = createTranslator({
    locale,
    messages: catalogs[locale] as Messages,
    namespace,
    onError: (error) => {
      throw error;
    },
  }) as unknown as CatalogTranslator;
  const recording = ((key: string, values: Values = {}) => {
    calls.push({ key, values });
    return t(key, values);
  }) as CatalogTranslator;
  recording.has = (key) => t.has(key);
  return recording;
}

/** The message at `<namespace>.<key>` of `locale`'s catalog. */
export function catalogMessage(
  namespace: 'findings' | 'plans' | 'operations' | 'common',
  locale: Locale,
  key: string,
): string {
  let node: unknown = (catalogs[locale] as Record<string, unknown>)[namespace];
  for (const part of key.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'string') throw new Error(`${locale}: no message ${namespace}.${key}`);
  return node;
}

/** The `select`/`plural` branches of a message, as `arg=key`. */
export function branchesOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const el of elements) {
    if (el.type !== TYPE.select && el.type !== TYPE.plural) continue;
    for (const [key, option] of Object.entries(el.options)) {
      into.add(`${el.value}=${key}`);
      branchesOf(option.value, into);
    }
  }
  return into;
}

/** The branches wording `values` goes through, as branchesOf names them. */
export function branchesTaken(
  elements: MessageFormatElement[],
  values: Values,
  locale: Locale,
  into = new Set<string>(),
): Set<string> {
  for (const el of elements) {
    let key: string;
    if (el.type === TYPE.select) {
      key = String(values[el.value]) in el.options ? String(values[el.value]) : 'other';
    } else if (el.type === TYPE.plural) {
      const n = Number(values[el.value]);
      const category = new Intl.PluralRules(locale, { type: el.pluralType }).select(n - el.offset);
      key = `=${n}` in el.options ? `=${n}` : category in el.options ? category : 'other';
    } else continue;
    into.add(`${el.value}=${key}`);
    branchesTaken(el.options[key]?.value ?? [], values, locale, into);
  }
  return into;
}

/**
 * The branches of the messages `<namespace>.<prefix><key>` (one per key) that none of `cases` goes through in
 * `locale`: what a catalog test has not reached. Empty when every branch is reached.
 */
export function branchesNotReached(
  namespace: 'findings' | 'plans' | 'operations' | 'common',
  prefix: string,
  keys: readonly string[],
  cases: ReadonlyArray<{ key: string; values: Values }>,
  locale: Locale,
): string[] {
  const offered = new Set<string>();
  const taken = new Set<string>();
  for (const key of keys)
    for (const b of branchesOf(parse(catalogMessage(namespace, locale, `${prefix}${key}`))))
      offered.add(`${key}: ${b}`);
  for (const c of cases)
    for (const b of branchesTaken(parse(catalogMessage(namespace, locale, `${prefix}${c.key}`)), c.values, locale))
      taken.add(`${c.key}: ${b}`);
  return [...offered].filter((b) => !taken.has(b));
}
