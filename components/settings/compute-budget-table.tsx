import { useTranslations } from 'next-intl';
import { Badge } from '@/components/ui/badge';
import type { ProjectBudget, RateLimitsView } from '@/lib/core/rate-limit';
import { TableHead } from '@/components/ui/table-head';
import { useFormatAgo } from '@/components/ui/use-format-ago';

const formatRate = (perSecond: number) => (Number.isInteger(perSecond) ? String(perSecond) : perSecond.toFixed(2));
const formatMs = (ms: number) =>
  ms < 1_000 ? `${Math.round(ms)} ms` : ms % 1_000 === 0 ? `${ms / 1_000} s` : `${(ms / 1_000).toFixed(1)} s`;

function BudgetState({ budget, lowFraction }: { budget: ProjectBudget; lowFraction: number }) {
  const t = useTranslations('settings.budget');
  if (budget.pausedUntil !== null) return <Badge tone="bad">{t('paused', { code: 'rateLimitExceeded' })}</Badge>;
  if (budget.waiting > 0) return <Badge tone="bad">{t('waiting', { count: budget.waiting })}</Badge>;
  if (budget.tokens < lowFraction * budget.capacity) return <Badge tone="warn">{t('low')}</Badge>;
  return <Badge tone="good">{t('ok')}</Badge>;
}

/** Per GCE project: the Compute API token bucket now and what it has done to calls since the server started. */
export function ComputeBudgetTable({ view }: { view: RateLimitsView }) {
  const t = useTranslations('settings.budget');
  const formatAgo = useFormatAgo();
  const { compute, pace } = view;
  const now = new Date(view.observedAt);
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-600">
        {t.rich('intro', {
          rate: formatRate(compute.ratePerSecond),
          burst: compute.burst,
          maxWait: formatMs(compute.maxWaitMs),
          lowPercent: Math.round(pace.lowFraction * 100),
          maxInterval: formatMs(pace.maxIntervalMs),
          reserved: compute.operationShare > 0 ? 'yes' : 'no',
          sharePercent: Math.round(compute.operationShare * 100),
          quotaGroups: compute.perMinute !== null ? 'yes' : 'no',
          perMinute: compute.perMinute ?? '',
          answer: 'rateLimitExceeded',
          strong: (chunks) => <strong>{chunks}</strong>,
          code: (chunks) => <code>{chunks}</code>,
        })}
      </p>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
        <table className="w-full text-sm" data-testid="compute-budget">
          <TableHead
            columns={[
              t('columns.project'),
              t('columns.tokens'),
              t('columns.rate'),
              t('columns.calls'),
              t('columns.waited'),
              t('columns.totalWait'),
              t('columns.lastWait'),
              t('columns.operationCalls'),
              t('columns.refused'),
              t('columns.state'),
            ]}
          />
          <tbody>
            {compute.budgets.length === 0 ? (
              <tr>
                <td colSpan={10} className="px-4 py-6 text-center text-slate-500">
                  {t('empty')}
                </td>
              </tr>
            ) : (
              compute.budgets.map((b) => {
                const available = Math.max(0, b.tokens);
                return (
                  <tr
                    key={b.project}
                    data-testid="compute-budget-row"
                    data-project={b.project}
                    data-tokens={b.tokens.toFixed(2)}
                    className="border-t border-slate-100 align-middle"
                  >
                    <td className="px-4 py-3 font-mono text-xs">{b.project}</td>
                    <td className="px-4 py-3">
                      <div className="flex items-center gap-2">
                        <div className="h-2 w-24 overflow-hidden rounded bg-slate-100" aria-hidden>
                          <div
                            className="h-full bg-sky-500"
                            style={{ width: `${Math.round((available / b.capacity) * 100)}%` }}
                          />
                        </div>
                        <span className="tabular-nums">
                          {Math.floor(available)} / {b.capacity}
                        </span>
                      </div>
                    </td>
                    <td className="px-4 py-3 tabular-nums">{formatRate(b.ratePerSecond)}/s</td>
                    <td className="px-4 py-3 tabular-nums">{b.granted}</td>
                    <td className="px-4 py-3 tabular-nums">{b.waited}</td>
                    <td className="px-4 py-3 tabular-nums">{formatMs(b.totalWaitMs)}</td>
                    <td className="px-4 py-3 tabular-nums">
                      {b.lastWait
                        ? t('lastWait', { wait: formatMs(b.lastWait.ms), ago: formatAgo(b.lastWait.at, now) })
                        : '—'}
                    </td>
                    <td className="px-4 py-3 tabular-nums" data-testid="operation-lane">
                      {b.lanes.operation.granted === 0
                        ? '—'
                        : t('operationLane', {
                            calls: b.lanes.operation.granted,
                            wait: formatMs(b.lanes.operation.maxWaitMs),
                          })}
                    </td>
                    <td className={`px-4 py-3 tabular-nums ${b.refused > 0 ? 'font-semibold text-red-700' : ''}`}>
                      {b.refused}
                    </td>
                    <td className="px-4 py-3">
                      <BudgetState budget={b} lowFraction={pace.lowFraction} />
                    </td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** The per-user limit of mutating actions (operations, chaos controls). */
export function ActionLimits({ view }: { view: RateLimitsView }) {
  const t = useTranslations('settings.budget');
  return (
    <p
      className="text-sm text-slate-600"
      data-testid="action-limits"
      data-per-minute={view.actions.perMinute}
      data-burst={view.actions.burst}
    >
      {t.rich('actionLimits', {
        actionBurst: view.actions.burst,
        actionsPerMinute: formatRate(view.actions.perMinute),
        previewBurst: view.previews.burst,
        previewsPerMinute: formatRate(view.previews.perMinute),
        strong: (chunks) => <strong>{chunks}</strong>,
      })}
    </p>
  );
}
