'use client';
import Link from 'next/link';
import { useState, useTransition } from 'react';
import { previewPlanAction } from '@/lib/actions/preview-plan-action';
import { startOperationAction } from '@/lib/actions/start-operation-action';
import { ok, type DomainErrorCode, type Result } from '@/lib/core/errors';
import type { Tolerance } from '@/lib/core/layout';
import type { ClusterIntent, Plan } from '@/lib/core/planner';
import { Badge } from '@/components/ui/badge';
import { ConfirmAndRun } from './confirm-and-run';
import { PlanPreview, survivesSentence } from './plan-preview';
import { PlanRefusal } from './plan-refusal';

export type ZoneChoice = { zone: string; replicas: string[]; recommended: boolean; after: Tolerance | null; refusal: string | null; refusalCode: DomainErrorCode | null };
/** A zone of another region: listed so the operator sees why it is not offered. */
export type OutsideZoneChoice = { zone: string; refusal: string };
export type ReplicaChoice = { name: string; zone: string; health: string; leader: boolean };

type Mode = 'add' | 'remove' | 'scale';

const tabClass = (active: boolean) =>
  `rounded-md px-3 py-1.5 text-sm font-medium ${active ? 'bg-slate-900 text-white' : 'text-slate-600 hover:bg-slate-100'}`;

function RunningOperationLink({ clusterId, operationId }: { clusterId: string; operationId: string }) {
  return (
    <Link href={`/clusters/${encodeURIComponent(clusterId)}/operations/${operationId}`} className="mt-1 block font-medium underline" data-testid="running-operation-link">
      Open the running operation
    </Link>
  );
}

type WizardProps = {
  clusterId: string;
  masterName: string;
  zones: ZoneChoice[];
  outsideZones: OutsideZoneChoice[];
  replicas: ReplicaChoice[];
  /** The operation holding the cluster's lock when the page was rendered. */
  runningOperationId: string | null;
};

