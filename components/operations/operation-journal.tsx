'use client';
import { useCan } from '@/components/auth/caller-context';
import { useQuery } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useLayoutEffect, useRef, useTransition, useState } from 'react';
import { cancelOperationAction } from '@/lib/actions/cancel-operation-action';
import { FALLBACK_POLL_MS, liveUrls, operationQuery } from '@/lib/client/queries';
import { useLiveFeed } from '@/lib/client/use-live-feed';
import { backupGateFailureOf } from '@/lib/core/backups';
import { TERMINAL_STATUSES, type OperationStepView, type OperationView } from '@/lib/core/operation-view';
import { stockoutOf } from '@/lib/core/stockout';
import { formatDuration, formatUtcDateTime, formatUtcTime } from '@/lib/core/format';
import type { PlanStep } from '@/lib/core/planner';
import { Badge, type Tone } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { CopyButton } from '@/components/ui/copy-button';
import { LiveIndicator } from '@/components/ui/live-indicator';
import { usePlanText } from '@/components/wizards/use-plan-text';
import type { CatalogTranslator } from '@/components/ui/param-words';
import { logWordsIn, type JournaledLine } from './log-words';
import { PlannedCalls } from './planned-calls';

const statusTone: Record<OperationView['status'], Tone> = {
  pending: 'neutral',
  running: 'info',
  cancelling: 'warn',
  succeeded: 'good',
  failed: 'bad',
  cancelled: 'warn',
};

/**
 * The log, oldest first, kept scrolled to its newest line while the reader is at the bottom (scrolling up to read
 * stops the following; back at the bottom it follows again). Keyboard-reachable, so it can be scrolled by keys.
 */
/** Journal sentences in the page's language, the steps they name worded from the plan's `steps`. */
function useLogWords(steps: OperationView['steps']) {
  const t = useTranslations('operations');
  const planText = usePlanText();
  return logWordsIn(t as unknown as CatalogTranslator, (index) => {
    const step = steps.find((s) => s.index === index);
    return step
      ? planText.step({ id: step.stepId, kind: step.kind as PlanStep['kind'], title: step.title, params: step.params })
      : null;
  });
}

function OperationLog({ lines, words }: { lines: OperationView['log']; words: (line: JournaledLine) => string }) {
  const t = useTranslations('operations.journal');
  const box = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [lines.length]);
  return (
    <div
      ref={box}
      role="log"
      aria-label={t('logLabel')}
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        following.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
      className="max-h-96 overflow-y-auto focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
      data-testid="operation-log"
    >
      <ol className="space-y-0.5 font-mono text-xs">
        {lines.map((l) => (
          <li
            key={l.id}
            className={l.level === 'error' ? 'text-red-700' : l.level === 'warn' ? 'text-amber-700' : 'text-slate-700'}
          >
            <time dateTime={l.at} className="text-slate-500">
              {formatUtcTime(l.at)}
            </time>{' '}
            {words(l)}
          </li>
        ))}
      </ol>
    </div>
  );
}

const stepMark: Record<OperationStepView['status'], string> = {
  pending: '○',
  running: '◐',
  done: '●',
  failed: '✕',
  skipped: '–',
};

function StepRow({
  step,
  showTransient,
  logWords,
}: {
  step: OperationStepView;
  showTransient: boolean;
  /** The journal's sentences in the page's language: a waiting step's progress is one. */
  logWords: (line: JournaledLine) => string;
}) {
  const t = useTranslations('operations.journal');
  const planText = usePlanText();
  const p = step.progress;
  // Worded from the plan's step (its kind and params) like the preview; the journal's English title otherwise.
  const words = { id: step.stepId, kind: step.kind as PlanStep['kind'], title: step.title, params: step.params };
  const transient = step.transient === null ? null : planText.transient({ ...words, transient: step.transient });
  return (
    <li
      data-testid="operation-step"
      data-status={step.status}
      data-kind={step.kind}
      className="rounded-md border border-slate-200 bg-white px-3 py-2 text-sm"
    >
      <div className="flex items-start gap-3">
        <span
          aria-hidden
          className={`w-4 text-center ${step.status === 'failed' ? 'text-red-600' : step.status === 'done' ? 'text-emerald-600' : step.status === 'running' ? 'text-sky-600' : 'text-slate-400'}`}
        >
          {stepMark[step.status]}
        </span>
        <div className="min-w-0 flex-1">
          <div className={step.status === 'skipped' ? 'text-slate-500 line-through' : ''}>{planText.step(words)}</div>
          {showTransient && transient && <div className="text-xs text-amber-700">{transient}</div>}
          {step.error && (
            <div className="mt-0.5 text-xs text-red-700">
              {step.errorSaid ? logWords({ message: step.error, said: step.errorSaid }) : step.error}
            </div>
          )}
          {step.status === 'running' && p && (
            <div className="mt-1.5 space-y-0.5" data-testid="step-progress">
              {p.fraction !== undefined && (
                <div
                  className="h-1.5 w-full rounded bg-slate-100"
                  role="progressbar"
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={Math.round(p.fraction * 100)}
                >
                  <div
                    className="h-1.5 rounded bg-sky-500 transition-all"
                    style={{ width: `${Math.min(100, Math.round(p.fraction * 100))}%` }}
                  />
                </div>
              )}
              <div className="text-xs text-slate-500">
                {p.message !== undefined && logWords({ message: p.message, said: p.said ?? null })}
                {p.etaSeconds !== undefined &&
                  ` · ${t('secondsLeft', { seconds: Math.max(1, Math.round(p.etaSeconds)) })}`}
              </div>
            </div>
          )}
        </div>
        <span className="shrink-0 text-right text-xs text-slate-500">
          {t(`stepStatus.${step.status}`)}
          {step.startedAt && step.endedAt && (
            <span data-testid="step-duration" className="block tabular-nums">
              {formatDuration(Date.parse(step.endedAt) - Date.parse(step.startedAt))}
            </span>
          )}
        </span>
      </div>
    </li>
  );
}

