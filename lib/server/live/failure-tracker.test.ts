import { describe, expect, it } from 'vitest';
import { diagnoseCluster } from '@/lib/core/failure';
import { buildTopology, prodSpec } from '@/lib/core/testing/topology-builder';
import { FailureTracker } from './failure-tracker';

const C = 'prod-master-c02';
const killed = diagnoseCluster(
  buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', main: 'refused' }, { zone: 'd' }] })),
);
const at = (s: number) => new Date(Date.UTC(2026, 0, 10, 12, 0, 0) + s * 1000).toISOString();

describe('FailureTracker', () => {
  it('keeps the first time across observations of one cluster, and per cluster', () => {
    const tracker = new FailureTracker();
    tracker.observe('prod', killed, at(0));
    expect(tracker.observe('prod', killed, at(5))[C]?.['etcd-unreachable']).toBe(at(0));
    expect(tracker.observe('other', killed, at(5))[C]?.['etcd-unreachable']).toBe(at(5));
  });

  it('starts again after a gap with no observation (nobody saw whether it cleared in between)', () => {
    const tracker = new FailureTracker(60_000);
    tracker.observe('prod', killed, at(0));
    expect(tracker.observe('prod', killed, at(30))[C]?.['etcd-unreachable']).toBe(at(0));
    expect(tracker.observe('prod', killed, at(120))[C]?.['etcd-unreachable']).toBe(at(120));
  });

  it('an observation that finishes late does not move the state back', () => {
    const tracker = new FailureTracker();
    tracker.observe('prod', killed, at(10));
    // Older than the last one: answered from the current state, not stored.
    expect(tracker.observe('prod', diagnoseCluster(buildTopology(prodSpec())), at(9))).toEqual({});
    expect(tracker.observe('prod', killed, at(11))[C]?.['etcd-unreachable']).toBe(at(10));
  });
});
