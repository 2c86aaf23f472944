'use client';
import { useTranslations } from 'next-intl';

/**
 * What a route's error boundary shows. A production error carries only a digest (Next hides the message),
 * so the operator is told what failed in words and where the details are, never a stack.
 */
export function ErrorPanel({
  title,
  providerHint,
  error,
  reset,
}: {
  title: string;
  providerHint: string;
  error: Error & { digest?: string };
  reset: () => void;
}) {
  const t = useTranslations('common.errorPanel');
  return (
    <div role="alert" className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm">
      <h1 className="font-semibold text-red-800">{title}</h1>
      <p className="mt-1 text-red-700">{error.digest ? t('details', { hint: providerHint }) : error.message}</p>
      <button
        onClick={reset}
        className="mt-3 rounded-md bg-white px-3 py-1.5 font-medium text-red-800 ring-1 ring-red-300 hover:bg-red-100"
      >
        {t('tryAgain')}
      </button>
    </div>
  );
}
