'use client';
import { useQuery } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useId, useState, useTransition, type ReactNode } from 'react';
import { previewPlanAction } from '@/lib/actions/preview-plan-action';
import { startOperationAction } from '@/lib/actions/start-operation-action';
import { clusterViewQuery, FALLBACK_POLL_MS, liveUrls, recoveryUrls } from '@/lib/client/queries';
import { useLiveFeed } from '@/lib/client/use-live-feed';
import type { SnapshotListing } from '@/lib/core/backups';
import { quorumLostRunbook } from '@/lib/core/runbook';
import type { EtcdClusterName } from '@/lib/core/topology';
import { ok, type Result } from '@/lib/core/errors';
import { planOperation, type ClusterIntent, type Plan } from '@/lib/core/planner';
import { replacementZoneChoices, type ClusterView, type ReplacementZoneChoice } from '@/lib/core/view';
import { Badge } from '@/components/ui/badge';
import { ReplicaFailure } from '@/components/topology/replica-failure';
import { QuorumLostRunbookView } from './quorum-lost-runbook';
import { ConfirmAndRun } from '@/components/wizards/confirm-and-run';
import { PlanPreview, useSurvivesSentence } from '@/components/wizards/plan-preview';
import { PlanRefusal } from '@/components/wizards/plan-refusal';
import { usePlanText } from '@/components/wizards/use-plan-text';
import { useFindingText } from '@/components/quorum/use-finding-text';

export type RecoveryTarget =
  { kind: 'replica'; replica: string } | { kind: 'rebalance'; zone: string } | { kind: 'choose' };

type Props = {
  clusterId: string;
  initialView: ClusterView;
  target: RecoveryTarget;
  runningOperationId: string | null;
  /** The cluster's verified snapshots, for the disaster-recovery runbook shown while etcd has no quorum. */
  snapshots: SnapshotListing[];
  /** Absolute folder of each etcd cluster's snapshot files on the Quorum server, for the runbook's copy command. */
  snapshotFolders: Record<EtcdClusterName, string>;
};

function Section({ n, title, children, testId }: { n: number; title: string; children: ReactNode; testId: string }) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid={testId}>
      <h2 className="mb-3 flex items-center gap-2 text-base font-semibold">
        <span className="flex h-6 w-6 items-center justify-center rounded-full bg-slate-900 text-xs text-white">
          {n}
        </span>
        {title}
      </h2>
      {children}
    </section>
  );
}

/** Preview (fresh server-side plan), then confirm and run; the operation page shows the run and its verification. */
function PreviewAndRun({
  clusterId,
  masterName,
  intent,
  label,
  runningOperationId,
  testId = 'preview-recovery',
}: {
  clusterId: string;
  masterName: string;
  intent: ClusterIntent;
  label: string;
  runningOperationId: string | null;
  testId?: string;
}) {
  const t = useTranslations('recovery.wizard');
  const [result, setResult] = useState<{ intent: string; plan: Result<Plan> } | null>(null);
  const [pending, startTransition] = useTransition();
  const key = JSON.stringify(intent);
  const current = result?.intent === key ? result.plan : null;
  return (
    <div className="space-y-4">
      <button
        className="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50"
        disabled={pending}
        onClick={() =>
          startTransition(async () => setResult({ intent: key, plan: await previewPlanAction({ clusterId, intent }) }))
        }
        data-testid={testId}
      >
        {pending ? t('planning') : label}
      </button>
      {current && !current.ok && (
        <PlanRefusal code={current.code} message={current.message} params={current.params}>
          {current.code === 'OperationInProgress' && runningOperationId && (
            <Link
              href={`/clusters/${encodeURIComponent(clusterId)}/operations/${runningOperationId}`}
              className="mt-1 block font-medium text-red-800 underline"
            >
              {t('openRunningOperation')}
            </Link>
          )}
        </PlanRefusal>
      )}
      {current?.ok && (
        <>
          <PlanPreview plan={current.data} />
          <ConfirmAndRun
            confirmName={masterName}
            label={t('runRecovery')}
            run={async (confirm) => {
              const previewed = { fingerprint: current.data.fingerprint, newNames: current.data.newNames };
              const started = await startOperationAction({
                clusterId,
                intent: current.data.intent as ClusterIntent,
                confirm,
                previewed,
              });
              // The cluster changed since the preview: nothing ran; the new plan replaces the old one, to be confirmed again.
              if (!started.ok && started.code === 'PlanChanged' && started.newPlan)
                setResult({ intent: key, plan: ok(started.newPlan) });
              return started.ok ? ok({ operationId: started.data.operationId, clusterId }) : started;
            }}
          />
          <p className="text-xs text-slate-500">{t('verifyStep')}</p>
        </>
      )}
    </div>
  );
}

