import { useTranslations } from 'next-intl';
import type { Plan } from '@/lib/core/planner';
import type { Tolerance } from '@/lib/core/layout';
import { formatDuration } from '@/lib/core/format';
import { Badge } from '@/components/ui/badge';
import { PlannedCalls } from '@/components/operations/planned-calls';
import { CopyButton } from '@/components/ui/copy-button';
import { usePlanText } from './use-plan-text';

/**
 * What a layout survives, in the words the quorum gauge and the fleet use: `can lose 1 replica and 1 zone` (a hook: the
 * words are the reader's language).
 */
export function useSurvivesSentence(): (tolerance: Tolerance) => string {
  const t = useTranslations('wizards.survives');
  const tc = useTranslations('common');
  return (tolerance) => {
    // Before a new cluster's first master exists there is nothing to lose yet, rather than a lost quorum.
    if (tolerance.voters === 0) return t('noReplicaYet');
    if (!tolerance.hasQuorum) return t('noQuorum');
    return tc('tolerance.canLose', { replicas: tolerance.canLoseReplicas, zones: tolerance.canLoseZones });
  };
}

/** What a plan will do, step by step, and what the cluster survives before and after. */
export function PlanPreview({ plan }: { plan: Plan }) {
  const t = useTranslations('wizards.planPreview');
  const survivesSentence = useSurvivesSentence();
  const text = usePlanText();
  const stepsById = new Map(plan.steps.map((s) => [s.id, s]));
  return (
    <div className="space-y-4" data-testid="plan-preview">
      <div>
        <h2 className="text-lg font-semibold">{text.summary(plan)}</h2>
        <p className="text-sm text-slate-600" data-testid="plan-eta">
          {t('eta', { steps: plan.steps.length, duration: formatDuration(plan.etaSeconds * 1_000) })}
          {plan.newNames.length > 0 && (
            <>
              {' '}
              ·{' '}
              {t.rich('newNames', {
                count: plan.newNames.length,
                names: plan.newNames.join(', '),
                mono: (chunks) => (
                  <span className="font-mono" data-testid="plan-new-names">
                    {chunks}
                  </span>
                ),
              })}
            </>
          )}
        </p>
        <div className="mt-2 grid gap-2 text-sm sm:grid-cols-2">
          <div className="rounded-md bg-slate-100 px-3 py-2" data-testid="plan-before">
            <div className="text-xs uppercase tracking-wide text-slate-600">{t('now')}</div>
            {t('voters', { count: plan.before.voters })} · {survivesSentence(plan.before)}
          </div>
          <div className="rounded-md bg-emerald-50 px-3 py-2" data-testid="plan-after">
            <div className="text-xs uppercase tracking-wide text-emerald-700">{t('after')}</div>
            {t('voters', { count: plan.after.voters })} · {survivesSentence(plan.after)}
          </div>
        </div>
      </div>
      {plan.warnings.length > 0 && (
        <ul className="space-y-1" data-testid="plan-warnings">
          {plan.warnings.map((w) => (
            <li key={w.code} className="flex items-start gap-2 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
              <Badge tone="warn">{t('warning')}</Badge>
              <span>{text.warning(w)}</span>
            </li>
          ))}
        </ul>
      )}
      <ol className="space-y-1 text-sm" data-testid="plan-steps">
        {plan.steps.map((step, i) => (
          // On a phone what the cluster survives goes under the step's title, which keeps the width.
          <li
            key={step.id}
            className="flex flex-wrap gap-x-3 gap-y-0.5 rounded-md border border-slate-200 bg-white px-3 py-2"
          >
            <span className="w-6 shrink-0 text-right font-mono text-xs text-slate-500">{i + 1}</span>
            <div className="min-w-0 flex-1">
              <div>{text.step(step)}</div>
              {/* Said once where the risky state begins, not on every step that keeps it. */}
              {step.transient && step.transient !== plan.steps[i - 1]?.transient && (
                <div className="mt-0.5 text-xs text-amber-700">{text.transient(step)}</div>
              )}
            </div>
            <span
              className={`shrink-0 text-xs max-sm:w-full max-sm:pl-9 ${step.transient ? 'text-amber-700' : 'text-slate-500'}`}
            >
              {survivesSentence(step.toleranceAfter)}
            </span>
          </li>
        ))}
      </ol>
      <PlannedCalls
        calls={plan.calls}
        stepTitle={(s) => {
          const step = stepsById.get(s.stepId);
          return step ? text.step(step) : s.title;
        }}
      />
      <div>
        <div className="flex items-center justify-between gap-2">
          <div className="text-xs uppercase tracking-wide text-slate-500">{t('kubeUp')}</div>
          <CopyButton text={plan.kubeUpCommand} what={t('kubeUpCopy')} />
        </div>
        <pre className="mt-1 whitespace-pre-wrap break-all rounded-md bg-terminal px-3 py-2 text-xs text-terminal-text">
          {plan.kubeUpCommand}
        </pre>
      </div>
    </div>
  );
}
