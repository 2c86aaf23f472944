import type { PlanCalls, PlannedCall } from '@/lib/core/dry-run';
import { pluralize } from '@/lib/core/format';

const mono = 'font-mono text-[11px] text-slate-800';

function CallLine({ call }: { call: PlannedCall }) {
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
          <span className="text-slate-500">Metadata of</span> <span className={mono}>{call.instance}</span>:{' '}
          <span className={mono}>{call.keys.join(', ')}</span>
          <span className="text-slate-500">
            {' '}
            (in its {call.via}){call.detail && `; ${call.detail}`}
          </span>
        </>
      );
    case 'ssh-key':
      return (
        <>
          <span className="text-slate-500">Quorum&apos;s SSH key published in the ssh-keys of</span>{' '}
          <span className={mono}>{call.instance}</span>
          <span className="text-slate-500"> (in its {call.via})</span>
        </>
      );
  }
}

/**
 * The dry run of a plan, by step: what it will change in Compute and etcd. Collapsed by default; the same list on
 * the preview and, as it was stored, on the operation page.
 */
export function PlannedCalls({ calls, open = false }: { calls: PlanCalls; open?: boolean }) {
  const steps = calls.steps.map((s, i) => ({ ...s, n: i + 1 })).filter((s) => s.calls.length > 0);
  const count = steps.reduce((n, s) => n + s.calls.length, 0);
  return (
    <details open={open} className="rounded-md border border-slate-200 bg-white text-sm" data-testid="planned-calls">
      <summary className="cursor-pointer select-none px-3 py-2 font-medium text-slate-800">
        What it will change: {pluralize(count, 'call')} in {pluralize(steps.length, 'step')}
      </summary>
      <div className="space-y-2 border-t border-slate-100 px-3 py-2">
        <p className="text-xs text-slate-500">
          Changes only: Compute mutations, etcd membership calls and snapshots, metadata written, SSH key publication.
          Reads (lists, status, probes) and retries of the same call are not listed.
        </p>
        {calls.chosenAtRunTime.length > 0 && (
          <p className="text-xs text-slate-600" data-testid="planned-calls-placeholders">
            {calls.chosenAtRunTime.join(', ')} {calls.chosenAtRunTime.length === 1 ? 'stands' : 'stand'} for a name
            picked when the change runs.
          </p>
        )}
        <ol className="space-y-2">
          {steps.map((s) => (
            <li key={s.stepId} data-testid="planned-calls-step" data-kind={s.kind}>
              <div className="text-xs font-medium text-slate-700">
                <span className="mr-1 font-mono text-slate-500">{s.n}</span>
                {s.title}
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