/** The live journal of one operation: steps with progress and ETA, outcome, log, the kube-up equivalent. */
export function OperationJournal({
  clusterId,
  opId,
  clusterName,
}: {
  clusterId: string;
  opId: string;
  clusterName: string;
}) {
  const query = operationQuery(clusterId, opId);
  const live = useLiveFeed<OperationView>(liveUrls.operation(opId), query.queryKey, (v) => v.observedAt);
  const { data } = useQuery({ ...query, refetchInterval: live.status === 'live' ? false : FALLBACK_POLL_MS });
  const [cancelMessage, setCancelMessage] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const canCancel = useCan('operator');
  const t = useTranslations('operations');
  const planText = usePlanText();
  const words = useLogWords(data?.steps ?? []);
  if (!data) return <p className="text-sm text-slate-500">{t('journal.reading')}</p>;
  const done = data.steps.filter((s) => s.status === 'done').length;
  const ended = TERMINAL_STATUSES.has(data.status);
  const stockout =
    data.status === 'failed' ? stockoutOf(data.steps.map((st) => ({ ...st, zone: st.zone ?? null }))) : null;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="min-w-0 flex-1 basis-72">
          <Link href={`/clusters/${encodeURIComponent(clusterId)}`} className="text-sm text-sky-700 hover:underline">
            ← {clusterName}
          </Link>
          <h1 className="mt-1 text-2xl font-semibold tracking-tight">
            {data.summaryWords
              ? planText.summary({
                  intent: { kind: data.summaryWords.intentKind },
                  summary: data.summary,
                  summaryParams: data.summaryWords.params,
                })
              : data.summary}
          </h1>
          <p className="text-sm text-slate-500">
            {t('journal.byline', {
              actor: data.actor,
              startedAt: formatUtcDateTime(data.createdAt),
              done,
              total: data.steps.length,
            })}
          </p>
        </div>
        <div className="flex shrink-0 flex-col items-start gap-2 sm:items-end">
          <Badge tone={statusTone[data.status]} testId="operation-status">
            {t(`status.${data.status}`)}
          </Badge>
          <LiveIndicator live={live} observedAt={data.observedAt} />
          {!ended && (
            <button
              disabled={pending || !canCancel.allowed || data.status === 'cancelling'}
              title={canCancel.reason ?? undefined}
              onClick={() =>
                startTransition(async () => {
                  const result = await cancelOperationAction({ operationId: opId });
                  setCancelMessage(result.ok ? t('journal.cancelRequested') : result.message);
                })
              }
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50"
            >
              {t('journal.cancel')}
            </button>
          )}
          {!ended && canCancel.reason && (
            <p className="max-w-64 text-right text-xs text-amber-800" data-testid="role-reason">
              {canCancel.reason}
            </p>
          )}
          {cancelMessage && <p className="text-xs text-slate-600">{cancelMessage}</p>}
        </div>
      </div>
      {data.outcome && (
        <div
          role="status"
          className={`rounded-md px-3 py-2 text-sm ${data.status === 'succeeded' ? 'bg-emerald-50 text-emerald-900' : 'bg-amber-50 text-amber-900'}`}
          data-testid="operation-outcome"
        >
          {words({ message: data.outcome, said: data.outcomeSaid })}
        </div>
      )}
      {backupGateFailureOf(data) && (
        <div
          role="note"
          className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
          data-testid="backup-gate-failure"
        >
          {t.rich('journal.backupGateFailure', {
            link: (chunks) => (
              <Link
                href={`/clusters/${encodeURIComponent(clusterId)}/change?afterBackupFailure=${opId}`}
                className="font-medium underline"
                data-testid="backup-override-link"
              >
                {chunks}
              </Link>
            ),
          })}
        </div>
      )}
      {stockout && (
        <div
          role="note"
          className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
          data-testid="stockout"
        >
          {t.rich('journal.stockout', {
            zone: stockout.zone,
            link: (chunks) => (
              <Link
                href={`/clusters/${encodeURIComponent(clusterId)}/change?afterStockout=${opId}`}
                className="font-medium underline"
                data-testid="stockout-offer-link"
              >
                {chunks}
              </Link>
            ),
          })}
        </div>
      )}
      <div className="grid gap-4 lg:grid-cols-[1fr_26rem]">
        <ol className="space-y-1" data-testid="operation-steps">
          {data.steps.map((step, i) => (
            // The planner's risk note is said once, where the risky state begins.
            <StepRow
              key={step.index}
              step={step}
              showTransient={step.transient !== null && step.transient !== data.steps[i - 1]?.transient}
              logWords={words}
            />
          ))}
        </ol>
        <div className="min-w-0 space-y-4">
          {data.calls && <PlannedCalls calls={data.calls} />}
          {data.kubeUpCommand && (
            <Card title={t('journal.kubeUp')}>
              <div className="flex items-start gap-2">
                <pre className="min-w-0 flex-1 whitespace-pre-wrap break-all text-xs">{data.kubeUpCommand}</pre>
                <CopyButton text={data.kubeUpCommand} what={t('journal.kubeUpCopy')} />
              </div>
            </Card>
          )}
          <Card title={t('journal.log')}>
            {data.log.length === 0 ? (
              <p className="text-sm text-slate-500">{t('journal.noLog')}</p>
            ) : (
              <OperationLog lines={data.log} words={words} />
            )}
          </Card>
        </div>
      </div>
    </div>
  );
}
