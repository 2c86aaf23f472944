import type { Plan } from '@/lib/core/planner';
import type { Tolerance } from '@/lib/core/layout';
import { formatDuration, pluralize } from '@/lib/core/format';
import { Badge } from '@/components/ui/badge';
import { PlannedCalls } from '@/components/operations/planned-calls';
import { CopyButton } from '@/components/ui/copy-button';

export function survivesSentence(t: Tolerance): string {
  // Before a new cluster's first master exists there is nothing to lose yet, rather than a lost quorum.
  if (t.voters === 0) return 'no replica yet';
  if (!t.hasQuorum) return 'has no quorum';
  return `survives ${pluralize(t.canLoseReplicas, 'replica')} and ${pluralize(t.canLoseZones, 'zone')}`;
}

/** What a plan will do, step by step, and what the cluster survives before and after. */
export function PlanPreview({ plan }: { plan: Plan }) {
  return (
    <div className="space-y-4" data-testid="plan-preview">
      <div>
        <h2 className="text-lg font-semibold">{plan.summary}</h2>
        <p className="text-sm text-slate-600" data-testid="plan-eta">
          {pluralize(plan.steps.length, 'step')}, about {formatDuration(plan.etaSeconds * 1_000)} on Compute Engine (an
          estimate)
          {plan.newNames.length > 0 && (
            <>
              {' '}
              · new {plan.newNames.length === 1 ? 'replica' : 'replicas'}:{' '}
              <span className="font-mono" data-testid="plan-new-names">
                {plan.newNames.join(', ')}
              </span>
            </>
          )}
        </p>
        <div className="mt-2 grid gap-2 text-sm sm:grid-cols-2">
          <div className="rounded-md bg-slate-100 px-3 py-2" data-testid="plan-before">
            <div className="text-xs uppercase tracking-wide text-slate-600">Now</div>
            {pluralize(plan.before.voters, 'voter')} · {survivesSentence(plan.before)}
          </div>
          <div className="rounded-md bg-emerald-50 px-3 py-2" data-testid="plan-after">
            <div className="text-xs uppercase tracking-wide text-emerald-700">After</div>
            {pluralize(plan.after.voters, 'voter')} · {survivesSentence(plan.after)}
          </div>
        </div>
      </div>
      {plan.warnings.length > 0 && (
        <ul className="space-y-1" data-testid="plan-warnings">
          {plan.warnings.map((w) => (
            <li key={w.code} className="flex items-start gap-2 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
              <Badge tone="warn">warning</Badge>
              <span>{w.message}</span>
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
              <div>{step.title}</div>
              {/* Said once where the risky state begins, not on every step that keeps it. */}
              {step.transient && step.transient !== plan.steps[i - 1]?.transient && (
                <div className="mt-0.5 text-xs text-amber-700">{step.transient}</div>
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
      <PlannedCalls calls={plan.calls} />
      <div>
        <div className="flex items-center justify-between gap-2">
          <div className="text-xs uppercase tracking-wide text-slate-500">The same with kube-up</div>
          <CopyButton text={plan.kubeUpCommand} what="the kube-up command" />
        </div>
        <pre className="mt-1 whitespace-pre-wrap break-all rounded-md bg-terminal px-3 py-2 text-xs text-terminal-text">
          {plan.kubeUpCommand}
        </pre>
      </div>
    </div>
  );
}
