import { useTranslations } from 'next-intl';
import { Skeleton } from '@/components/ui/card';

/** Shaped like the create wizard: header, the form beside the plan. */
export default function Loading() {
  const t = useTranslations('wizards.newPage');
  return (
    <div className="space-y-6" aria-busy="true" aria-label={t('loading')}>
      <div className="space-y-2">
        <Skeleton className="h-4 w-24" />
        <Skeleton className="h-8 w-64" />
        <Skeleton className="h-4 w-full max-w-96" />
      </div>
      <div className="grid gap-6 lg:grid-cols-[24rem_1fr]">
        <div className="space-y-4">
          <Skeleton className="h-16 w-full" />
          <Skeleton className="h-12 w-full" />
          <Skeleton className="h-24 w-full" />
        </div>
        <Skeleton className="h-64 w-full" />
      </div>
    </div>
  );
}
