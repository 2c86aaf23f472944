'use client';
import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useEffect, useId, useState, useTransition, type KeyboardEvent } from 'react';
import { readStockoutOfferAction, type StockoutOfferView } from '@/lib/actions/read-stockout-offer-action';
import { readBackupGateFailureAction, type BackupGateFailure } from '@/lib/actions/read-backup-gate-failure-action';
import { previewPlanAction } from '@/lib/actions/preview-plan-action';
import { startOperationAction } from '@/lib/actions/start-operation-action';
import { ok, type DomainErrorCode, type Result } from '@/lib/core/errors';
import type { Tolerance } from '@/lib/core/layout';
import type { ClusterIntent, Plan, PlanParams } from '@/lib/core/planner';
import { Badge } from '@/components/ui/badge';
import { ConfirmAndRun } from './confirm-and-run';
import { PlanPreview, useSurvivesSentence } from './plan-preview';
import { PlanRefusal } from './plan-refusal';
import { usePlanText } from './use-plan-text';

export type ZoneChoice = {
  zone: string;
  replicas: string[];
  recommended: boolean;
  after: Tolerance | null;
  refusal: string | null;
  refusalCode: DomainErrorCode | null;
  /** The planner's words for `refusal` (Refusal.params), to say it in the reader's language. */
  refusalParams: PlanParams | null;
};
/** A zone of another region: listed so the operator sees why it is not offered. */
export type OutsideZoneChoice = { zone: string; refusal: string; refusalParams: PlanParams | null };
export type ReplicaChoice = { name: string; zone: string; health: string; leader: boolean };

const MODES = ['add', 'remove', 'scale'] as const;
type Mode = (typeof MODES)[number];

const REPLICA_HEALTHS = ['healthy', 'unhealthy', 'unknown'] as const;
const isReplicaHealth = (h: string): h is (typeof REPLICA_HEALTHS)[number] =>
  (REPLICA_HEALTHS as readonly string[]).includes(h);

const tabClass = (active: boolean) =>
  `rounded-md px-3 py-1.5 text-sm font-medium ${active ? 'bg-slate-900 text-white' : 'text-slate-600 hover:bg-slate-100'}`;