/** Add, remove or scale: pick, then preview the plan the server computed on a fresh observation. */
export function ChangeWizard({ clusterId, masterName, zones, outsideZones, replicas, runningOperationId }: WizardProps) {
  const [mode, setMode] = useState<Mode>('add');
  const [result, setResult] = useState<Result<Plan> | null>(null);
  const [pending, startTransition] = useTransition();
  const [removeZone, setRemoveZone] = useState(() => replicas[0]?.zone ?? '');
  const [removeName, setRemoveName] = useState('');
  const [target, setTarget] = useState(replicas.length === 1 ? 3 : replicas.length);

  // When every zone is refused for the same reason (one replica: an add would make two), say it once.
  const common = zones.length > 0 && zones.every((z) => z.refusal !== null && z.refusal === zones[0]?.refusal) ? (zones[0] ?? null) : null;
  const commonRefusal = common?.refusal ?? null;

  const preview = (intent: ClusterIntent) => {
    setResult(null);
    startTransition(async () => setResult(await previewPlanAction({ clusterId, intent })));
  };
  const switchMode = (next: Mode) => {
    setMode(next);
    setResult(null);
  };

  return (
    <div className="grid gap-6 lg:grid-cols-[24rem_1fr]">
      <div className="space-y-4">
        <div className="flex gap-1" role="tablist">
          {(['add', 'remove', 'scale'] as const).map((m) => (
            <button key={m} role="tab" aria-selected={mode === m} className={tabClass(mode === m)} onClick={() => switchMode(m)}>
              {m === 'add' ? 'Add replica' : m === 'remove' ? 'Remove replica' : 'Scale'}
            </button>
          ))}
        </div>

        {replicas.length === 1 && (
          <button
            className="w-full rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-left text-sm text-emerald-900 hover:bg-emerald-100"
            onClick={() => {
              switchMode('scale');
              setTarget(3);
              preview({ kind: 'scale', replicas: 3 });
            }}
          >
            <span className="font-semibold">Make it HA: 1 → 3 replicas</span>
            <span className="block text-xs">One plan: two replicas added in the emptiest zones, load balancer created first.</span>
          </button>
        )}

        {mode === 'add' && (
          <fieldset className="space-y-2" data-testid="zone-picker">
            <legend className="mb-1 text-sm text-slate-600">Zone for the new replica</legend>
            {commonRefusal && (
              <div role="note" data-code={common?.refusalCode} className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
                {commonRefusal}
                {common?.refusalCode === 'OperationInProgress' && runningOperationId && <RunningOperationLink clusterId={clusterId} operationId={runningOperationId} />}
              </div>
            )}
            {zones.map((z) => (
              <button
                key={z.zone}
                disabled={z.refusal !== null || pending}
                onClick={() => preview({ kind: 'add-replica', zone: z.zone })}
                className="flex w-full items-start justify-between gap-2 rounded-md border border-slate-200 bg-white px-3 py-2 text-left text-sm hover:border-sky-400 disabled:cursor-not-allowed disabled:opacity-60"
                data-zone={z.zone}
              >
                <span>
                  <span className="font-mono">{z.zone}</span>
                  <span className="block text-xs text-slate-500">
                    {z.replicas.length ? `now: ${z.replicas.join(', ')}` : 'no replica yet'}
                    {z.after && ` · after: ${survivesSentence(z.after)}`}
                    {z.refusal && !commonRefusal && ` · ${z.refusal}`}
                  </span>
                </span>
                {z.recommended && <Badge tone="good">recommended</Badge>}
              </button>
            ))}
            {outsideZones.length > 0 && (
              <details open className="pt-2" data-testid="outside-zones">
                <summary className="cursor-pointer text-sm text-slate-600">Zones in other regions: not allowed</summary>
                <div className="mt-2 space-y-2">
                  {outsideZones.map((z) => (
                    <button key={z.zone} disabled data-outside-zone={z.zone} className="block w-full cursor-not-allowed rounded-md border border-dashed border-slate-200 bg-slate-50 px-3 py-2 text-left text-sm text-slate-500">
                      <span className="font-mono">{z.zone}</span>
                      <span className="block text-xs">{z.refusal}</span>
                    </button>
                  ))}
                </div>
              </details>
            )}
          </fieldset>
        )}

        {mode === 'remove' && (
          <div className="space-y-3 text-sm">
            <label className="block">
              <span className="text-slate-600">Zone</span>
              <select className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5" value={removeZone} onChange={(e) => { setRemoveZone(e.target.value); setRemoveName(''); }}>
                {[...new Set(replicas.map((r) => r.zone))].map((z) => (
                  <option key={z} value={z}>{z}</option>
                ))}
              </select>
            </label>
            <label className="block">
              <span className="text-slate-600">Replica (optional)</span>
              <select className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5" value={removeName} onChange={(e) => setRemoveName(e.target.value)}>
                <option value="">Any (Quorum picks: unhealthy first, then not the leader)</option>
                {replicas.filter((r) => r.zone === removeZone).map((r) => (
                  <option key={r.name} value={r.name}>{r.name} ({r.health}{r.leader ? ', etcd leader' : ''})</option>
                ))}
              </select>
            </label>
            <button className="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white disabled:opacity-50" disabled={pending || !removeZone} onClick={() => preview({ kind: 'remove-replica', zone: removeZone, ...(removeName ? { name: removeName } : {}) })}>
              Preview removal
            </button>
          </div>
        )}

        {mode === 'scale' && (
          <div className="space-y-3 text-sm">
            <label className="block">
              <span className="text-slate-600">Replicas ({replicas.length} now)</span>
              <input type="number" min={1} max={7} value={target} onChange={(e) => setTarget(Number(e.target.value))} className="mt-1 block w-24 rounded-md border border-slate-300 px-2 py-1.5" />
            </label>
            <button className="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white disabled:opacity-50" disabled={pending} onClick={() => preview({ kind: 'scale', replicas: target })}>
              Preview
            </button>
          </div>
        )}
      </div>

      <div aria-live="polite" className="min-w-0">
        {pending && <p className="text-sm text-slate-500">Observing the cluster and planning…</p>}
        {!pending && result === null && <p className="text-sm text-slate-500">Choose a change to see the plan Quorum would follow.</p>}
        {!pending && result && !result.ok && (
          <PlanRefusal code={result.code} message={result.message}>
            {result.code === 'OperationInProgress' && runningOperationId && (
              <span className="text-red-800">
                <RunningOperationLink clusterId={clusterId} operationId={runningOperationId} />
              </span>
            )}
          </PlanRefusal>
        )}
        {!pending && result?.ok && (
          <div className="space-y-4">
            <PlanPreview plan={result.data} />
            <ConfirmAndRun
              confirmName={masterName}
              run={async (confirm) => {
                // The server re-plans the same intent on a fresh observation; the preview may be stale.
                const started = await startOperationAction({ clusterId, intent: result.data.intent as ClusterIntent, confirm });
                return started.ok ? ok({ operationId: started.data.operationId, clusterId }) : started;
              }}
            />
          </div>
        )}
      </div>
    </div>
  );
}