function ReplaceReplica({
  clusterId,
  view,
  replica,
  runningOperationId,
}: {
  clusterId: string;
  view: ClusterView;
  replica: string;
  runningOperationId: string | null;
}) {
  const tr = useTranslations('recovery.replace');
  const tw = useTranslations('recovery.wizard');
  const survivesSentence = useSurvivesSentence();
  const text = usePlanText();
  const { topology: t, assessment: a } = view;
  const r = t.replicas.find((x) => x.name === replica);
  const choices = replacementZoneChoices(view, replica, { operationInProgress: runningOperationId !== null });
  const recommended = choices.find((c) => c.recommended)?.zone ?? null;
  const [picked, setPicked] = useState<string | null>(null);
  const zone = picked ?? recommended;
  const chosen = choices.find((c) => c.zone === zone) ?? null;
  const ids = useId();
  if (!r) {
    return (
      <PlanRefusal code="NotFound" message={tr('notAReplica', { replica, cluster: t.cluster.masterName })}>
        <Link
          href={`/clusters/${encodeURIComponent(clusterId)}`}
          className="mt-1 block font-medium text-red-800 underline"
        >
          {tr('backToCluster')}
        </Link>
      </PlanRefusal>
    );
  }
  const health = a.replicaHealth[replica] ?? 'unknown';
  const diagnosis = a.diagnosis.replicas[replica];
  // The lighter fix, offered first when it fits: start a stopped VM, or reset one whose services are down.
  const restart = planOperation({
    topology: t,
    assessment: a,
    intent: { kind: 'restart-replica', name: replica },
    operationInProgress: runningOperationId !== null,
  });
  const restartAction = restart.ok ? String(restart.plan.steps[0]?.params.action ?? 'reset') : null;
  return (
    <div className="space-y-4">
      <Section n={1} title={tr('diagnose', { replica })} testId="recovery-diagnose">
        <div className="mb-2 flex flex-wrap items-center gap-2 text-sm">
          <span className="font-mono">{replica}</span>
          <span className="text-slate-500">{tr('in')}</span>
          <span className="font-mono">{r.zone}</span>
          <Badge
            tone={health === 'healthy' ? 'good' : health === 'unhealthy' ? 'bad' : 'unknown'}
            testId="recovery-health"
          >
            {tw(`health.${health}`)}
          </Badge>
          <Badge tone="neutral">{tr('vmStatus', { status: r.vmStatus })}</Badge>
        </div>
        {diagnosis && diagnosis.primary !== null ? (
          <ReplicaFailure
            diagnosis={diagnosis}
            since={view.failureSince[replica] ?? {}}
            observedAt={t.observedAt}
            health={view.assessment.replicaHealth[replica] ?? 'unknown'}
          />
        ) : (
          <p className="text-sm text-emerald-800" data-testid="recovery-no-failure">
            {tr('noFailure', { replica })}
          </p>
        )}
        <p className="mt-2 text-sm text-slate-700">
          {tr('explain', { replica, canLoseReplicas: a.canLoseReplicas, canLoseZones: a.canLoseZones })}
        </p>
      </Section>

      {restart.ok && (
        <section
          className="rounded-lg border-2 border-sky-300 bg-sky-50 p-4 shadow-sm"
          data-testid="recovery-restart"
          data-action={restartAction}
        >
          <h2 className="mb-1 text-base font-semibold">
            {restartAction === 'start' ? tr('tryFirstStart', { replica }) : tr('tryFirstReset', { replica })}
          </h2>
          <p className="mb-3 text-sm text-slate-700">
            {restartAction === 'start'
              ? tr('restartStartDetail', { replica, status: r.vmStatus })
              : tr('restartResetDetail', { replica })}
          </p>
          <PreviewAndRun
            clusterId={clusterId}
            masterName={t.cluster.masterName}
            intent={{ kind: 'restart-replica', name: replica }}
            label={tr('previewRestart', { action: restartAction ?? 'reset', replica })}
            runningOperationId={runningOperationId}
            testId="preview-restart"
          />
        </section>
      )}

      <Section n={2} title={restart.ok ? tr('orPlaceReplacement') : tr('placeReplacement')} testId="recovery-placement">
        <fieldset className="space-y-2" data-testid="replacement-zones">
          <legend className="sr-only">{tr('zoneLegend')}</legend>
          {choices.map((c) => (
            <label
              key={c.zone}
              data-zone={c.zone}
              data-recommended={c.recommended}
              className={`flex items-start gap-2 rounded-md border px-3 py-2 text-sm ${c.refusal ? 'cursor-not-allowed border-dashed border-slate-200 bg-slate-50 text-slate-500' : zone === c.zone ? 'border-sky-500 bg-sky-50' : 'border-slate-200 bg-white hover:border-sky-300'}`}
            >
              {/* Named by the zone and its badges; the rest of the label describes it (a paragraph is no name). */}
              <input
                type="radio"
                name="zone"
                className="mt-1"
                disabled={c.refusal !== null}
                checked={zone === c.zone}
                onChange={() => setPicked(c.zone)}
                aria-labelledby={`${ids}-${c.zone}`}
                aria-describedby={`${ids}-${c.zone}-detail`}
              />
              <span className="min-w-0 flex-1">
                <span className="flex flex-wrap items-center gap-2" id={`${ids}-${c.zone}`}>
                  <span className="font-mono">{c.zone}</span>
                  {c.zone === r.zone && <Badge tone="neutral">{tr('itsZone')}</Badge>}
                  {c.recommended && <Badge tone="good">{tw('recommended')}</Badge>}
                </span>
                <span id={`${ids}-${c.zone}-detail`}>
                  {/* slate-600: slate-500 is short of 4.5:1 on the chosen zone's sky-50. */}
                  <span className="block text-xs text-slate-600">
                    {c.replicas.length ? tr('alsoThere', { replicas: c.replicas.join(', ') }) : tr('noOtherReplica')}
                    {c.after && ` · ${tw('after', { survives: survivesSentence(c.after) })}`}
                  </span>
                  {c.refusal && (
                    <span className="block text-xs">
                      {text.refusal({ code: c.refusalCode, message: c.refusal, params: c.refusalParams ?? undefined })}
                    </span>
                  )}
                  {c.warning && (
                    <span
                      className="mt-1 block rounded bg-amber-50 px-2 py-1 text-xs text-amber-900"
                      data-testid="tolerance-warning"
                    >
                      {text.warning(c.warning)}
                    </span>
                  )}
                </span>
              </span>
            </label>
          ))}
        </fieldset>
      </Section>

      <Section n={3} title={tw('planAndRun')} testId="recovery-run">
        {zone === null || chosen?.refusal ? (
          <ChoiceRefusal refused={chosen?.refusal ? chosen : choices.find((c) => c.refusal)} noZone={tr('noZone')} />
        ) : (
          <PreviewAndRun
            clusterId={clusterId}
            masterName={t.cluster.masterName}
            // Always with the zone: the server re-plans on its own observation, and must not place it elsewhere.
            intent={{ kind: 'replace-replica', name: replica, zone }}
            label={tr('previewReplace', { replica, zone })}
            runningOperationId={runningOperationId}
          />
        )}
      </Section>
    </div>
  );
}

