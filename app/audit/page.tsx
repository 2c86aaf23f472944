import { pageCaller } from '@/lib/server/auth/guards';
import type { Metadata } from 'next';
import Link from 'next/link';
import { AuditFilters } from '@/components/audit/audit-filters';
import { AuditTable } from '@/components/audit/audit-table';
import { AUDIT_PAGE_SIZE, auditHref, parseAuditQuery, redactAuditDetail, type SearchParams } from '@/lib/core/audit';
import { pluralize } from '@/lib/core/format';
import { container } from '@/lib/server/container';
import { REDACTED, redactSecrets } from '@/lib/server/security/redact';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Audit log' };

type Props = { searchParams: Promise<SearchParams> };

// An entry's detail may quote what a provider answered (an operation's error), metadata included: no private
// key reaches the page. A field named like kube-up's key variables is withheld whole.
const shownDetail = (text: string, key: string | null): string =>
  key !== null && /_KEY$/i.test(key) ? REDACTED : redactSecrets(text);

export default async function AuditPage({ searchParams }: Props) {
  await pageCaller('/audit');
  const now = new Date();
  const query = parseAuditQuery(await searchParams, now);
  // One more than a page tells whether an older page exists.
  const rows = await container().store.listAudit(query.criteria, AUDIT_PAGE_SIZE + 1);
  const entries = rows
    .slice(0, AUDIT_PAGE_SIZE)
    .map((e) => ({ ...e, detail: redactAuditDetail(e.detail, shownDetail) }));
  const oldest = entries.at(-1);
  // Refused filters were not applied, so paging goes on over the whole log.
  const linkForm = query.problems.length > 0 ? {} : query.form;
  const filtered = Object.keys(query.criteria).some((k) => k !== 'beforeId');
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Audit log</h1>
        <p className="text-sm text-slate-500">
          Every change and every refused attempt, newest first. Append-only: the store refuses to change or delete an
          entry.
        </p>
      </div>

      <AuditFilters form={query.form} />

      {query.problems.length > 0 && (
        <div
          role="alert"
          data-testid="audit-problems"
          className="rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900"
        >
          <p className="font-medium">These filters could not be used, so the whole log is shown:</p>
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
          {filtered
            ? 'No audit entry matches these filters.'
            : query.criteria.beforeId !== undefined
              ? 'No older entries.'
              : 'Nothing has been audited yet.'}
        </p>
      ) : (
        <AuditTable entries={entries} now={now} form={linkForm} />
      )}

      <nav className="flex items-center justify-between text-sm" aria-label="Audit pages">
        <span className="text-xs text-slate-500">
          {pluralize(entries.length, 'entry', 'entries')}
          {query.criteria.beforeId !== undefined ? ` older than #${query.criteria.beforeId}` : ''}
          {filtered ? ' matching the filters' : ''}
        </span>
        <span className="flex gap-3">
          {query.criteria.beforeId !== undefined && (
            <Link
              href={auditHref(linkForm, { before: '' })}
              className="text-sky-700 hover:underline"
              data-testid="audit-newest"
            >
              ← Newest
            </Link>
          )}
          {rows.length > AUDIT_PAGE_SIZE && oldest !== undefined && (
            <Link
              href={auditHref(linkForm, { before: String(oldest.id) })}
              className="text-sky-700 hover:underline"
              data-testid="audit-older"
            >
              Older →
            </Link>
          )}
        </span>
      </nav>
    </div>
  );
}
