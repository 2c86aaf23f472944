import { pageCaller } from '@/lib/server/auth/guards';
import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { LiveChangeWizard } from '@/components/wizards/live-change-wizard';
import { toleranceSentence } from '@/lib/core/assessment';
import { pluralize } from '@/lib/core/format';
import { container, forPlanning } from '@/lib/server/container';
import {
  firstPaintClusterView,
  lockingOperationOf,
  WIZARD_FIRST_PAINT_MAX_AGE_MS,
  zonesOutsideRegion,
} from '@/lib/server/views';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

export const metadata: Metadata = { title: 'Change replicas' };

export default async function ChangePage({ params }: Props) {
  const id = decodeURIComponent((await params).id);
  await pageCaller(`/clusters/${encodeURIComponent(id)}/change`);
  // At once from the last observation when there is a recent one (the wizard goes live, and a preview plans on a fresh
  // observation); else observed with the planning probe deadline, like a preview.
  const view = await firstPaintClusterView(id, forPlanning(container()), WIZARD_FIRST_PAINT_MAX_AGE_MS);
  if (!view) notFound();
  const { topology: t, assessment: a } = view;
  const [runningOperationId, otherZones] = await Promise.all([
    lockingOperationOf(t.cluster),
    zonesOutsideRegion(t.cluster),
  ]);
  return (
    <div className="space-y-6">
      <div>
        <Link href={`/clusters/${encodeURIComponent(id)}`} className="text-sm text-sky-700 hover:underline">
          ← {t.cluster.masterName}
        </Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">
          Change replicas of <span className="font-mono">{t.cluster.masterName}</span>
        </h1>
        <p className="text-sm text-slate-500">
          {pluralize(t.replicas.length, 'replica')} in region <span className="font-mono">{t.cluster.region}</span>; the
          cluster {toleranceSentence(a)} now.
        </p>
      </div>
      <LiveChangeWizard
        clusterId={id}
        initialView={view}
        otherZones={otherZones}
        runningOperationId={runningOperationId}
      />
    </div>
  );
}
