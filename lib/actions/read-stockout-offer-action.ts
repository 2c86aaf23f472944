'use server';
import { z } from 'zod';
import { ok } from '@/lib/core/errors';
import { layoutOf } from '@/lib/core/layout';
import { offerAfterStockout } from '@/lib/core/stockout';
import type { ClusterIntent } from '@/lib/core/planner';
import { defineAction } from '@/lib/actions/define-action';
import { clusterIdSchema, clusterIntentSchema } from '@/lib/actions/schemas';
import { container, forPlanning } from '@/lib/server/container';
import { findClusterView } from '@/lib/server/views';

export type StockoutOfferView = {
  operationId: string;
  exhaustedZone: string;
  zone: string;
  intent: ClusterIntent;
  message: string;
};

/**
 * After an add or replace stopped on a stockout (ZONE_RESOURCE_POOL_EXHAUSTED), the same change in the best other
 * zone of the cluster as it is now, for the change wizard to plan; null when `operationId` is no such operation of
 * this cluster or no other zone is left.
 */
export const readStockoutOfferAction = defineAction(
  'readStockoutOffer',
  { role: 'viewer', mutates: false },
  z.object({ clusterId: clusterIdSchema, operationId: z.uuid() }),
  async ({ clusterId, operationId }) => {
    const c = container();
    const operation = await c.store.getOperation(operationId);
    const intent = clusterIntentSchema.safeParse(operation?.intent);
    if (!operation || operation.clusterId !== clusterId || operation.status !== 'failed' || !intent.success)
      return ok<StockoutOfferView | null>(null);
    const [records, view] = await Promise.all([c.store.steps(operationId), findClusterView(clusterId, forPlanning(c))]);
    if (!view) return ok<StockoutOfferView | null>(null);
    const steps = records.map((r) => {
      const zone = operation.plan.steps[r.index]?.params.zone;
      return { kind: r.kind, status: r.status, error: r.error, zone: typeof zone === 'string' ? zone : null };
    });
    const offer = offerAfterStockout({
      intent: intent.data,
      steps,
      layout: layoutOf(view.topology, view.assessment),
      unreachable: view.assessment.diagnosis.zonesUnreachable.map((o) => o.zone),
    });
    return ok<StockoutOfferView | null>(
      offer
        ? {
            operationId,
            exhaustedZone: offer.stockout.zone,
            zone: offer.zone,
            intent: offer.intent,
            message: offer.message,
          }
        : null,
    );
  },
);