/** Why no zone can take the replacement: the chosen zone's refusal, else the first zone's, else none is left. */
function ChoiceRefusal({ refused, noZone }: { refused: ReplacementZoneChoice | undefined; noZone: string }) {
  return refused?.refusal ? (
    <PlanRefusal
      code={refused.refusalCode ?? 'ZoneUnavailable'}
      message={refused.refusal}
      params={refused.refusalParams ?? undefined}
    />
  ) : (
    <PlanRefusal code="ZoneUnavailable" message={noZone} />
  );
}

function Rebalance({
  clusterId,
  view,
  zone,
  runningOperationId,
}: {
  clusterId: string;
  view: ClusterView;
  zone: string;
  runningOperationId: string | null;
}) {
  const { topology: t, assessment: a } = view;
  const byZone = new Map<string, string[]>();
  for (const r of t.replicas) byZone.set(r.zone, [...(byZone.get(r.zone) ?? []), r.name]);
  const pairs = [...byZone.entries()].filter(([, names]) => names.length >= 2);
  const [name, setName] = useState('');
  const tr = useTranslations('recovery.rebalance');
  const tw = useTranslations('recovery.wizard');
  return (
    <div className="space-y-4">
      <Section n={1} title={tr('diagnose')} testId="recovery-diagnose">
        <ul className="space-y-1 text-sm" data-testid="rebalance-layout">
          {t.regionZones.map((z) => (
            <li key={z} className="flex gap-2">
              <span className="w-40 shrink-0 font-mono">{z}</span>
              <span className={(byZone.get(z)?.length ?? 0) >= 2 ? 'font-medium text-amber-800' : 'text-slate-600'}>
                {byZone.get(z)?.join(', ') ?? tr('noReplica')}
                {z === zone && ` · ${tr('freeZone')}`}
              </span>
            </li>
          ))}
        </ul>
        <p className="mt-2 text-sm text-slate-700">
          {tr.rich('explain', {
            zone,
            canLoseReplicas: a.canLoseReplicas,
            canLoseZones: a.canLoseZones,
            mono: (chunks) => <span className="font-mono">{chunks}</span>,
          })}
        </p>
      </Section>
      <Section n={2} title={tr('pick')} testId="recovery-placement">
        <select
          className="block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="rebalance-victim"
          aria-label={tr('pickLabel')}
        >
          <option value="">{tr('any')}</option>
          {pairs
            .flatMap(([, names]) => names)
            .map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
        </select>
      </Section>
      <Section n={3} title={tw('planAndRun')} testId="recovery-run">
        <PreviewAndRun
          clusterId={clusterId}
          masterName={t.cluster.masterName}
          intent={{ kind: 'rebalance', zone, ...(name ? { name } : {}) }}
          label={tr('preview', { zone })}
          runningOperationId={runningOperationId}
        />
      </Section>
    </div>
  );
}

function Choose({ clusterId, view }: { clusterId: string; view: ClusterView }) {
  const tc = useTranslations('recovery.choose');
  const findingText = useFindingText();
  const { topology: t, assessment: a } = view;
  const actions = a.findings.flatMap((f) => (f.action ? [{ action: f.action, message: findingText(f).message }] : []));
  if (actions.length === 0) return <p className="text-sm text-emerald-700">{tc('nothing')}</p>;
  return (
    <ul className="space-y-2 text-sm">
      {actions.map(({ action, message }, i) => (
        <li key={i} className="rounded-md border border-slate-200 bg-white px-3 py-2">
          <Link
            href={
              action.kind === 'recover'
                ? recoveryUrls.recover(clusterId, action.replica)
                : recoveryUrls.rebalance(clusterId, action.zone)
            }
            className="font-medium text-sky-700 underline"
          >
            {action.kind === 'recover'
              ? tc('recover', { replica: action.replica })
              : tc('rebalance', { zone: action.zone })}
          </Link>
          <p className="text-slate-600">{message}</p>
        </li>
      ))}
      <li className="text-xs text-slate-500">
        {tc('replicas', { cluster: t.cluster.masterName, count: t.replicas.length })}
      </li>
    </ul>
  );
}

/**
 * The recovery wizard on the cluster's live feed: diagnose, place, plan and run, verify. While etcd has no quorum
 * no membership change is possible, and the disaster-recovery runbook is shown instead.
 */
export function RecoveryWizard({
  clusterId,
  initialView,
  target,
  runningOperationId,
  snapshots,
  snapshotFolders,
}: Props) {
  const query = clusterViewQuery(clusterId);
  const live = useLiveFeed<ClusterView>(liveUrls.cluster(clusterId), query.queryKey, (v) => v.topology.observedAt);
  const { data } = useQuery({
    ...query,
    initialData: initialView,
    refetchInterval: live.status === 'live' ? false : FALLBACK_POLL_MS,
  });
  const view = data ?? initialView;
  const runbook = quorumLostRunbook({
    topology: view.topology,
    assessment: view.assessment,
    snapshots,
    snapshotFolders,
  });
  // The runbook opens with the refusal itself (etcd has lost quorum: membership changes are refused).
  if (runbook) return <QuorumLostRunbookView runbook={runbook} />;
  switch (target.kind) {
    case 'replica':
      return (
        <ReplaceReplica
          clusterId={clusterId}
          view={view}
          replica={target.replica}
          runningOperationId={runningOperationId}
        />
      );
    case 'rebalance':
      return <Rebalance clusterId={clusterId} view={view} zone={target.zone} runningOperationId={runningOperationId} />;
    case 'choose':
      return <Choose clusterId={clusterId} view={view} />;
  }
}
