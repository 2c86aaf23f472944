import { useTranslations } from 'next-intl';
import { Skeleton } from '@/components/ui/card';

export default function Loading() {
  const t = useTranslations('fleet');
  return (
    <div className="space-y-4" aria-busy="true" aria-label={t('loading')}>
      <Skeleton className="h-8 w-40" />
      <div className="space-y-2 rounded-lg border border-slate-200 bg-white p-4">
        {[0, 1, 2].map((i) => (
          <Skeleton key={i} className="h-10 w-full" />
        ))}
      </div>
    </div>
  );
}
