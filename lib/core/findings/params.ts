// A finding's params (FindingParams in ../assessment.ts): a repeated part of a sentence is flattened into keys
// `<part>.<i>.<field>`, so that params stay a flat object of strings, numbers, booleans and string arrays.
import type { FindingParams } from '../assessment';

export type ParamValue = FindingParams[string];
export type PartFields = { readonly [field: string]: ParamValue };

const PART_KEY = /^([A-Za-z]\w*)\.(\d+)\.([A-Za-z]\w*)$/;

/**
 * `partParams('views', [{ replica: 'a' }, { replica: 'b' }])` ->
 * `{ views: '', 'views.0.replica': 'a', 'views.1.replica': 'b' }`: `views` is the argument the page fills with the
 * items joined, '' until then (and when there is no item).
 */
export function partParams(part: string, items: readonly PartFields[]): FindingParams {
  const out: Record<string, ParamValue> = { [part]: '' };
  items.forEach((item, i) => {
    for (const [field, value] of Object.entries(item)) out[`${part}.${i}.${field}`] = value;
  });
  return out;
}

/**
 * The other way: the plain params, and each part's items in order. A part is known by its keys only, so a part
 * with no item is absent from `parts`.
 */
export function splitParams(params: FindingParams): {
  plain: Record<string, ParamValue>;
  parts: Map<string, PartFields[]>;
} {
  const plain: Record<string, ParamValue> = {};
  const items = new Map<string, Map<number, Record<string, ParamValue>>>();
  for (const [key, value] of Object.entries(params)) {
    const m = PART_KEY.exec(key);
    if (!m?.[1] || !m[2] || !m[3]) {
      plain[key] = value;
      continue;
    }
    const byIndex = items.get(m[1]) ?? new Map<number, Record<string, ParamValue>>();
    const index = Number(m[2]);
    byIndex.set(index, { ...byIndex.get(index), [m[3]]: value });
    items.set(m[1], byIndex);
  }
  const parts = new Map<string, PartFields[]>();
  for (const [part, byIndex] of items)
    parts.set(
      part,
      [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, fields]) => fields),
    );
  return { plain, parts };
}
