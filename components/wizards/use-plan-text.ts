// A plan's sentences and the planner's refusals in the reader's language: the catalog's `plans` namespace filled
// with the plan's words (Plan.summaryParams, a step's kind and StepParams, PlanWarning.params, Refusal.params, in
// lib/core/planner.ts). English reads exactly like the planner's own sentences (tests/unit/plans-catalog.test.ts),
// which stay the record for the journal, the audit log and webhooks, and are the fall-back when there are no params.
import { useLocale, useTranslations } from 'next-intl';
import type { DomainErrorCode } from '@/lib/core/errors';
import { paramValuesIn, type CatalogTranslator } from '@/components/ui/param-words';
import { useReachReason } from '@/components/ui/reach-words';
import type { Locale } from '@/lib/core/locale';
import type { PlanParams, PlanStep, PlanWarning } from '@/lib/core/planner';

/** The `plans` namespace's translator, with keys made at run time (an intent kind, a step kind, a code). */
export type PlansTranslator = CatalogTranslator;

/** A refusal as the planner gives it, or as an action returns it (Result's failure): `params` when it has them. */
export type RefusalWords = { code: DomainErrorCode | null; message: string; params?: PlanParams | undefined };

export type PlanText = {
  summary(plan: { intent: { kind: string }; summary: string; summaryParams?: PlanParams }): string;
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

/**
 * Words plans and refusals with `t` in `locale`, their params made values by paramValuesIn.
 */
export function planTextIn(t: PlansTranslator, locale: Locale, reasonIn?: (reason: string) => string): PlanText {
  const valuesOf = paramValuesIn(t, locale, reasonIn);
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
    // The server's refusals that name their words (lib/core/server-refusals.ts), the planner's, then the server's
    // others, by code.
    refusal: (r) =>
      typeof r.params?.refusal === 'string'
        ? worded(`serverRefusals.${r.params.refusal}`, r.params, r.message)
        : r.code === null
          ? r.message
          : t.has(`refusals.${r.code}`)
            ? worded(`refusals.${r.code}`, r.params, r.message)
            : worded(`serverRefusals.${r.code}`, r.params, r.message),
  };
}

/** planTextIn for the page's locale. Server and client components alike (no state). */
export function usePlanText(): PlanText {
  const t = useTranslations('plans');
  const locale = useLocale();
  const reasonIn = useReachReason();
  // Keys are built from kinds and codes at run time, which the typed translator cannot check.
  return planTextIn(t as unknown as PlansTranslator, locale, reasonIn);
}
