import { pageCaller } from '@/lib/server/auth/guards';
import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { AuditFilters } from '@/components/audit/audit-filters';
import { AuditTable, type OutcomeWords } from '@/components/audit/audit-table';
import { operationWordsOnServer } from '@/components/operations/operation-words-server';
import { AUDIT_PAGE_SIZE, auditHref, parseAuditQuery, redactAuditDetail, type SearchParams } from '@/lib/core/audit';
import { TERMINAL_OPERATION_STATUSES } from '@/lib/ports/store';
import { container } from '@/lib/server/container';
import { REDACTED, redactSecrets } from '@/lib/server/security/redact';

export const dynamic = 'force-dynamic';
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('audit.page');
  return { title: t('metadataTitle') };
}

type Props = { searchParams: Promise<SearchParams> };

// An entry's detail may quote what a provider answered (an operation's error), metadata included: no private
// key reaches the page. A field named like kube-up's key variables is withheld whole.
const shownDetail = (text: string, key: string | null): string =>
  key !== null && /_KEY$/i.test(key) ? REDACTED : redactSecrets(text);

/** The outcomes of these operations, journaled and in the reader's language, as their operation pages word them. */
async function outcomesOf(operationIds: string[]): Promise<Record<string, OutcomeWords>> {
  if (operationIds.length === 0) return {};
  const { outcomeWords } = await operationWordsOnServer();
  const outcomes: Record<string, OutcomeWords> = {};
  for (const op of await container().store.getOperations([...new Set(operationIds)])) {
    if (op.summary)
      outcomes[op.id] = { english: shownDetail(op.summary, 'summary'), words: redactSecrets(outcomeWords(op)) };
  }
  return outcomes;
}

export default async function AuditPage({ searchParams }: Props) {
  await pageCaller('/audit');
  const t = await getTranslations('audit.page');
  const now = new Date();
  const query = parseAuditQuery(await searchParams, now);
  // One more than a page tells whether an older page exists.
  const rows = await container().store.listAudit(query.criteria, AUDIT_PAGE_SIZE + 1);
  const entries = rows
    .slice(0, AUDIT_PAGE_SIZE)
    .map((e) => ({ ...e, detail: redactAuditDetail(e.detail, shownDetail) }));
  const outcomes = await outcomesOf(
    entries.flatMap((e) =>
      e.operationId !== null && (TERMINAL_OPERATION_STATUSES as ReadonlySet<string>).has(e.outcome)
        ? [e.operationId]
        : [],
    ),
  );
  const oldest = entries.at(-1);
  // Refused filters were not applied, so paging goes on over the whole log.
  const linkForm = query.problems.length > 0 ? {} : query.form;
  const filtered = Object.keys(query.criteria).some((k) => k !== 'beforeId');
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">{t('heading')}</h1>
        <p className="text-sm text-slate-500">{t('intro')}</p>
      </div>

      <AuditFilters form={query.form} />

      {query.problems.length > 0 && (
        <div
          role="alert"
          data-testid="audit-problems"
          className="rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900"
        >
          <p className="font-medium">{t('problems')}</p>
          <ul className="mt-1 list-disc pl-5">
            {query.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}

      {entries.length === 0 ? (
        <p
          data-testid="audit-empty"
          className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-500"
        >
          {filtered ? t('emptyFiltered') : query.criteria.beforeId !== undefined ? t('emptyOlder') : t('emptyNone')}
        </p>
      ) : (
        <AuditTable entries={entries} now={now} form={linkForm} outcomes={outcomes} />
      )}

      <nav className="flex items-center justify-between text-sm" aria-label={t('pagesLabel')}>
        <span className="text-xs text-slate-500">
          {t('count', {
            count: entries.length,
            older: query.criteria.beforeId !== undefined ? 'yes' : 'no',
            before: query.criteria.beforeId ?? '',
            filtered: filtered ? 'yes' : 'no',
          })}
        </span>
        <span className="flex gap-3">
          {query.criteria.beforeId !== undefined && (
            <Link
              href={auditHref(linkForm, { before: '' })}
              className="text-sky-700 hover:underline"
              data-testid="audit-newest"
            >
              {t('newest')}
            </Link>
          )}
          {rows.length > AUDIT_PAGE_SIZE && oldest !== undefined && (
            <Link
              href={auditHref(linkForm, { before: String(oldest.id) })}
              className="text-sky-700 hover:underline"
              data-testid="audit-older"
            >
              {t('older')}
            </Link>
          )}
        </span>
      </nav>
    </div>
  );
}
