// An operation's log lines and outcome in the reader's language: each sentence (lib/core/operation-log.ts) worded by
// `operations.log.<key>`, the steps it names (a step's line comes under its step's title) worded from the plan like
// the steps above it. Lines written before sentences had keys, or naming a step the plan does not have, read as
// journaled (English).
import type { CatalogTranslator } from '@/components/ui/param-words';
import type { PlanText } from '@/components/wizards/use-plan-text';
import type { LogError, LogSaid } from '@/lib/core/operation-log';
import type { PlanStep } from '@/lib/core/planner';
import type { Operation } from '@/lib/ports/store';

export type JournaledLine = { message: string; said: LogSaid | null };

/**
 * `t`: the `operations` translator; `stepTitle`: a plan step's title by index in the page's language, null when the
 * plan has no such step.
 */
export function logWordsIn(t: CatalogTranslator, stepTitle: (index: number) => string | null) {
  /** A sentence's values with its lists worded item by item and joined as the language joins them; null when unknown. */
  const valuesOf = (said: LogError): Record<string, string> | null => {
    const values: Record<string, string> = { ...said.params };
    for (const [param, items] of Object.entries(said.itemsOf ?? {})) {
      if (!items || items.some((i) => !t.has(`log.${i.key}`))) return null;
      values[param] = items.map((i) => t(`log.${i.key}`, { ...i.params })).join(t(`logParts.items.${param}`));
    }
    return values;
  };
  return (line: JournaledLine): string => {
    const said = line.said;
    if (said === null || !t.has(`log.${said.key}`)) return line.message;
    const values = valuesOf(said);
    if (values === null) return line.message;
    // The error a step failed with, when Quorum's own words said it.
    if (said.errorSaid !== undefined) {
      const error = said.errorSaid;
      const errorValues = t.has(`log.${error.key}`) ? valuesOf(error) : null;
      if (errorValues === null) return line.message;
      values.error = t(`log.${error.key}`, errorValues);
    }
    for (const [param, index] of Object.entries(said.stepOf ?? {})) {
      const title = stepTitle(index);
      if (title === null) return line.message;
      values[param] = title;
    }
    for (const [param, indexes] of Object.entries(said.stepsOf ?? {})) {
      if (indexes.length === 0) continue;
      const titles = indexes.map(stepTitle);
      if (titles.some((title) => title === null)) return line.message;
      values[param] = titles.map((title) => t('logParts.quoted', { title: title ?? '' })).join(t('logParts.separator'));
    }
    // Compute's message as it came, then Quorum's words after it in the reader's language.
    const why = said.errorWhy;
    if (why !== undefined) {
      if (!t.has(`errorWhy.${why.key}`)) return line.message;
      values.error = `${values.error ?? ''}${t('logParts.why', { why: t(`errorWhy.${why.key}`, { ...why.params }) })}`;
    }
    const title = said.step === undefined ? null : stepTitle(said.step);
    if (said.step !== undefined && title === null) return line.message;
    // The runner's own lines name the step inside the sentence; a step's lines come under its title.
    if ('step' in said.params) return t(`log.${said.key}`, { ...values, step: title ?? values.step ?? '' });
    const text = t(`log.${said.key}`, values);
    return title === null ? text : `${title}: ${text}`;
  };
}

/**
 * An ended operation's outcome ("Succeeded: all 11 steps done.", "Failed at step 3/11 …") in the reader's language,
 * the steps it names worded from its plan (`planText`); as journaled (English) when it cannot be.
 */
export function outcomeWordsIn(t: CatalogTranslator, planText: PlanText) {
  return (op: Pick<Operation, 'plan' | 'summary' | 'summarySaid'>): string => {
    const words = logWordsIn(t, (index) => {
      const step = op.plan.steps[index];
      return step
        ? planText.step({ id: step.id, kind: step.kind as PlanStep['kind'], title: step.title, params: step.params })
        : null;
    });
    return words({ message: op.summary ?? '', said: op.summarySaid ?? null });
  };
}
