import { pageCaller } from '@/lib/server/auth/guards';
import { dehydrate, HydrationBoundary, QueryClient } from '@tanstack/react-query';
import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import { notFound } from 'next/navigation';
import { z } from 'zod';
import { OperationJournal } from '@/components/operations/operation-journal';
import { operationQuery } from '@/lib/client/queries';
import { parseClusterId } from '@/lib/core/topology';
import { container } from '@/lib/server/container';
import { readOperationView } from '@/lib/server/operations/operation-views';

export const dynamic = 'force-dynamic';
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('operations.journal');
  return { title: t('title') };
}

type Props = { params: Promise<{ id: string; opId: string }> };

export default async function OperationPage({ params }: Props) {
  const { id: rawId, opId: rawOpId } = await params;
  await pageCaller(`/clusters/${encodeURIComponent(rawId)}/operations/${encodeURIComponent(rawOpId)}`);
  const id = decodeURIComponent(rawId);
  const ref = parseClusterId(id);
  const opId = z.uuid().safeParse(rawOpId);
  if (!ref || !opId.success) notFound();
  const view = await readOperationView(container().store, opId.data);
  if (!view || view.clusterId !== id) notFound();
  const queryClient = new QueryClient();
  queryClient.setQueryData(operationQuery(id, opId.data).queryKey, view);
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <OperationJournal clusterId={id} opId={opId.data} clusterName={ref.masterName} />
    </HydrationBoundary>
  );
}
