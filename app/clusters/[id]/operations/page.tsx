import { pageCaller } from '@/lib/server/auth/guards';
import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { Badge } from '@/components/ui/badge';
import { parseClusterId } from '@/lib/core/topology';
import { formatUtcDateTime } from '@/lib/core/format';
import { operationWordsOnServer } from '@/components/operations/operation-words-server';
import { container } from '@/lib/server/container';
import { summaryWordsOf } from '@/lib/server/operations/operation-views';
import { redactSecrets } from '@/lib/server/security/redact';

export const dynamic = 'force-dynamic';
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('operations.history');
  return { title: t('title') };
}

type Props = { params: Promise<{ id: string }> };

export default async function OperationHistoryPage({ params }: Props) {
  const id = decodeURIComponent((await params).id);
  await pageCaller(`/clusters/${encodeURIComponent(id)}/operations`);
  const ref = parseClusterId(id);
  if (!ref) notFound();
  // Each change's summary and outcome in the reader's language, worded from the plan like the operation page does.
  const [operations, t, { planText, outcomeWords }] = await Promise.all([
    container().store.listOperations(id, 100),
    getTranslations('operations'),
    operationWordsOnServer(),
  ]);
  return (
    <div className="space-y-4">
      <div>
        <Link href={`/clusters/${encodeURIComponent(id)}`} className="text-sm text-sky-700 hover:underline">
          ← {ref.masterName}
        </Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">
          {t.rich('history.heading', {
            cluster: ref.masterName,
            mono: (chunks) => <span className="font-mono">{chunks}</span>,
          })}
        </h1>
      </div>
      {operations.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-500">
          {t('history.empty')}
        </p>
      ) : (
        <ul
          className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white"
          data-testid="operation-history"
        >
          {operations.map((op) => {
            const english = typeof op.plan.summary === 'string' ? op.plan.summary : op.kind;
            const summaryWords = summaryWordsOf(op.plan);
            const summary = summaryWords
              ? planText.summary({
                  intent: { kind: summaryWords.intentKind },
                  summary: english,
                  summaryParams: summaryWords.params,
                })
              : english;
            return (
              <li key={op.id} className="flex items-center justify-between gap-3 px-4 py-3 text-sm">
                <div className="min-w-0 [overflow-wrap:anywhere]">
                  {/* The same change often ran more than once: its start time tells the links apart. */}
                  <Link
                    href={`/clusters/${encodeURIComponent(id)}/operations/${op.id}`}
                    className="font-medium text-sky-700 hover:underline"
                  >
                    {summary}
                    <span className="sr-only">{t('history.startedAt', { at: formatUtcDateTime(op.createdAt) })}</span>
                  </Link>
                  <div className="text-xs text-slate-500">
                    {t('history.byline', { actor: op.actor, at: formatUtcDateTime(op.createdAt) })}
                    {op.summary ? ` · ${redactSecrets(outcomeWords(op))}` : ''}
                  </div>
                </div>
                <Badge
                  tone={
                    op.status === 'succeeded'
                      ? 'good'
                      : op.status === 'failed'
                        ? 'bad'
                        : op.status === 'running'
                          ? 'info'
                          : 'warn'
                  }
                >
                  {t(`status.${op.status}`)}
                </Badge>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
