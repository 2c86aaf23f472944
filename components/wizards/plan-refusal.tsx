import { useTranslations } from 'next-intl';
import type { ReactNode } from 'react';
import type { DomainErrorCode } from '@/lib/core/errors';
import type { PlanParams } from '@/lib/core/planner';
import { usePlanText } from './use-plan-text';

/**
 * Why Quorum will not do what was asked, in the planner's or the server's words, with the typed code for
 * tests; `children` adds a way out (say, a link to the operation that holds the lock). A planner's refusal comes
 * with `params` and is said in the reader's language; any other keeps its message.
 */
export function PlanRefusal({
  code,
  message,
  params,
  children,
}: {
  code: DomainErrorCode;
  message: string;
  params?: PlanParams | undefined;
  children?: ReactNode;
}) {
  const t = useTranslations('wizards.planRefusal');
  const text = usePlanText();
  return (
    <div
      role="alert"
      data-testid="plan-refusal"
      data-code={code}
      className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm"
    >
      <div className="font-semibold text-red-800">{t('title')}</div>
      <p className="mt-1 text-red-700">{text.refusal({ code, message, params })}</p>
      {children}
    </div>
  );
}
