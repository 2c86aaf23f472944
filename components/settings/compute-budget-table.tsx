import { Badge } from '@/components/ui/badge';
import { formatAgo, pluralize } from '@/lib/core/format';
import type { ProjectBudget, RateLimitsView } from '@/lib/core/rate-limit';
import { TableHead } from '@/components/ui/table-head';

const formatRate = (perSecond: number) => (Number.isInteger(perSecond) ? String(perSecond) : perSecond.toFixed(2));
const formatMs = (ms: number) =>
  ms < 1_000 ? `${Math.round(ms)} ms` : ms % 1_000 === 0 ? `${ms / 1_000} s` : `${(ms / 1_000).toFixed(1)} s`;

function BudgetState({ budget, lowFraction }: { budget: ProjectBudget; lowFraction: number }) {
  if (budget.pausedUntil !== null) return <Badge tone="bad">paused: Compute said rateLimitExceeded</Badge>;
  if (budget.waiting > 0) return <Badge tone="bad">{pluralize(budget.waiting, 'call')} waiting</Badge>;
  if (budget.tokens < lowFraction * budget.capacity) return <Badge tone="warn">low: live views slowed</Badge>;
  return <Badge tone="good">ok</Badge>;
}

/** Per GCE project: the Compute API token bucket now and what it has done to calls since the server started. */
export function ComputeBudgetTable({ view }: { view: RateLimitsView }) {
  const { compute, pace } = view;
  const now = new Date(view.observedAt);
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-600">
        Each project may make <strong>{formatRate(compute.ratePerSecond)}</strong> Compute API calls per second, in
        bursts of up to <strong>{compute.burst}</strong>. A call that finds the bucket empty waits for its turn (at most{' '}
        {formatMs(compute.maxWaitMs)}, then it fails). Below {Math.round(pace.lowFraction * 100)}% of a bucket, live
        views of that project refresh less often (up to every {formatMs(pace.maxIntervalMs)}) until it has refilled.
        {compute.operationShare > 0 ? (
          <>
            {' '}
            <strong>{Math.round(compute.operationShare * 100)}%</strong> of the rate is reserved for running operations:
            their calls never wait behind live views, which slow down first.
          </>
        ) : null}
        {compute.perMinute !== null ? (
          <>
            {' '}
            Each of Google&apos;s quota groups (reads, lists, operation reads, mutations) is also held to{' '}
            <strong>{compute.perMinute}</strong> requests a minute, and a <code>rateLimitExceeded</code> answer pauses
            the project&apos;s calls, longer each time.
          </>
        ) : null}
      </p>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
        <table className="w-full text-sm" data-testid="compute-budget">
          <TableHead
            columns={[
              'Project',
              'Tokens now',
              'Rate',
              'Calls',
              'Waited',
              'Total wait',
              'Last wait',
              'Operation calls',
              'Refused',
              'State',
            ]}
          />
          <tbody>
            {compute.budgets.length === 0 ? (
              <tr>
                <td colSpan={10} className="px-4 py-6 text-center text-slate-500">
                  No Compute API call yet.
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
                      {b.lastWait ? `${formatMs(b.lastWait.ms)}, ${formatAgo(b.lastWait.at, now)}` : '—'}
                    </td>
                    <td className="px-4 py-3 tabular-nums" data-testid="operation-lane">
                      {b.lanes.operation.granted === 0
                        ? '—'
                        : `${b.lanes.operation.granted}, longest wait ${formatMs(b.lanes.operation.maxWaitMs)}`}
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
  return (
    <p
      className="text-sm text-slate-600"
      data-testid="action-limits"
      data-per-minute={view.actions.perMinute}
      data-burst={view.actions.burst}
    >
      Each signed-in user may start <strong>{view.actions.burst}</strong> changes (operations, chaos controls) in a row,
      then <strong>{formatRate(view.actions.perMinute)}</strong> per minute, and ask for{' '}
      <strong>{view.previews.burst}</strong> plan previews in a row, then{' '}
      <strong>{formatRate(view.previews.perMinute)}</strong> per minute (each reads Compute afresh). Past that an action
      is refused with the time to wait before trying again. Sign-in attempts are limited separately.
    </p>
  );
}
