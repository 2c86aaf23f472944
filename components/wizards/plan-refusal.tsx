import { useTranslations } from 'next-intl';
import type { ReactNode } from 'react';
import type { DomainErrorCode } from '@/lib/core/errors';

/**
 * Why Quorum will not do what was asked, in the planner's or the server's words, with the typed code for
 * tests; `children` adds a way out (say, a link to the operation that holds the lock).
 */
export function PlanRefusal({
  code,
  message,
  children,
}: {
  code: DomainErrorCode;
  message: string;
  children?: ReactNode;
}) {
  const t = useTranslations('wizards.planRefusal');
  return (
    <div
      role="alert"
      data-testid="plan-refusal"
      data-code={code}
      className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm"
    >
      <div className="font-semibold text-red-800">{t('title')}</div>
      <p className="mt-1 text-red-700">{message}</p>
      {children}
    </div>
  );
}
