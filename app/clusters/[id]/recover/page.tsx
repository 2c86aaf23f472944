import { pageCaller } from '@/lib/server/auth/guards';
import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { RecoveryWizard, type RecoveryTarget } from '@/components/recovery/recovery-wizard';
import path from 'node:path';
import { clusterSnapshots } from '@/lib/server/backups/views';
import { snapshotFolder } from '@/lib/server/backups/snapshots';
import { container, forPlanning } from '@/lib/server/container';
import { firstPaintClusterView, lockingOperationOf, WIZARD_FIRST_PAINT_MAX_AGE_MS } from '@/lib/server/views';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('recovery.page');
  return { title: t('title') };
}

const one = (v: string | string[] | undefined): string | null =>
  typeof v === 'string' && v.length > 0 && v.length <= 100 ? v : null;

export default async function RecoverPage({ params, searchParams }: Props) {
  const id = decodeURIComponent((await params).id);
  const query = await searchParams;
  await pageCaller(`/clusters/${encodeURIComponent(id)}/recover`);
  const tp = await getTranslations('recovery.page');
  // At once from the last observation when there is a recent one (the wizard goes live, and a preview plans on a fresh
  // observation); else observed with the planning probe deadline, like a preview.
  const [view, backups] = await Promise.all([
    firstPaintClusterView(id, forPlanning(container()), WIZARD_FIRST_PAINT_MAX_AGE_MS),
    clusterSnapshots(id),
  ]);
  if (!view) notFound();
  const { topology: t } = view;
  const runningOperationId = await lockingOperationOf(t.cluster);
  const dataDir = path.resolve(container().env.QUORUM_DATA_DIR);
  const snapshotFolders = { main: snapshotFolder(dataDir, id, 'main'), events: snapshotFolder(dataDir, id, 'events') };
  const replica = one(query.replica);
  const zone = one(query.rebalance);
  const target: RecoveryTarget = replica
    ? { kind: 'replica', replica }
    : zone
      ? { kind: 'rebalance', zone }
      : { kind: 'choose' };
  const heading =
    target.kind === 'replica'
      ? tp('recover', { name: target.replica })
      : target.kind === 'rebalance'
        ? tp('rebalance', { name: t.cluster.masterName })
        : tp('recover', { name: t.cluster.masterName });
  return (
    <div className="space-y-6">
      <div>
        <Link href={`/clusters/${encodeURIComponent(id)}`} className="text-sm text-sky-700 hover:underline">
          ← {t.cluster.masterName}
        </Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">{heading}</h1>
        <p className="text-sm text-slate-500">{tp('intro')}</p>
      </div>
      <RecoveryWizard
        clusterId={id}
        initialView={view}
        target={target}
        runningOperationId={runningOperationId}
        snapshots={backups.snapshots}
        snapshotFolders={snapshotFolders}
      />
    </div>
  );
}
