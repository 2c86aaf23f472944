import { useTranslations } from 'next-intl';
import { Skeleton } from '@/components/ui/card';

/** Shaped like the cluster page: header, LB strip, zone columns, sidebar. */
export default function Loading() {
  const t = useTranslations('topology');
  return (
    <div className="space-y-4" aria-busy="true" aria-label={t('page.loading')}>
      <Skeleton className="h-8 w-64" />
      <Skeleton className="h-4 w-full max-w-96" />
      <div className="grid gap-4 lg:grid-cols-[1fr_22rem]">
        {/* The quorum summary first, as on the page: on top on a phone, the right-hand column from lg. */}
        <div className="space-y-4 lg:col-start-2 lg:row-start-1">
          <Skeleton className="h-40 w-full" />
          <Skeleton className="h-64 w-full" />
        </div>
        <div className="space-y-4 lg:col-start-1 lg:row-start-1">
          <Skeleton className="h-16 w-full" />
          <div className="grid gap-3 md:grid-cols-3">
            {[0, 1, 2].map((i) => (
              <div key={i} className="space-y-2">
                <Skeleton className="h-12 w-full" />
                <Skeleton className="h-56 w-full" />
              </div>
            ))}
          </div>
        </div>
      </div>
    </div>
  );
}
