import { useTranslations } from 'next-intl';
import type { ReactNode } from 'react';
import type { PlanCalls, PlannedCall, StepCalls } from '@/lib/core/dry-run';

const mono = 'font-mono text-[11px] text-slate-800';

const muted = (chunks: ReactNode) => <span className="text-slate-500">{chunks}</span>;
const code = (chunks: ReactNode) => <span className={mono}>{chunks}</span>;

function CallLine({ call }: { call: PlannedCall }) {
  const t = useTranslations('operations.plannedCalls');
  switch (call.kind) {
    case 'compute':
      return (
        <>
          <span className="text-slate-500">Compute</span> <span className={mono}>{call.method}</span>{' '}
          <span className={mono}>{call.resource}</span>
          {call.detail && <span className="text-slate-500"> · {call.detail}</span>}
        </>
      );
    case 'etcd':
      return (
        <>
          <span className="text-slate-500">etcd {call.cluster}</span> <span className={mono}>{call.call}</span>{' '}
          <span className={mono}>{call.member}</span>
        </>
      );
    case 'metadata':
      return (
        <>
          {t.rich('metadata', {
            instance: call.instance,
            keys: call.keys.join(', '),
            via: call.via,
            detail: call.detail ? `; ${call.detail}` : '',
            muted,
            mono: code,
          })}
        </>
      );
    case 'ssh-key':
      return (
        <>{t.rich('sshKey', { metadataKey: 'ssh-keys', instance: call.instance, via: call.via, muted, mono: code })}</>
      );
  }
}

/**
 * The dry run of a plan, by step: what it will change in Compute and etcd. Collapsed by default; the same list on
 * the preview and, as it was stored, on the operation page. `stepTitle` words a step's title in the reader's language
 * (the preview has the plan's steps for it); without it the stored English title is shown.
 */
export function PlannedCalls({
  calls,
  open = false,
  stepTitle = (s) => s.title,
}: {
  calls: PlanCalls;
  open?: boolean;
  stepTitle?: (step: StepCalls) => string;
}) {
  const steps = calls.steps.map((s, i) => ({ ...s, n: i + 1 })).filter((s) => s.calls.length > 0);
  const count = steps.reduce((n, s) => n + s.calls.length, 0);
  const t = useTranslations('operations.plannedCalls');
  return (
    <details open={open} className="rounded-md border border-slate-200 bg-white text-sm" data-testid="planned-calls">
      <summary className="cursor-pointer select-none px-3 py-2 font-medium text-slate-800">
        {t('summary', { calls: count, steps: steps.length })}
      </summary>
      <div className="space-y-2 border-t border-slate-100 px-3 py-2">
        <p className="text-xs text-slate-500">{t('scope')}</p>
        {calls.chosenAtRunTime.length > 0 && (
          <p className="text-xs text-slate-600" data-testid="planned-calls-placeholders">
            {t('placeholders', { names: calls.chosenAtRunTime.join(', '), count: calls.chosenAtRunTime.length })}
          </p>
        )}
        <ol className="space-y-2">
          {steps.map((s) => (
            <li key={s.stepId} data-testid="planned-calls-step" data-kind={s.kind}>
              <div className="text-xs font-medium text-slate-700">
                <span className="mr-1 font-mono text-slate-500">{s.n}</span>
                {stepTitle(s)}
              </div>
              <ul className="ml-5 mt-0.5 space-y-0.5 text-xs">
                {s.calls.map((c, j) => (
                  <li key={j} data-testid="planned-call" data-call-kind={c.kind} className="break-words">
                    <CallLine call={c} />
                    {'when' in c && c.when && <div className="text-amber-700">{c.when}</div>}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      </div>
    </details>
  );
}
