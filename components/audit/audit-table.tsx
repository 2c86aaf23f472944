import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { Badge, type Tone } from '@/components/ui/badge';
import { auditHref, describeAuditDetail, type AuditOutcome, type AuditQueryField } from '@/lib/core/audit';
import { formatUtcDateTime } from '@/lib/core/format';
import { parseClusterId } from '@/lib/core/topology';
import type { AuditEntry } from '@/lib/ports/store';
import type { CatalogTranslator } from '@/components/ui/param-words';
import { TableHead } from '@/components/ui/table-head';
import { useFormatAgo } from '@/components/ui/use-format-ago';
import { usePlanText } from '@/components/wizards/use-plan-text';
import type { DomainErrorCode } from '@/lib/core/errors';

const OUTCOME_TONES: Record<AuditOutcome, Tone> = {
  started: 'info',
  succeeded: 'good',
  failed: 'bad',
  refused: 'warn',
  cancelled: 'neutral',
};

export function AuditOutcomeBadge({ outcome }: { outcome: AuditOutcome }) {
  const t = useTranslations('audit.outcome');
  return <Badge tone={OUTCOME_TONES[outcome]}>{t(outcome)}</Badge>;
}

/** An ended operation's outcome as journaled (English, the record) and in the reader's language. */
export type OutcomeWords = { english: string; words: string };

/**
 * The audit log, newest first. Rendered on the server with the request's `now` (ages are not live). `form`
 * carries the page's current filters, so "only this actor" links keep them. `outcomes`, by operation id: the
 * outcomes of the operations the entries name, worded like their operation pages; an entry whose summary is that
 * record reads in the reader's language.
 */
export function AuditTable({
  entries,
  now,
  form,
  outcomes = {},
}: {
  entries: readonly AuditEntry[];
  now: Date;
  form: Partial<Record<AuditQueryField, string>>;
  outcomes?: Readonly<Record<string, OutcomeWords>>;
}) {
  const t = useTranslations('audit.table.columns');
  return (
    // `relative`: the screen-reader-only texts in the rows are absolutely positioned; outside a positioned box they
    // would widen the page on a phone although the table scrolls in its own box.
    <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
      <table data-testid="audit-table" className="w-full text-sm">
        <TableHead columns={[t('when'), t('who'), t('from'), t('what'), t('outcome'), t('detail')]} padX="px-3" />
        <tbody>
          {entries.map((entry) => (
            <AuditRow
              key={entry.id}
              entry={entry}
              now={now}
              form={form}
              outcome={entry.operationId === null ? undefined : outcomes[entry.operationId]}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AuditRow({
  entry,
  now,
  form,
  outcome,
}: {
  entry: AuditEntry;
  now: Date;
  form: Partial<Record<AuditQueryField, string>>;
  outcome: OutcomeWords | undefined;
}) {
  const t = useTranslations('audit.table');
  // better-auth's codes are keys built at run time, which the typed translator cannot check.
  const authCodes = useTranslations('audit.table.authCodes') as unknown as CatalogTranslator;
  const formatAgo = useFormatAgo();
  const planText = usePlanText();
  const cluster = entry.clusterId === null ? null : parseClusterId(entry.clusterId);
  const detail = describeAuditDetail(entry.detail);
  const clusterHref = entry.clusterId === null ? null : `/clusters/${encodeURIComponent(entry.clusterId)}`;
  /** The reason in the reader's language, or null when it can only read as recorded. */
  const reasonWords = (reason: NonNullable<typeof detail.reason>): string | null => {
    if (reason.params)
      return planText.refusal({ code: reason.code as DomainErrorCode, message: reason.message, params: reason.params });
    return /^[A-Z_]+$/.test(reason.code) && authCodes.has(reason.code) ? authCodes(reason.code) : null;
  };
  const reasonWorded = detail.reason === null ? null : reasonWords(detail.reason);
  return (
    <tr
      data-testid="audit-row"
      data-outcome={entry.outcome}
      data-action={entry.action}
      data-id={entry.id}
      className="border-t border-slate-100 align-top"
    >
      <td className="whitespace-nowrap px-3 py-2">
        <time dateTime={entry.at} className="font-mono text-xs text-slate-800">
          {formatUtcDateTime(entry.at, { seconds: true })}
        </time>
        <div className="text-xs text-slate-500">{formatAgo(entry.at, now)}</div>
      </td>
      <td className="px-3 py-2">
        <Link
          href={auditHref(form, { actor: entry.actor, before: '' })}
          title={t('onlyByActor', { actor: entry.actor })}
          className="whitespace-nowrap text-slate-800 hover:text-sky-700 hover:underline"
        >
          {entry.actor}
        </Link>
      </td>
      <td className="whitespace-nowrap px-3 py-2 font-mono text-xs text-slate-600">{entry.source ?? '—'}</td>
      <td className="px-3 py-2">
        <div className="font-mono text-xs text-slate-900">{entry.action}</div>
        <div className="mt-0.5 flex flex-wrap gap-x-2 text-xs">
          {clusterHref !== null && (
            <Link
              href={clusterHref}
              title={entry.clusterId ?? undefined}
              className="font-mono text-sky-700 hover:underline"
            >
              {cluster?.masterName ?? entry.clusterId}
            </Link>
          )}
          {entry.operationId !== null && clusterHref !== null && (
            <Link
              href={`${clusterHref}/operations/${encodeURIComponent(entry.operationId)}`}
              title={t('operationTitle', { id: entry.operationId })}
              className="text-sky-700 hover:underline"
            >
              {t.rich('operationLink', {
                id: entry.operationId.slice(0, 8),
                mono: (chunks) => <span className="font-mono">{chunks}</span>,
              })}
            </Link>
          )}
        </div>
      </td>
      <td className="px-3 py-2">
        <AuditOutcomeBadge outcome={entry.outcome} />
      </td>
      <td className="max-w-md px-3 py-2 text-xs text-slate-700">
        {detail.reason !== null && (
          // Worded in the reader's language when audited with its params, or when it is one of better-auth's codes
          // Quorum knows; the English record is then the title.
          <p title={reasonWorded !== null ? detail.reason.message : undefined} data-testid="audit-reason">
            <span className="font-mono font-semibold text-amber-900">{detail.reason.code}</span>:{' '}
            {reasonWorded ?? detail.reason.message}
          </p>
        )}
        {detail.words.map(({ label, text }) => {
          // The operation's outcome in the reader's language; the English record is the title.
          const worded = label === 'summary' && outcome !== undefined && outcome.english === text ? outcome : null;
          return (
            <p
              key={label}
              className={label === 'error' ? 'text-red-800' : undefined}
              title={worded !== null && worded.words !== text ? text : undefined}
              data-testid={label === 'summary' ? 'audit-summary' : undefined}
            >
              {label !== 'summary' && <span className="font-medium">{t('detailLabel', { label })}</span>}
              {worded?.words ?? text}
            </p>
          );
        })}
        {detail.rest !== null && (
          <details className="mt-0.5">
            <summary className="cursor-pointer text-slate-500 hover:text-slate-800">
              {detail.reason === null && detail.words.length === 0 ? t('detail') : t('more')}
              <span className="sr-only">{t('ofEntry', { id: entry.id })}</span>
            </summary>
            <pre className="mt-1 whitespace-pre-wrap break-all rounded bg-slate-50 p-1.5 font-mono text-[11px] text-slate-700">
              {JSON.stringify(detail.rest)}
            </pre>
          </details>
        )}
      </td>
    </tr>
  );
}
