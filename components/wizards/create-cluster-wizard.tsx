'use client';
import { useTranslations } from 'next-intl';
import { useState, useTransition } from 'react';
import { createClusterAction } from '@/lib/actions/create-cluster-action';
import { previewCreateClusterAction } from '@/lib/actions/preview-create-cluster-action';
import type { Result } from '@/lib/core/errors';
import type { Plan } from '@/lib/core/planner';
import { ConfirmAndRun } from './confirm-and-run';
import { PlanPreview } from './plan-preview';
import { PlanRefusal } from './plan-refusal';

/** Where a new cluster may go, per project, and the clusters already there (the server's createClusterChoices). */
export type CreateChoices = {
  provider: 'sandbox' | 'gce';
  projects: Array<{ project: string; regions: Array<{ name: string; zones: string[] }>; clusters: string[] }>;
};

type Input = { project: string; masterName: string; zone: string; multizone: boolean };

const field = 'mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5';

function Toggle({
  checked,
  onChange,
  label,
  hint,
}: {
  checked: boolean;
  onChange: (v: boolean) => void;
  label: string;
  hint: string;
}) {
  return (
    <label className="flex items-start gap-2 text-sm">
      <input type="checkbox" className="mt-1" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <span>
        <span className="font-medium text-slate-800">{label}</span>
        <span className="block text-xs text-slate-500">{hint}</span>
      </span>
    </label>
  );
}

/**
 * Name, zone and kube-up's MULTIZONE, then the plan the server computed on a fresh look at Compute.
 * In the sandbox the operator confirms by typing the new name; on Compute Engine the wizard stops at the
 * kube-up command, since a master there boots from kube-up's scripts.
 */
export function CreateClusterWizard({ choices }: { choices: CreateChoices }) {
  const t = useTranslations('wizards.createWizard');
  const first = choices.projects[0];
  const [input, setInput] = useState<Input>(() => {
    const region = first?.regions[0];
    return { project: first?.project ?? '', masterName: '', zone: region?.zones[0] ?? '', multizone: true };
  });
  const [previewed, setPreviewed] = useState<{ input: Input; result: Result<Plan> } | null>(null);
  const [pending, startTransition] = useTransition();

  const project = choices.projects.find((p) => p.project === input.project) ?? first;
  const regions = project?.regions ?? [];
  const region = regions.find((r) => r.zones.includes(input.zone)) ?? regions[0];
  const taken = project?.clusters.includes(input.masterName.trim()) ?? false;

  // Any change makes the preview stale: the plan shown is always the one for the inputs on screen.
  const change = (patch: Partial<Input>) => {
    setInput((now) => ({ ...now, ...patch }));
    setPreviewed(null);
  };
  const preview = () => {
    const asked = { ...input, masterName: input.masterName.trim() };
    setPreviewed(null);
    startTransition(async () => setPreviewed({ input: asked, result: await previewCreateClusterAction(asked) }));
  };

  return (
    <div className="grid gap-6 lg:grid-cols-[24rem_1fr]">
      <form
        className="space-y-4 text-sm"
        data-testid="create-form"
        onSubmit={(e) => {
          e.preventDefault();
          preview();
        }}
      >
        <label className="block">
          <span className="text-slate-600">{t('masterName')}</span>
          <input
            value={input.masterName}
            onChange={(e) => change({ masterName: e.target.value })}
            placeholder="blue-master"
            autoComplete="off"
            spellCheck={false}
            className={`${field} font-mono`}
          />
          <span className="mt-1 block text-xs text-slate-500">
            {t.rich('masterNameHint', {
              suffix: '-master',
              pattern: '<KUBE_GCE_INSTANCE_PREFIX>-master',
              replicas: `${input.masterName.trim() || '<name>'}-xyz`,
              mono: (chunks) => <span className="font-mono">{chunks}</span>,
            })}
          </span>
          {taken && <span className="mt-1 block text-xs text-red-700">{t('taken', { project: input.project })}</span>}
        </label>

        {choices.projects.length > 1 && (
          <label className="block">
            <span className="text-slate-600">{t('project')}</span>
            <select
              className={field}
              value={input.project}
              onChange={(e) => {
                const next = choices.projects.find((p) => p.project === e.target.value);
                change({ project: e.target.value, zone: next?.regions[0]?.zones[0] ?? '' });
              }}
            >
              {choices.projects.map((p) => (
                <option key={p.project} value={p.project}>
                  {p.project}
                </option>
              ))}
            </select>
          </label>
        )}

        <div className="grid grid-cols-2 gap-3">
          <label className="block">
            <span className="text-slate-600">{t('region')}</span>
            <select
              className={field}
              value={region?.name ?? ''}
              onChange={(e) => change({ zone: regions.find((r) => r.name === e.target.value)?.zones[0] ?? '' })}
            >
              {regions.map((r) => (
                <option key={r.name} value={r.name}>
                  {r.name}
                </option>
              ))}
            </select>
          </label>
          <label className="block">
            <span className="text-slate-600">{t('zone')}</span>
            <select className={field} value={input.zone} onChange={(e) => change({ zone: e.target.value })}>
              {(region?.zones ?? []).map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          </label>
        </div>
        <p className="text-xs text-slate-500">
          {region
            ? t('stayInRegion', { region: region.name, zones: region.zones.length })
            : t('stayInThisRegion', { zones: 0 })}
        </p>

        <Toggle
          checked={input.multizone}
          onChange={(multizone) => change({ multizone })}
          label="MULTIZONE"
          hint={t('multizoneHint')}
        />

        <button
          type="submit"
          className="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white disabled:opacity-50"
          disabled={pending || input.masterName.trim() === '' || input.zone === ''}
        >
          {t('preview')}
        </button>
      </form>

      <div aria-live="polite" className="min-w-0">
        {pending && <p className="text-sm text-slate-500">{t('planning')}</p>}
        {!pending && previewed === null && <p className="text-sm text-slate-500">{t('empty')}</p>}
        {!pending && previewed && !previewed.result.ok && (
          <PlanRefusal
            code={previewed.result.code}
            message={previewed.result.message}
            params={previewed.result.params}
          />
        )}
        {!pending && previewed?.result.ok && (
          <div className="space-y-4">
            <PlanPreview plan={previewed.result.data} />
            {choices.provider === 'sandbox' ? (
              <ConfirmAndRun
                key={previewed.input.masterName}
                confirmName={previewed.input.masterName}
                label={t('create')}
                run={(confirm) => createClusterAction({ ...previewed.input, confirm })}
              />
            ) : (
              <p
                role="note"
                data-testid="kube-up-only"
                className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900"
              >
                {t('kubeUpOnly')}
              </p>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
