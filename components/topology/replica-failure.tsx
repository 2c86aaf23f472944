import { useTranslations } from 'next-intl';
import type { ReplicaHealth } from '@/lib/core/assessment';
import type { FailureClass, ReplicaDiagnosis } from '@/lib/core/failure';
import { useDescribeSince } from '@/components/ui/use-format-ago';

/** What failed on a replica, since when, and the evidence: one line per probe that said so. */
export function ReplicaFailure({
  diagnosis,
  since,
  observedAt,
  health,
}: {
  diagnosis: ReplicaDiagnosis;
  since: Partial<Record<FailureClass, string>>;
  observedAt: string;
  health: ReplicaHealth;
}) {
  const t = useTranslations('findings');
  const describeSince = useDescribeSince();
  const primary = diagnosis.primary;
  if (primary === null) return null;
  // Red for a confirmed failure only: what silence suggests (no answer in time) is grey until something answers.
  const tone =
    primary === 'member-lagging'
      ? 'border-amber-200 bg-amber-50 text-amber-900'
      : health === 'unhealthy'
        ? 'border-red-200 bg-red-50 text-red-900'
        : 'border-slate-300 bg-slate-100 text-slate-800';
  const when = describeSince(since[primary], observedAt);
  return (
    <div
      data-testid="replica-failure"
      data-failure={primary}
      className={`mb-2 rounded-md border px-2 py-1.5 text-xs ${tone}`}
    >
      <div className="flex flex-wrap items-baseline justify-between gap-x-2">
        <span className="text-sm font-semibold" data-testid="failure-class">
          {t(`failure.${primary}`)}
        </span>
        {when && (
          <span className="text-[11px] opacity-80" data-testid="failure-since" title={since[primary]}>
            {when}
          </span>
        )}
      </div>
      <ul className="mt-1 space-y-0.5" data-testid="failure-evidence">
        {diagnosis.failures.map((f, i) => (
          <li key={`${f.class}-${f.source}-${i}`} className="break-words">
            <span className="font-medium">{f.source}</span> <span className="font-mono text-[11px]">{f.detail}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
