// A plan's sentences and the planner's refusals in the reader's language: the catalog's `plans` namespace filled
// with the plan's words (Plan.summaryParams, a step's kind and StepParams, PlanWarning.params, Refusal.params, in
// lib/core/planner.ts). English reads exactly like the planner's own sentences (tests/unit/plans-catalog.test.ts),
// which stay the record for the journal, the audit log and webhooks, and are the fall-back when there are no params.
import { useLocale, useTranslations } from 'next-intl';
import type { DomainErrorCode } from '@/lib/core/errors';
import { splitParams, type ParamValue } from '@/lib/core/findings/params';
import type { Locale } from '@/lib/core/locale';
import type { Plan, PlanParams, PlanStep, PlanWarning } from '@/lib/core/planner';

type Values = Record<string, string | number | boolean>;

/** The `plans` namespace's translator, with keys made at run time (an intent kind, a step kind, a code). */
export type PlansTranslator = {
  (key: string, values?: Values): string;
  has(key: string): boolean;
};

/** A refusal as the planner gives it, or as an action returns it (Result's failure): `params` when it has them. */
export type RefusalWords = { code: DomainErrorCode | null; message: string; params?: PlanParams | undefined };

export type PlanText = {
  summary(plan: Pick<Plan, 'intent' | 'summary' | 'summaryParams'>): string;
  step(step: Pick<PlanStep, 'id' | 'kind' | 'title' | 'params'>): string;
  /** The step's `transient` note, or null when it has none. */
  transient(step: Pick<PlanStep, 'id' | 'params' | 'transient'>): string | null;
  warning(warning: PlanWarning): string;
  refusal(refusal: RefusalWords): string;
};

/** `<op>` of a step id `[<n>.]<op>:<zone>:<kind>`: add, remove, restart or create (the verify steps differ by it). */
function opOf(id: string): string {
  return id.replace(/^\d+\./, '').split(':')[0] ?? '';
}

/** A key of a part's item that holds a part of its own: `<part>.<i>.<sub>.<j>.<field>` (splitParams leaves it plain). */
const NESTED = /^([A-Za-z]\w*\.\d+)\.(.+)$/;

/**
 * Words plans and refusals with `t` in `locale`. A string array is a list of names ('a, b and c' in the reader's
 * language), or joined with the catalog's `separators.<key>` where it has one. A part (`<part>.<i>.<field>`) is
 * worded item by item with `parts.<part>`, and an item's own part (a down voter's reasons) the same way.
 */
export function planTextIn(t: PlansTranslator, locale: Locale): PlanText {
  // The English sentences list without a serial comma ('a, b and c', lib/core/format.ts listOf): en-GB's style,
  // as the findings' words (components/quorum/use-finding-text.ts).
  const names = new Intl.ListFormat(locale === 'en' ? 'en-GB' : locale, { type: 'conjunction' });
  const joined = (key: string, items: readonly string[]) =>
    t.has(`separators.${key}`) ? items.join(t(`separators.${key}`)) : names.format(items);
  const valuesOf = (params: PlanParams): Values => {
    const { plain, parts } = splitParams(params);
    const values: Values = {};
    const nested = new Map<string, Record<string, ParamValue>>();
    for (const [key, value] of Object.entries(plain)) {
      const m = NESTED.exec(key);
      if (m?.[1] && m[2]) nested.set(m[1], { ...nested.get(m[1]), [m[2]]: value });
      else values[key] = typeof value === 'object' ? joined(key, value) : value;
    }
    for (const [part, items] of parts)
      values[part] = joined(
        part,
        items.map((item, i) => t(`parts.${part}`, valuesOf({ ...item, ...nested.get(`${part}.${i}`) }))),
      );
    return values;
  };
  const worded = (key: string, params: PlanParams | undefined, english: string) =>
    params && t.has(key) ? t(key, valuesOf(params)) : english;
  return {
    summary: (plan) => worded(`summary.${plan.intent.kind}`, plan.summaryParams, plan.summary),
    step: (step) => {
      const { params } = step;
      // The pool's instances are comma-joined as Compute takes them; a flag a step leaves out is false.
      const instances: PlanParams =
        typeof params.instances === 'string' ? { instances: params.instances.split(',') } : {};
      return worded(
        `steps.${step.kind}`,
        { gateOverridden: false, ...params, ...instances, op: opOf(step.id) },
        step.title,
      );
    },
    transient: (step) => {
      if (step.transient === undefined) return null;
      // A new cluster's first master booting, or two voters for a while in a change.
      const key = opOf(step.id) === 'create' ? 'transient.booting' : 'transient.twoVoters';
      return worded(key, step.params, step.transient);
    },
    warning: (w) => worded(`warnings.${w.code}`, w.params, w.message),
    refusal: (r) => (r.code === null ? r.message : worded(`refusals.${r.code}`, r.params, r.message)),
  };
}

/** planTextIn for the page's locale. Server and client components alike (no state). */
export function usePlanText(): PlanText {
  const t = useTranslations('plans');
  const locale = useLocale();
  // Keys are built from kinds and codes at run time, which the typed translator cannot check.
  return planTextIn(t as unknown as PlansTranslator, locale);
}
