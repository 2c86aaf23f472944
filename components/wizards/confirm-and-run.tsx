'use client';
import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import type { Result } from '@/lib/core/errors';
import type { Role } from '@/lib/core/roles';
import { useCan } from '@/components/auth/caller-context';
import { usePlanText, type RefusalWords } from './use-plan-text';

export type StartedOperation = { operationId: string; clusterId: string };

/**
 * Nothing changes until the operator types `confirmName` (the cluster's master name, or the new one for a
 * create); `run` calls the server action, which checks and plans again before it acts. On success the
 * browser goes to the live operation page; a refusal is shown in words.
 */
export function ConfirmAndRun({
  confirmName,
  run,
  label,
  role = 'operator',
}: {
  confirmName: string;
  run: (confirm: string) => Promise<Result<StartedOperation>>;
  label?: string;
  role?: Role;
}) {
  const t = useTranslations('wizards.confirmAndRun');
  const router = useRouter();
  const can = useCan(role);
  const [confirm, setConfirm] = useState('');
  const text = usePlanText();
  const [error, setError] = useState<RefusalWords | null>(null);
  const [running, startRunning] = useTransition();
  const start = () =>
    startRunning(async () => {
      setError(null);
      const started = await run(confirm);
      if (started.ok)
        router.push(`/clusters/${encodeURIComponent(started.data.clusterId)}/operations/${started.data.operationId}`);
      else setError(started);
    });
  return (
    <div className="space-y-2 rounded-lg border border-slate-300 bg-white p-4 text-sm" data-testid="confirm-run">
      <label className="block">
        <span className="text-slate-700">
          {t.rich('typeToConfirm', {
            name: confirmName,
            b: (chunks) => <span className="font-mono font-semibold">{chunks}</span>,
          })}
        </span>
        <input
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          disabled={!can.allowed}
          autoComplete="off"
          spellCheck={false}
          className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 font-mono disabled:bg-slate-50"
        />
      </label>
      <button
        onClick={start}
        disabled={running || !can.allowed || confirm.trim() !== confirmName}
        className="rounded-md bg-red-700 px-3 py-1.5 font-medium text-white hover:bg-red-800 disabled:opacity-50"
      >
        {running ? t('starting') : (label ?? t('runThisPlan'))}
      </button>
      {can.reason && (
        <p className="text-amber-800" data-testid="role-reason">
          {can.reason}
        </p>
      )}
      {error && (
        <p role="alert" className="text-red-700" data-testid="run-error">
          {text.refusal(error)}
        </p>
      )}
    </div>
  );
}