function RunningOperationLink({ clusterId, operationId }: { clusterId: string; operationId: string }) {
  const t = useTranslations('wizards.changeWizard');
  return (
    <Link
      href={`/clusters/${encodeURIComponent(clusterId)}/operations/${operationId}`}
      className="mt-1 block font-medium underline"
      data-testid="running-operation-link"
    >
      {t('openRunningOperation')}
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

/**
 * Offered only after the backup gate stopped this very change (the operation page links here with
 * `?afterBackupFailure=<id>`): the operator may run it without a verified snapshot, giving a reason that the
 * audit log records with who did it.
 */
function BackupOverride({
  failure,
  on,
  reason,
  setOn,
  setReason,
}: {
  failure: BackupGateFailure;
  on: boolean;
  reason: string;
  setOn: (v: boolean) => void;
  setReason: (v: string) => void;
}) {
  const t = useTranslations('wizards.changeWizard.backupOverride');
  return (
    <div
      className="space-y-2 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950"
      data-testid="backup-override"
    >
      <label className="flex items-start gap-2">
        <input
          type="checkbox"
          checked={on}
          onChange={(e) => setOn(e.target.checked)}
          className="mt-0.5"
          data-testid="backup-override-toggle"
        />
        <span>
          {t.rich('toggle', {
            error: failure.error,
            b: (chunks) => <span className="font-semibold">{chunks}</span>,
          })}
        </span>
      </label>
      {on && (
        <label className="block">
          <span>{t('reasonLabel')}</span>
          <textarea
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            rows={2}
            maxLength={500}
            className="mt-1 block w-full rounded-md border border-amber-300 bg-white px-2 py-1.5"
            data-testid="backup-override-reason"
          />
          {reason.trim().length < 10 && <span className="text-xs text-amber-800">{t('reasonTooShort')}</span>}
        </label>
      )}
    </div>
  );
}

/** Add, remove or scale: pick, then preview the plan the server computed on a fresh observation. */
export function ChangeWizard({
  clusterId,
  masterName,
  zones,
  outsideZones,
  replicas,
  runningOperationId,
}: WizardProps) {
  const t = useTranslations('wizards.changeWizard');
  const survives = useSurvivesSentence();
  const text = usePlanText();
  const zoneRefusal = (z: ZoneChoice) =>
    z.refusal === null
      ? null
      : text.refusal({ code: z.refusalCode, message: z.refusal, params: z.refusalParams ?? undefined });
  const [mode, setMode] = useState<Mode>('add');
  const [result, setResult] = useState<Result<Plan> | null>(null);
  const [pending, startTransition] = useTransition();
  const [removeZone, setRemoveZone] = useState(() => replicas[0]?.zone ?? '');
  const [removeName, setRemoveName] = useState('');
  const [target, setTarget] = useState(replicas.length === 1 ? 3 : replicas.length);
  const afterBackupFailure = useSearchParams().get('afterBackupFailure');
  const [gateFailure, setGateFailure] = useState<BackupGateFailure | null>(null);
  const [overrideOn, setOverrideOn] = useState(false);
  const [overrideReason, setOverrideReason] = useState('');
  useEffect(() => {
    if (!afterBackupFailure) return;
    let current = true;
    void readBackupGateFailureAction({ clusterId, operationId: afterBackupFailure }).then((r) => {
      if (current) setGateFailure(r.ok ? r.data : null);
    });
    return () => {
      current = false;
    };
  }, [clusterId, afterBackupFailure]);
  // After a stockout the same change is planned at once in the best other zone (readStockoutOfferAction).
  const afterStockout = useSearchParams().get('afterStockout');
  const [stockout, setStockout] = useState<StockoutOfferView | null>(null);
  useEffect(() => {
    if (!afterStockout) return;
    let current = true;
    void readStockoutOfferAction({ clusterId, operationId: afterStockout }).then((r) => {
      if (!current || !r.ok || !r.data) return;
      const offer = r.data;
      setStockout(offer);
      if (offer.intent.kind === 'add-replica') setMode('add');
      setResult(null);
      startTransition(async () => setResult(await previewPlanAction({ clusterId, intent: offer.intent })));
    });
    return () => {
      current = false;
    };
  }, [clusterId, afterStockout]);
  // The override is offered for exactly the change the gate stopped, never for another one.
  const offerOverride =
    gateFailure !== null &&
    result?.ok === true &&
    JSON.stringify(result.data.intent) === JSON.stringify(gateFailure.intent);

  // When every zone is refused for the same reason (one replica: an add would make two), say it once.
  const common =
    zones.length > 0 && zones.every((z) => z.refusal !== null && z.refusal === zones[0]?.refusal)
      ? (zones[0] ?? null)
      : null;
  const commonRefusal = common ? zoneRefusal(common) : null;

  const preview = (intent: ClusterIntent) => {
    setResult(null);
    startTransition(async () => setResult(await previewPlanAction({ clusterId, intent })));
  };
  const switchMode = (next: Mode) => {
    setMode(next);
    setResult(null);
  };
  const ids = useId();
  const tabId = (m: Mode) => `${ids}-tab-${m}`;
  const panelId = `${ids}-panel`;
  const zoneNameId = (zone: string) => `${ids}-zone-${zone}`;
  const zoneDetailId = (zone: string) => `${ids}-zone-${zone}-detail`;
  const zoneBadgeId = (zone: string) => `${ids}-zone-${zone}-badge`;
  // The ARIA tabs pattern: one tab stop for the list, arrow keys (and Home, End) move to and open the others.
  const onTabKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = MODES.indexOf(mode);
    const next = {
      ArrowRight: MODES[(i + 1) % MODES.length],
      ArrowLeft: MODES[(i + MODES.length - 1) % MODES.length],
      Home: MODES[0],
      End: MODES[MODES.length - 1],
    }[e.key];
    if (!next) return;
    e.preventDefault();
    if (next !== mode) switchMode(next);
    document.getElementById(tabId(next))?.focus();
  };

  return (
    <div className="grid gap-6 lg:grid-cols-[24rem_1fr]">
      <div className="space-y-4">
        <div className="flex flex-wrap gap-1" role="tablist" aria-label={t('tabsLabel')} onKeyDown={onTabKey}>
          {MODES.map((m) => (
            <button
              key={m}
              id={tabId(m)}
              type="button"
              role="tab"
              aria-selected={mode === m}
              aria-controls={panelId}
              tabIndex={mode === m ? 0 : -1}
              className={tabClass(mode === m)}
              onClick={() => switchMode(m)}
            >
              {t(`mode.${m}`)}
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
            <span className="font-semibold">{t('makeHa.title')}</span>
            <span className="block text-xs">{t('makeHa.detail')}</span>
          </button>
        )}

        <div role="tabpanel" id={panelId} aria-labelledby={tabId(mode)}>
          {mode === 'add' && (
            <fieldset className="space-y-2" data-testid="zone-picker">
              <legend className="mb-1 text-sm text-slate-600">{t('add.legend')}</legend>
              {commonRefusal && (
                <div
                  role="note"
                  data-code={common?.refusalCode}
                  className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900"
                >
                  {commonRefusal}
                  {common?.refusalCode === 'OperationInProgress' && runningOperationId && (
                    <RunningOperationLink clusterId={clusterId} operationId={runningOperationId} />
                  )}
                </div>
              )}
              {zones.map((z) => (
                // Named by its zone alone (a paragraph is no name); what is there and what it survives is the description.
                <button
                  key={z.zone}
                  type="button"
                  aria-labelledby={zoneNameId(z.zone)}
                  aria-describedby={`${zoneDetailId(z.zone)} ${zoneBadgeId(z.zone)}`}
                  disabled={z.refusal !== null || pending}
                  onClick={() => preview({ kind: 'add-replica', zone: z.zone })}
                  className="flex w-full items-start justify-between gap-2 rounded-md border border-slate-200 bg-white px-3 py-2 text-left text-sm hover:border-sky-400 disabled:cursor-not-allowed disabled:opacity-60"
                  data-zone={z.zone}
                >
                  <span className="min-w-0">
                    <span className="font-mono" id={zoneNameId(z.zone)}>
                      {z.zone}
                    </span>
                    <span className="block text-xs text-slate-500" id={zoneDetailId(z.zone)}>
                      {z.replicas.length ? t('add.now', { replicas: z.replicas.join(', ') }) : t('add.noReplicaYet')}
                      {z.after && ` · ${t('add.after', { survives: survives(z.after) })}`}
                      {z.refusal && !commonRefusal && ` · ${zoneRefusal(z)}`}
                    </span>
                  </span>
                  <span id={zoneBadgeId(z.zone)} className="shrink-0">
                    {stockout?.exhaustedZone === z.zone ? (
                      <Badge tone="warn">{t('add.outOfCapacity')}</Badge>
                    ) : (
                      (stockout ? stockout.zone === z.zone : z.recommended) && (
                        <Badge tone="good">{t('add.recommended')}</Badge>
                      )
                    )}
                  </span>
                </button>
              ))}
              {outsideZones.length > 0 && (
                <details open className="pt-2" data-testid="outside-zones">
                  <summary className="cursor-pointer text-sm text-slate-600">{t('add.outsideZones')}</summary>
                  <div className="mt-2 space-y-2">
                    {outsideZones.map((z) => (
                      <button
                        key={z.zone}
                        type="button"
                        disabled
                        aria-labelledby={zoneNameId(z.zone)}
                        aria-describedby={zoneDetailId(z.zone)}
                        data-outside-zone={z.zone}
                        className="block w-full cursor-not-allowed rounded-md border border-dashed border-slate-200 bg-slate-50 px-3 py-2 text-left text-sm text-slate-500"
                      >
                        <span className="font-mono" id={zoneNameId(z.zone)}>
                          {z.zone}
                        </span>
                        <span className="block text-xs" id={zoneDetailId(z.zone)}>
                          {text.refusal({
                            code: 'ZoneOutsideRegion',
                            message: z.refusal,
                            params: z.refusalParams ?? undefined,
                          })}
                        </span>
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
                <span className="text-slate-600">{t('remove.zone')}</span>
                <select
                  className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5"
                  value={removeZone}
                  onChange={(e) => {
                    setRemoveZone(e.target.value);
                    setRemoveName('');
                  }}
                >
                  {[...new Set(replicas.map((r) => r.zone))].map((z) => (
                    <option key={z} value={z}>
                      {z}
                    </option>
                  ))}
                </select>
              </label>
              <label className="block">
                <span className="text-slate-600">{t('remove.replica')}</span>
                <select
                  className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5"
                  value={removeName}
                  onChange={(e) => setRemoveName(e.target.value)}
                >
                  <option value="">{t('remove.any')}</option>
                  {replicas
                    .filter((r) => r.zone === removeZone)
                    .map((r) => (
                      <option key={r.name} value={r.name}>
                        {t(r.leader ? 'remove.optionLeader' : 'remove.option', {
                          name: r.name,
                          health: isReplicaHealth(r.health) ? t(`health.${r.health}`) : r.health,
                        })}
                      </option>
                    ))}
                </select>
              </label>
              <button
                className="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white disabled:opacity-50"
                disabled={pending || !removeZone}
                onClick={() =>
                  preview({ kind: 'remove-replica', zone: removeZone, ...(removeName ? { name: removeName } : {}) })
                }
              >
                {t('remove.preview')}
              </button>
            </div>
          )}

          {mode === 'scale' && (
            <div className="space-y-3 text-sm">
              <label className="block">
                <span className="text-slate-600">{t('scale.replicas', { count: replicas.length })}</span>
                <input
                  type="number"
                  min={1}
                  max={7}
                  value={target}
                  onChange={(e) => setTarget(Number(e.target.value))}
                  className="mt-1 block w-24 rounded-md border border-slate-300 px-2 py-1.5"
                />
              </label>
              <button
                className="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white disabled:opacity-50"
                disabled={pending}
                onClick={() => preview({ kind: 'scale', replicas: target })}
              >
                {t('scale.preview')}
              </button>
            </div>
          )}
        </div>
      </div>

      <div aria-live="polite" className="min-w-0 space-y-4">
        {gateFailure && (
          <div
            role="note"
            className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
            data-testid="backup-gate-stopped"
          >
            {t.rich('backupGateStopped', {
              link: (chunks) => (
                <Link
                  href={`/clusters/${encodeURIComponent(clusterId)}/operations/${gateFailure.operationId}`}
                  className="font-medium underline"
                >
                  {chunks}
                </Link>
              ),
              button: (chunks) => (
                <button
                  className="font-medium underline"
                  disabled={pending}
                  onClick={() => preview(gateFailure.intent)}
                  data-testid="preview-stopped-change"
                >
                  {chunks}
                </button>
              ),
            })}
          </div>
        )}
        {stockout && (
          <div
            role="note"
            className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
            data-testid="stockout-offer"
            data-zone={stockout.zone}
          >
            {t.rich('stockoutOffer', {
              message: stockout.message,
              link: (chunks) => (
                <Link
                  href={`/clusters/${encodeURIComponent(clusterId)}/operations/${stockout.operationId}`}
                  className="font-medium underline"
                >
                  {chunks}
                </Link>
              ),
            })}
          </div>
        )}
        {pending && <p className="text-sm text-slate-500">{t('planning')}</p>}
        {!pending && result === null && <p className="text-sm text-slate-500">{t('empty')}</p>}
        {!pending && result && !result.ok && (
          <PlanRefusal code={result.code} message={result.message} params={result.params}>
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
            {offerOverride && (
              <BackupOverride
                failure={gateFailure}
                on={overrideOn}
                reason={overrideReason}
                setOn={setOverrideOn}
                setReason={setOverrideReason}
              />
            )}
            <ConfirmAndRun
              confirmName={masterName}
              {...(offerOverride && overrideOn ? { label: t('runWithoutBackup'), role: 'admin' as const } : {})}
              run={async (confirm) => {
                // The server re-plans the same intent on a fresh observation; the preview may be stale.
                const intent = result.data.intent as ClusterIntent;
                const backupOverride =
                  offerOverride && overrideOn
                    ? { reason: overrideReason, failedOperationId: gateFailure.operationId }
                    : null;
                const previewed = { fingerprint: result.data.fingerprint, newNames: result.data.newNames };
                const started = await startOperationAction({
                  clusterId,
                  intent,
                  confirm,
                  previewed,
                  ...(backupOverride ? { backupOverride } : {}),
                });
                // The cluster changed since the preview: nothing ran; the new plan replaces the old one, to be confirmed again.
                if (!started.ok && started.code === 'PlanChanged' && started.newPlan) setResult(ok(started.newPlan));
                return started.ok ? ok({ operationId: started.data.operationId, clusterId }) : started;
              }}
            />
          </div>
        )}
      </div>
    </div>
  );
}
