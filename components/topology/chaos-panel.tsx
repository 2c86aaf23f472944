'use client';
import { useCan } from '@/components/auth/caller-context';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { useState, useTransition } from 'react';
import { applyChaosAction } from '@/lib/actions/apply-chaos-action';
import { readChaosStateAction } from '@/lib/actions/read-chaos-state-action';
import type { ChaosRequest } from '@/lib/actions/schemas';
import { queryKeys } from '@/lib/client/queries';
import { CHAOS_ETCD_TARGETS, injectedFaults, type ChaosInstance, type ChaosState } from '@/lib/core/chaos';
import type { Topology } from '@/lib/core/topology';
import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';

const button = 'rounded border px-2 py-0.5 text-xs font-medium disabled:cursor-not-allowed disabled:opacity-40';
const danger = `${button} border-red-300 bg-white text-red-800 hover:bg-red-50`;
const calm = `${button} border-slate-300 bg-white text-slate-700 hover:bg-slate-50`;

/**
 * Sandbox only (the page renders it only with QUORUM_PROVIDER=sandbox, and the actions refuse otherwise):
 * inject a failure into a replica or a zone of this cluster, then restore it, to rehearse detection and recovery.
 */
export function ChaosPanel({ clusterId, topology }: { clusterId: string; topology: Topology }) {
  const t = useTranslations('topology.chaos');
  const queryClient = useQueryClient();
  const key = queryKeys.chaos(clusterId);
  const state = useQuery({
    queryKey: key,
    queryFn: async (): Promise<ChaosState> => {
      const result = await readChaosStateAction({});
      if (!result.ok) throw new Error(result.message);
      return result.data;
    },
    // Faults change only through this panel or the sandbox's endpoints: a slow refresh is enough.
    refetchInterval: 5_000,
  });
  const [pending, startBusy] = useTransition();
  const can = useCan('operator');
  const busy = pending || !can.allowed;
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);

  const run = (what: string, request: ChaosRequest) =>
    startBusy(async () => {
      setNotice(null);
      const result = await applyChaosAction({ clusterId, request });
      if (result.ok) {
        queryClient.setQueryData(key, result.data);
        setNotice({ ok: true, text: t('done', { what }) });
      } else {
        setNotice({ ok: false, text: result.message });
      }
    });

  const instances = new Map((state.data?.instances ?? []).map((i) => [i.name, i]));
  const zonesDown = new Set(state.data?.zonesDown ?? []);
  return (
    <Card title={t('title')} aside={<Badge tone="warn">{t('sandboxOnly')}</Badge>}>
      <div data-testid="chaos-panel" className="space-y-3 text-sm">
        <p className="text-xs text-slate-500">{t('intro')}</p>
        {can.reason && (
          <p className="text-xs text-amber-800" data-testid="role-reason">
            {can.reason}
          </p>
        )}
        {state.error && <p className="text-xs text-red-700">{t('readError', { message: state.error.message })}</p>}
        <div className="grid gap-3 md:grid-cols-3">
          {topology.regionZones.map((zone) => {
            const replicas = topology.replicas.filter((r) => r.zone === zone);
            const down = zonesDown.has(zone);
            return (
              <section
                key={zone}
                data-testid="chaos-zone"
                data-zone={zone}
                data-down={down}
                className={`rounded-md border p-2 ${down ? 'border-red-300 bg-red-50/60' : 'border-slate-200'}`}
              >
                <header className="mb-2 flex items-center justify-between gap-2">
                  <span className="font-mono text-xs font-semibold">{zone}</span>
                  {down ? (
                    <button
                      type="button"
                      className={calm}
                      disabled={busy}
                      onClick={() => run(t('zoneUp.aria', { zone }), { scope: 'zone', zone, down: false })}
                      data-action="zone-up"
                      aria-label={t('zoneUp.aria', { zone })}
                    >
                      {t('zoneUp.label')}
                    </button>
                  ) : (
                    <button
                      type="button"
                      className={danger}
                      disabled={busy}
                      onClick={() => run(t('zoneDown.aria', { zone }), { scope: 'zone', zone, down: true })}
                      data-action="zone-down"
                      aria-label={t('zoneDown.aria', { zone })}
                    >
                      {t('zoneDown.label')}
                    </button>
                  )}
                </header>
                {replicas.length === 0 && <p className="text-xs text-slate-500">{t('noReplica')}</p>}
                <ul className="space-y-2">
                  {replicas.map((r) => (
                    <ChaosReplica
                      key={r.name}
                      name={r.name}
                      zone={zone}
                      instance={instances.get(r.name)}
                      busy={busy}
                      run={run}
                    />
                  ))}
                </ul>
              </section>
            );
          })}
        </div>
        {notice && (
          <p
            role={notice.ok ? 'status' : 'alert'}
            data-testid="chaos-notice"
            className={`text-xs ${notice.ok ? 'text-slate-600' : 'text-red-700'}`}
          >
            {notice.text}
          </p>
        )}
      </div>
    </Card>
  );
}

