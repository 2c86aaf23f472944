import { pageCaller } from '@/lib/server/auth/guards';
import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { LiveChangeWizard } from '@/components/wizards/live-change-wizard';
import { container, forPlanning } from '@/lib/server/container';
import {
  firstPaintClusterView,
  lockingOperationOf,
  WIZARD_FIRST_PAINT_MAX_AGE_MS,
  zonesOutsideRegion,
} from '@/lib/server/views';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('wizards.changePage');
  return { title: t('title') };
}

export default async function ChangePage({ params }: Props) {
  const id = decodeURIComponent((await params).id);
  await pageCaller(`/clusters/${encodeURIComponent(id)}/change`);
  const t = await getTranslations('wizards.changePage');
  // At once from the last observation when there is a recent one (the wizard goes live, and a preview plans on a fresh
  // observation); else observed with the planning probe deadline, like a preview.
  const view = await firstPaintClusterView(id, forPlanning(container()), WIZARD_FIRST_PAINT_MAX_AGE_MS);
  if (!view) notFound();
  const { topology, assessment: a } = view;
  const [runningOperationId, otherZones] = await Promise.all([
    lockingOperationOf(topology.cluster),
    zonesOutsideRegion(topology.cluster),
  ]);
  return (
    <div className="space-y-6">
      <div>
        <Link href={`/clusters/${encodeURIComponent(id)}`} className="text-sm text-sky-700 hover:underline">
          ← {topology.cluster.masterName}
        </Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">
          {t.rich('heading', {
            cluster: topology.cluster.masterName,
            mono: (chunks) => <span className="font-mono">{chunks}</span>,
          })}
        </h1>
        <p className="text-sm text-slate-500">
          {t.rich('summary', {
            count: topology.replicas.length,
            region: topology.cluster.region,
            canLoseReplicas: a.canLoseReplicas,
            canLoseZones: a.canLoseZones,
            mono: (chunks) => <span className="font-mono">{chunks}</span>,
          })}
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
