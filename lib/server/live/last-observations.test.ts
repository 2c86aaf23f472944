import { describe, expect, it } from 'vitest';
import { assessTopology } from '@/lib/core/assessment';
import { buildTopology, prodSpec, type ReplicaSpec } from '@/lib/core/testing/topology-builder';
import type { ClusterView } from '@/lib/core/view';
import { LastObservations } from './last-observations';

const ID = 'sandbox-project~europe-west1~prod-master';
const at = (s: number) => new Date(Date.parse('2026-01-10T12:00:00.000Z') + s * 1000).toISOString();

/** One observation of prod through `o` (as observeClusterView makes it), with replica c02 as given. */
function observe(o: LastObservations, s: number, c: Partial<ReplicaSpec> = {}): ClusterView {
  const raw = buildTopology(
    prodSpec({ observedAt: at(s), replicas: [{ zone: 'b' }, { zone: 'c', ...c }, { zone: 'd' }] }),
  );
  const { topology, heldOver } = o.settle(ID, raw);
  const view: ClusterView = {
    id: ID,
    topology,
    assessment: assessTopology(topology, new Date(topology.observedAt)),
    failureSince: {},
    heldOver,
  };
  o.remember(view);
  return view;
}

describe('LastObservations', () => {
  it('holds a silence over once, then counts it, and knows the replica was silent', () => {
    const o = new LastObservations();
    observe(o, 0);
    const once = observe(o, 1, { etcd: 'timeout', apiServer: 'timeout' });
    expect(once.assessment.replicaHealth['prod-master-c02']).toBe('healthy');
    expect(once.heldOver).toHaveLength(3);
    expect(o.silentReplicas(ID)).toEqual(new Set());
    const twice = observe(o, 2, { etcd: 'timeout', apiServer: 'timeout' });
    expect(twice.assessment.replicaHealth['prod-master-c02']).toBe('unknown');
    expect(o.silentReplicas(ID)).toEqual(new Set(['prod-master-c02']));
  });

  it('gives a first paint the last view only while it is recent, and never lets an older one replace a newer one', () => {
    const o = new LastObservations();
    expect(o.observedAt(ID)).toBeUndefined();
    const newer = observe(o, 10);
    o.remember({ ...newer, topology: { ...newer.topology, observedAt: at(5) } });
    expect(o.latest(ID, Date.parse(at(12)), 5_000)?.topology.observedAt).toBe(at(10));
    // When it was last observed (what the background monitor asks), never going back in time.
    expect(o.observedAt(ID)).toBe(Date.parse(at(10)));
    expect(o.latest(ID, Date.parse(at(16)), 5_000)).toBeNull();
    expect(o.latest('other~r~m', Date.parse(at(12)), 5_000)).toBeNull();
  });
});
