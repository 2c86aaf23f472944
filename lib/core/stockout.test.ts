import { describe, expect, it } from 'vitest';
import type { Layout, LayoutReplica } from './layout';
import { intentAfterStockout, offerAfterStockout, stockoutOf, type StoppedStep } from './stockout';

const replica = (name: string, zone: string): LayoutReplica => ({ name, zone, role: 'voter', healthy: true });
const layout = (zones: string[]): Layout => ({
  region: 'us-central1',
  regionZones: ['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f'],
  replicas: zones.map((z, i) => replica(`m-${i}`, z)),
  loadBalancer: true,
  strayVoters: 0,
});
const STOCKOUT =
  "instances.insert p/us-central1-a/m-x: operation-1 failed: The zone 'projects/p/zones/us-central1-a' does not have enough resources available to fulfill the request. (zone us-central1-a has no capacity for this instance now (ZONE_RESOURCE_POOL_EXHAUSTED, a stockout, not a quota): ...)";
const steps = (error: string | null, zone = 'us-central1-a'): StoppedStep[] => [
  { kind: 'add-learner', status: 'done', error: null, zone },
  { kind: 'create-disk', status: 'done', error: null, zone },
  { kind: 'create-instance', status: error === null ? 'done' : 'failed', error, zone },
];

describe('stockoutOf', () => {
  it.each([
    ['a stockout', STOCKOUT, { zone: 'us-central1-a', error: STOCKOUT }],
    [
      'with details',
      "...: ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS '(resource type:compute)'",
      { zone: 'us-central1-a', error: "...: ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS '(resource type:compute)'" },
    ],
    ['a quota', "Quota 'CPUS' exceeded (QUOTA_EXCEEDED)", null],
    ['no failure', null, null],
  ])('%s', (_label, error, expected) => {
    expect(stockoutOf(steps(error))).toEqual(expected);
  });
});

describe('offerAfterStockout', () => {
  it.each([
    [
      'the free zone with fewest replicas, not the exhausted one',
      ['us-central1-b', 'us-central1-c'],
      [],
      'us-central1-f',
    ],
    ['skips an unreachable zone', ['us-central1-b', 'us-central1-c'], ['us-central1-f'], 'us-central1-b'],
    ['a shared zone when none is free', ['us-central1-b', 'us-central1-c', 'us-central1-f'], [], 'us-central1-b'],
  ])('%s', (_label, zones, unreachable, zone) => {
    const offer = offerAfterStockout({
      intent: { kind: 'add-replica', zone: 'us-central1-a' },
      steps: steps(STOCKOUT),
      layout: layout(zones),
      unreachable,
    });
    expect(offer?.zone).toBe(zone);
    expect(offer?.intent).toEqual({ kind: 'add-replica', zone });
    expect(offer?.message).toMatch(/us-central1-a had no capacity .*stockout/);
  });

  it('offers nothing when no other zone is left or the operation did not stop on a stockout', () => {
    const one: Layout = { ...layout([]), regionZones: ['us-central1-a'] };
    expect(
      offerAfterStockout({
        intent: { kind: 'add-replica', zone: 'us-central1-a' },
        steps: steps(STOCKOUT),
        layout: one,
      }),
    ).toBeNull();
    expect(
      offerAfterStockout({
        intent: { kind: 'add-replica', zone: 'us-central1-a' },
        steps: steps('boom'),
        layout: layout([]),
      }),
    ).toBeNull();
  });

  it('keeps what else the intent says', () => {
    expect(
      intentAfterStockout({ kind: 'replace-replica', name: 'm-1', zone: 'us-central1-a' }, 'us-central1-c'),
    ).toEqual({ kind: 'replace-replica', name: 'm-1', zone: 'us-central1-c' });
    expect(intentAfterStockout({ kind: 'remove-replica', zone: 'us-central1-a' }, 'us-central1-c')).toBeNull();
  });
});
