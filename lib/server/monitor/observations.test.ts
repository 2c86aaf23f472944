import { afterEach, describe, expect, it, vi } from 'vitest';
import { assessTopology } from '@/lib/core/assessment';
import { buildTopology, prodSpec } from '@/lib/core/testing/topology-builder';
import { clusterId } from '@/lib/core/topology';
import type { ClusterView } from '@/lib/core/view';
import { publishObservation, subscribeObservations } from './observations';

const unsubscribers: Array<() => void> = [];
afterEach(() => {
  for (const u of unsubscribers.splice(0)) u();
  vi.restoreAllMocks();
});

function view(observedAt: string, masterName = 'bus-master'): ClusterView {
  const t = buildTopology(prodSpec({ masterName, observedAt }));
  return {
    id: clusterId(t.cluster),
    topology: t,
    assessment: assessTopology(t, new Date(observedAt)),
    failureSince: {},
  };
}

describe('the observation bus', () => {
  it('hands every published observation to every subscriber until it unsubscribes', () => {
    const a: string[] = [];
    const b: string[] = [];
    const listener = (v: ClusterView) => a.push(v.topology.observedAt);
    unsubscribers.push(subscribeObservations(listener));
    const stopB = subscribeObservations((v) => b.push(v.topology.observedAt));
    publishObservation(view('2026-01-10T12:00:01.000Z'));
    stopB();
    publishObservation(view('2026-01-10T12:00:02.000Z'));
    expect(a).toEqual(['2026-01-10T12:00:01.000Z', '2026-01-10T12:00:02.000Z']);
    expect(b).toEqual(['2026-01-10T12:00:01.000Z']);
  });

  it('a listener that throws or rejects is logged and fails neither the publisher nor the listeners after it', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const got: string[] = [];
    unsubscribers.push(
      subscribeObservations(() => {
        throw new Error('listener bug');
      }),
    );
    unsubscribers.push(
      subscribeObservations((() => Promise.reject(new Error('async listener bug'))) as unknown as (
        v: ClusterView,
      ) => void),
    );
    unsubscribers.push(subscribeObservations((v) => got.push(v.id)));
    expect(() => publishObservation(view('2026-01-10T12:00:03.000Z'))).not.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(got).toEqual(['sandbox-project~europe-west1~bus-master']);
    expect(errors.mock.calls.map((c) => [c[0], (c[1] as Error).message])).toEqual([
      [
        '[observations] a listener failed on an observation of sandbox-project~europe-west1~bus-master:',
        'listener bug',
      ],
      [
        '[observations] a listener failed on an observation of sandbox-project~europe-west1~bus-master:',
        'async listener bug',
      ],
    ]);
  });
});
