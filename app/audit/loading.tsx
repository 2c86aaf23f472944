import { useTranslations } from 'next-intl';
import { Skeleton } from '@/components/ui/card';

/** Shaped like the audit page: heading, filter form, table rows. */
export default function Loading() {
  const t = useTranslations('audit.page');
  return (
    <div className="space-y-4" aria-busy="true" aria-label={t('loading')}>
      <Skeleton className="h-8 w-48" />
      <Skeleton className="h-4 w-full max-w-96" />
      <Skeleton className="h-24 w-full" />
      <div className="space-y-2 rounded-lg border border-slate-200 bg-white p-3">
        {Array.from({ length: 8 }, (_, i) => (
          <Skeleton key={i} className="h-9 w-full" />
        ))}
      </div>
    </div>
  );
}
