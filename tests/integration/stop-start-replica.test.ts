// Stops one prod replica through the Compute API (as an operator or GCE would), then starts it again,
// and checks what an observation says at each point.
import { afterAll, describe, expect, it } from 'vitest';
import { closeGceClients, createGceClients } from '@/lib/adapters/gce/gce-compute';
import { operationOf, waitForOperation } from '@/lib/adapters/gce/gce-operations';
import { assessTopology } from '@/lib/core/assessment';
import type { Topology } from '@/lib/core/topology';
import { observeCluster } from '@/lib/server/services/observe-cluster';
import { allHealthy, pollUntil, PROD, sandboxPort, testContainer } from './support';

const c = testContainer();
const gce = createGceClients({ kind: 'sandbox', port: sandboxPort() });

afterAll(async () => {
  await closeGceClients(gce);
  await c.close();
});

async function stopOrStart(verb: 'stop' | 'start', zone: string, instance: string): Promise<void> {
  const request = { project: PROD.project, zone, instance };
  const result = verb === 'stop' ? await gce.instances.stop(request) : await gce.instances.start(request);
  await waitForOperation(gce, PROD.project, operationOf(result), 60_000);
}

describe('a prod replica stopped and started through the Compute API', () => {
  it('is seen down while stopped (membership intact, the others fine) and healthy again after start', async () => {
    const before = await pollUntil(() => observeCluster(PROD, c), allHealthy, 30_000);
    expect(allHealthy(before)).toBe(true);
    const victim = before.replicas[0];
    if (!victim) throw new Error('no prod replica');

    await stopOrStart('stop', victim.zone, victim.name);
    try {
      const down: Topology = await pollUntil(
        () => observeCluster(PROD, c),
        (t) => t.replicas.find((r) => r.name === victim.name)?.vmStatus !== 'RUNNING',
        30_000,
      );
      const stopped = down.replicas.find((r) => r.name === victim.name);
      expect(stopped?.vmStatus).not.toBe('RUNNING');
      expect(stopped?.etcd.main.ok).toBe(false);
      expect(stopped?.etcd.events.ok).toBe(false);
      for (const other of down.replicas.filter((r) => r.name !== victim.name)) {
        expect(other.vmStatus).toBe('RUNNING');
        expect(other.etcd.main.ok).toBe(true);
        expect(other.etcd.events.ok).toBe(true);
      }
      expect(down.etcd.main.members).toHaveLength(3);
      expect(down.etcd.events.members).toHaveLength(3);
      const a = assessTopology(down, new Date(down.observedAt));
      expect(a.replicaHealth[victim.name]).toBe('unhealthy');
      expect(a.canLoseReplicas).toBe(0);
    } finally {
      await stopOrStart('start', victim.zone, victim.name);
    }

    // Healthy, and the restarted member's peer links back on both sides (one side reports them first after a start).
    const after = await pollUntil(
      () => observeCluster(PROD, c),
      (t) => allHealthy(t) && assessTopology(t, new Date(t.observedAt)).canLoseReplicas === 1,
      60_000,
    );
    expect(
      after.replicas.map((r) => [r.name, r.vmStatus, r.etcd.main.ok, r.etcd.events.ok, r.apiServer.ready]),
    ).toEqual(before.replicas.map((r) => [r.name, 'RUNNING', true, true, true]));
    const a = assessTopology(after, new Date(after.observedAt));
    expect(a.healthyReplicas).toBe(3);
    expect(a.canLoseReplicas).toBe(1);
  });
});
