// After a stockout (Compute's ZONE_RESOURCE_POOL_EXHAUSTED: the zone has no capacity for the instance now, which
// no quota raise fixes) the add or replace is offered again in the best other zone, chosen as the planner chooses a
// zone for an add (fewest replicas, ties by name), leaving out the exhausted zone and any unreachable one.
// Recognised by Google's own code, which the failed step's error quotes (lib/adapters/gce/gce-errors.ts).
import type { Layout } from './layout';
import { zoneForAdd, type ClusterIntent } from './planner';

export const STOCKOUT_CODES = ['ZONE_RESOURCE_POOL_EXHAUSTED', 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS'] as const;

/** A step of a stopped operation, with the zone its plan gave it (`params.zone`). */
export type StoppedStep = { kind: string; status: string; error: string | null; zone: string | null };

export type Stockout = { zone: string; error: string };

/** The stockout an operation stopped on: its failed step ran out of capacity in its zone; null for any other end. */
export function stockoutOf(steps: readonly StoppedStep[]): Stockout | null {
  const failed = steps.find((s) => s.status === 'failed');
  if (!failed?.error || failed.zone === null) return null;
  const error = failed.error;
  return STOCKOUT_CODES.some((code) => error.includes(code)) ? { zone: failed.zone, error } : null;
}

/** The best zone for the replica instead: the planner's choice for an add, without the exhausted and unreachable zones. */
export function zoneAfterStockout(
  layout: Layout,
  exhausted: readonly string[],
  unreachable: readonly string[] = [],
): string | null {
  return zoneForAdd(layout, new Set([...exhausted, ...unreachable]));
}

/** The same change with its new replica in `zone`; null for an intent that does not place one zone's replica. */
export function intentAfterStockout(intent: ClusterIntent, zone: string): ClusterIntent | null {
  switch (intent.kind) {
    case 'add-replica':
      return { kind: 'add-replica', zone };
    case 'replace-replica':
    case 'rebalance':
      return { ...intent, zone };
    default:
      return null;
  }
}

export type StockoutOffer = { stockout: Stockout; zone: string; intent: ClusterIntent; message: string };

/** What the wizard offers after an operation stopped on a stockout: the other zone and the intent to plan there. */
export function offerAfterStockout(input: {
  intent: ClusterIntent;
  steps: readonly StoppedStep[];
  layout: Layout;
  unreachable?: readonly string[];
}): StockoutOffer | null {
  const stockout = stockoutOf(input.steps);
  if (!stockout) return null;
  const zone = zoneAfterStockout(input.layout, [stockout.zone], input.unreachable ?? []);
  if (zone === null) return null;
  const intent = intentAfterStockout(input.intent, zone);
  if (!intent) return null;
  return {
    stockout,
    zone,
    intent,
    message: `${stockout.zone} had no capacity for the new replica (a stockout). ${zone} is the best other zone of ${input.layout.region}: the change is planned there instead.`,
  };
}
