import { describe, expect, it } from 'vitest';
import { assessTopology, replicaHealthOf } from './assessment';
import { holdOverSilence, type HeldProbe } from './silence';
import { buildTopology, prodSpec, type ReplicaSpec } from './testing/topology-builder';

const T0 = '2026-01-10T12:00:00.000Z';
const T1 = '2026-01-10T12:00:01.300Z';
const T2 = '2026-01-10T12:00:02.600Z';

function prod(at: string, c: Partial<ReplicaSpec> = {}) {
  return buildTopology(prodSpec({ observedAt: at, replicas: [{ zone: 'b' }, { zone: 'c', ...c }, { zone: 'd' }] }));
}
const health = (t: ReturnType<typeof prod>) => {
  const c = t.replicas[1];
  if (!c) throw new Error('prod has no second replica');
  return replicaHealthOf(c);
};

describe('holdOverSilence', () => {
  it('holds a replica that answered before over its first silence, and lets the second one count', () => {
    const first = holdOverSilence(
      { topology: prod(T0), held: [] },
      prod(T1, { etcd: 'timeout', apiServer: 'timeout' }),
    );
    expect(health(first.topology)).toBe('healthy');
    expect(first.held).toEqual<HeldProbe[]>([
      { replica: 'prod-master-c02', probe: 'etcd main' },
      { replica: 'prod-master-c02', probe: 'etcd events' },
      { replica: 'prod-master-c02', probe: 'API server' },
    ]);
    expect(assessTopology(first.topology, new Date(T1)).canLoseReplicas).toBe(1);

    const second = holdOverSilence(first, prod(T2, { etcd: 'timeout', apiServer: 'timeout' }));
    expect(second.held).toEqual([]);
    expect(health(second.topology)).toBe('unknown');
  });

  it.each<[string, Partial<ReplicaSpec>, string]>([
    ['a refused connection', { etcd: 'refused', apiServer: 'refused' }, 'unhealthy'],
    ['a stopped VM', { vmStatus: 'STOPPED' }, 'unhealthy'],
    ["no access (Quorum's key refused)", { etcd: 'noaccess', apiServer: 'noaccess' }, 'unknown'],
  ])('never holds over an answer: %s counts at once', (_what, change, expected) => {
    const next = holdOverSilence({ topology: prod(T0), held: [] }, prod(T1, change));
    expect(next.held).toEqual([]);
    expect(health(next.topology)).toBe(expected);
  });

  it("holds an API server's first 'not ready' over while its etcd answers (readiness flaps under load), not a second one", () => {
    const first = holdOverSilence({ topology: prod(T0), held: [] }, prod(T1, { apiServer: 'not-ready' }));
    expect(first.held).toEqual<HeldProbe[]>([{ replica: 'prod-master-c02', probe: 'API server' }]);
    expect(health(first.topology)).toBe('healthy');
    expect(health(holdOverSilence(first, prod(T2, { apiServer: 'not-ready' })).topology)).toBe('unhealthy');
    // A refused API server port beside answering etcd members: also once.
    expect(health(holdOverSilence({ topology: prod(T0), held: [] }, prod(T1, { apiServer: 'refused' })).topology)).toBe(
      'healthy',
    );
    // With its etcd refusing as well, "not ready" is part of a confirmed failure: at once.
    expect(
      health(
        holdOverSilence({ topology: prod(T0), held: [] }, prod(T1, { etcd: 'refused', apiServer: 'not-ready' }))
          .topology,
      ),
    ).toBe('unhealthy');
  });

  it('holds nothing over when there is no previous observation, or it is too old', () => {
    expect(holdOverSilence(null, prod(T1, { etcd: 'timeout' })).held).toEqual([]);
    const old = holdOverSilence(
      { topology: prod('2026-01-10T11:00:00.000Z'), held: [] },
      prod(T1, { etcd: 'timeout' }),
    );
    expect(old.held).toEqual([]);
    expect(health(old.topology)).toBe('unknown');
  });

  it('does not make a replica that was silent before healthy', () => {
    const next = holdOverSilence(
      { topology: prod(T0, { etcd: 'timeout', apiServer: 'timeout' }), held: [] },
      prod(T1, { etcd: 'timeout', apiServer: 'timeout' }),
    );
    expect(next.held).toEqual([]);
    expect(health(next.topology)).toBe('unknown');
  });

  it('a whole cluster silent once (a cold start of every tunnel) still reads as it did', () => {
    const silent = buildTopology(
      prodSpec({
        observedAt: T1,
        replicas: [
          { zone: 'b', etcd: 'timeout' },
          { zone: 'c', etcd: 'timeout' },
          { zone: 'd', etcd: 'timeout' },
        ],
      }),
    );
    const next = holdOverSilence({ topology: prod(T0), held: [] }, silent);
    const a = assessTopology(next.topology, new Date(T1));
    expect(a.healthyReplicas).toBe(3);
    expect(a.findings.filter((f) => f.severity === 'critical')).toEqual([]);
  });
});
