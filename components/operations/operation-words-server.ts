import 'server-only';
import { getLocale, getTranslations } from 'next-intl/server';
import type { CatalogTranslator } from '@/components/ui/param-words';
import { planTextIn, type PlanText, type PlansTranslator } from '@/components/wizards/use-plan-text';
import { isLocale } from '@/lib/core/locale';
import { outcomeWordsIn } from './log-words';

/**
 * For server pages listing operations (the operations history, the audit): plans worded in the request's language,
 * and ended operations' outcomes as their operation pages word them.
 */
export async function operationWordsOnServer(): Promise<{
  planText: PlanText;
  outcomeWords: ReturnType<typeof outcomeWordsIn>;
}> {
  const [tOps, tPlans, locale] = await Promise.all([
    getTranslations('operations'),
    getTranslations('plans'),
    getLocale(),
  ]);
  // Keys are built from kinds, codes and sentences at run time, which the typed translators cannot check.
  const planText = planTextIn(tPlans as unknown as PlansTranslator, isLocale(locale) ? locale : 'en');
  return { planText, outcomeWords: outcomeWordsIn(tOps as unknown as CatalogTranslator, planText) };
}