function ChaosReplica({
  name,
  zone,
  instance,
  busy,
  run,
}: {
  name: string;
  zone: string;
  instance: ChaosInstance | undefined;
  busy: boolean;
  run: (what: string, request: ChaosRequest) => void;
}) {
  const t = useTranslations('topology.chaos');
  const faults = instance ? injectedFaults(instance) : [];
  const running = instance?.status === 'RUNNING';
  const act = (what: string, action: Extract<ChaosRequest, { scope: 'replica' }>['action']) =>
    run(what, { scope: 'replica', name, zone, action });
  return (
    <li
      data-testid="chaos-replica"
      data-replica={name}
      className="rounded border border-slate-100 bg-slate-50/60 p-1.5"
    >
      <div className="flex items-baseline justify-between gap-2">
        <span className="font-mono text-xs break-all">{name}</span>
        <span className="text-right text-[11px]" data-testid="chaos-faults">
          {faults.length > 0 ? (
            <span className="font-medium text-red-700">
              {faults.map((f) => t(`faults.${f.kind}`, { ...f })).join(' · ')}
            </span>
          ) : (
            <span className="text-slate-500">{t('noFault')}</span>
          )}
        </span>
      </div>
      <div className="mt-1.5 flex flex-wrap items-center gap-1">
        <button
          type="button"
          className={danger}
          disabled={busy || !running}
          onClick={() => act(t('stopVm.done', { name }), { kind: 'stop-vm' })}
          data-action="stop-vm"
          aria-label={t('stopVm.aria', { name })}
        >
          {t('stopVm.label')}
        </button>
        {instance?.frozen && !instance.zoneDown ? (
          <button
            type="button"
            className={calm}
            disabled={busy}
            onClick={() => act(t('unfreeze.done', { name }), { kind: 'unfreeze' })}
            data-action="unfreeze"
            aria-label={t('unfreeze.aria', { name })}
          >
            {t('unfreeze.label')}
          </button>
        ) : (
          <button
            type="button"
            className={danger}
            disabled={busy || !running || instance?.zoneDown}
            onClick={() => act(t('freeze.done', { name }), { kind: 'freeze' })}
            data-action="freeze"
            aria-label={t('freeze.aria', { name })}
          >
            {t('freeze.label')}
          </button>
        )}
        <button
          type="button"
          className={`${calm} ml-auto`}
          disabled={busy || faults.length === 0 || instance?.zoneDown}
          onClick={() => act(t('restore.done', { name }), { kind: 'restore' })}
          data-action="restore"
          aria-label={t('restore.aria', { name })}
        >
          {t('restore.label')}
        </button>
      </div>
      <div className="mt-1 flex flex-wrap items-center gap-1">
        <span className="mr-0.5 text-[11px] text-slate-500">{t('killEtcd.label')}</span>
        {CHAOS_ETCD_TARGETS.map((etcd) => (
          <button
            key={etcd}
            type="button"
            className={danger}
            disabled={busy || !running}
            onClick={() => act(t('killEtcd.aria', { etcd, name }), { kind: 'kill-etcd', etcd })}
            data-action={`kill-etcd-${etcd}`}
            aria-label={t('killEtcd.aria', { etcd, name })}
          >
            {etcd}
          </button>
        ))}
      </div>
    </li>
  );
}
