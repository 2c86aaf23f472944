import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { ChangeWizard, type ReplicaChoice } from '@/components/wizards/change-wizard';
import { addZoneChoices, etcdRoleOf, outsideZoneChoices } from '@/lib/core/view';
import { toleranceSentence } from '@/lib/core/assessment';
import { pluralize } from '@/lib/core/format';
import { container, forPlanning } from '@/lib/server/container';
import { findClusterView, lockingOperationOf, zonesOutsideRegion } from '@/lib/server/views';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

export const metadata: Metadata = { title: 'Change replicas' };

export default async function ChangePage({ params }: Props) {
  const id = decodeURIComponent((await params).id);
  // The zone choices are a plan's first answer: observed with the planning probe deadline, like a preview.
  const view = await findClusterView(id, forPlanning(container()));
  if (!view) notFound();
  const { topology: t, assessment: a } = view;
  const [runningOperationId, otherZones] = await Promise.all([lockingOperationOf(t.cluster), zonesOutsideRegion(t.cluster)]);
  const replicas: ReplicaChoice[] = t.replicas.map((r) => ({
    name: r.name,
    zone: r.zone,
    health: a.replicaHealth[r.name] ?? 'unknown',
    leader: etcdRoleOf(r.etcd.main) === 'leader',
  }));
  return (
    <div className="space-y-6">
      <div>
        <Link href={`/clusters/${encodeURIComponent(id)}`} className="text-sm text-sky-700 hover:underline">← {t.cluster.masterName}</Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">Change replicas of <span className="font-mono">{t.cluster.masterName}</span></h1>
        <p className="text-sm text-slate-500">
          {pluralize(t.replicas.length, 'replica')} in region <span className="font-mono">{t.cluster.region}</span>; the cluster {toleranceSentence(a)} now.
        </p>
      </div>
      <ChangeWizard
        clusterId={id}
        masterName={t.cluster.masterName}
        zones={addZoneChoices(view, { operationInProgress: runningOperationId !== null })}
        outsideZones={outsideZoneChoices(view, otherZones)}
        replicas={replicas}
        runningOperationId={runningOperationId}
      />
    </div>
  );
}
