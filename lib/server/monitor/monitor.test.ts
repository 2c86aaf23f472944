import { describe, expect, it } from 'vitest';
import { clusterId, type ClusterRef } from '@/lib/core/topology';
import { FleetMonitor } from './monitor';

const A: ClusterRef = { project: 'p-one', region: 'europe-west1', masterName: 'a-master' };
const B: ClusterRef = { project: 'p-one', region: 'europe-west1', masterName: 'b-master' };

/** A monitor on a hand-driven clock; `observed` records every observation it asks for, `last` is the bus's memory. */
function setup(opts: { fail?: Set<string>; list?: () => Promise<ClusterRef[]> } = {}) {
  let now = 100_000;
  const last = new Map<string, number>();
  const observed: string[] = [];
  const logs: string[] = [];
  const monitor = new FleetMonitor({
    intervalMs: 5_000,
    listClusters: opts.list ?? (async () => [A, B]),
    observe: async (ref) => {
      const id = clusterId(ref);
      observed.push(ref.masterName);
      if (opts.fail?.has(ref.masterName)) throw new Error('Compute unreadable');
      last.set(id, now);
    },
    lastObservedAt: (id) => last.get(id),
    now: () => now,
    describeError: (e) => (e instanceof Error ? e.message : String(e)),
    log: (m) => logs.push(m),
  });
  return {
    monitor,
    observed,
    logs,
    last,
    advance: (ms: number) => (now += ms),
    seen: (ref: ClusterRef) => last.set(clusterId(ref), now),
  };
}

describe('FleetMonitor.round', () => {
  it('observes every cluster nobody observed within the interval, and says when the next falls due', async () => {
    const s = setup();
    expect(await s.monitor.round()).toBe(5_000);
    expect(s.observed).toEqual(['a-master', 'b-master']);

    s.advance(3_000);
    // A page's feed observes B now: the monitor leaves it alone.
    s.seen(B);
    expect(await s.monitor.round()).toBe(2_000);
    expect(s.observed).toEqual(['a-master', 'b-master']);

    s.advance(2_000);
    expect(await s.monitor.round()).toBe(3_000);
    expect(s.observed).toEqual(['a-master', 'b-master', 'a-master']);
  });

  it('logs a failing cluster once, tries it again an interval later (not at once), and says when it works again', async () => {
    const fail = new Set(['a-master']);
    const s = setup({ fail });
    await s.monitor.round();
    s.advance(1_000);
    await s.monitor.round();
    expect(s.observed).toEqual(['a-master', 'b-master']);
    s.advance(4_000);
    await s.monitor.round();
    expect(s.observed).toEqual(['a-master', 'b-master', 'a-master', 'b-master']);
    expect(s.logs).toEqual(['observing p-one~europe-west1~a-master failed: Compute unreadable']);
    fail.clear();
    s.advance(5_000);
    await s.monitor.round();
    expect(s.logs).toEqual([
      'observing p-one~europe-west1~a-master failed: Compute unreadable',
      'observing p-one~europe-west1~a-master works again',
    ]);
  });

  it('survives a fleet that cannot be listed', async () => {
    const s = setup({ list: () => Promise.reject(new Error('no project')) });
    expect(await s.monitor.round()).toBe(5_000);
    expect(s.logs).toEqual(['listing the fleet failed: no project']);
  });
});

describe('FleetMonitor loop', () => {
  it('never runs two rounds at once, and stops', async () => {
    let inFlight = 0;
    let most = 0;
    let rounds = 0;
    const monitor = new FleetMonitor({
      intervalMs: 250,
      listClusters: async () => {
        rounds += 1;
        return [A];
      },
      observe: async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        // Each observation takes longer than the interval.
        await new Promise((resolve) => setTimeout(resolve, 400));
        inFlight -= 1;
      },
      lastObservedAt: () => undefined,
      describeError: String,
    });
    monitor.start();
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    await monitor.stop();
    const after = rounds;
    expect(after).toBeGreaterThanOrEqual(2);
    expect(most).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(rounds).toBe(after);
  });

  it('does nothing with an interval of 0 (off)', async () => {
    let listed = 0;
    const monitor = new FleetMonitor({
      intervalMs: 0,
      listClusters: async () => (listed++, []),
      observe: async () => {},
      lastObservedAt: () => undefined,
      describeError: String,
    });
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await monitor.stop();
    expect(listed).toBe(0);
  });
});
