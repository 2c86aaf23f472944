// A replica whose etcd hangs (SIGSTOP: it accepts connections but never answers) must show as "did not
// answer in time" — health unknown, not down — without holding up what the other replicas report.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { assessTopology } from '@/lib/core/assessment';
import { observeCluster } from '@/lib/server/services/observe-cluster';
import { twinVmNamespace } from '../support/twin-etcdctl';
import { allHealthy, pollUntil, PROD, testContainer } from './support';

const c = testContainer({ QUORUM_PROBE_TIMEOUT_MS: '400' });
afterAll(() => c.close());

/**
 * Host pid of the etcd process listening on 127.0.0.1:`port` inside VM `instance` (kube-up's etcd listens
 * on the VM's own loopback only): `ss` run in the VM's network namespace reports the pid as the host sees it.
 */
function etcdPid(instance: string, port: number): number {
  const out = execFileSync(
    'ip',
    ['netns', 'exec', twinVmNamespace(inject('sandboxNet'), instance), 'ss', '-ltnpH', `src 127.0.0.1:${port}`],
    { encoding: 'utf8' },
  );
  const pid = Number(/pid=(\d+)/.exec(out)?.[1]);
  if (!Number.isInteger(pid) || readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'etcd') {
    throw new Error(`no etcd listening on 127.0.0.1:${port} in ${instance}`);
  }
  return pid;
}

describe('a replica whose etcd main member (a follower) hangs', () => {
  it('reports a time-out for that member only, the others answering, and no healthy vote from it', async () => {
    const before = await pollUntil(() => observeCluster(PROD, c), allHealthy, 30_000);
    // A follower: a frozen leader leaves the cluster without one until etcd's election time-out.
    const victim = before.replicas.find((r) => r.etcd.main.ok && r.etcd.main.memberId !== r.etcd.main.leaderId);
    if (!victim?.internalIp) throw new Error('no prod follower');
    const pid = etcdPid(victim.name, 2379);
    process.kill(pid, 'SIGSTOP');
    try {
      const t = await observeCluster(PROD, c);
      const frozen = t.replicas.find((r) => r.name === victim.name);
      expect(frozen?.vmStatus).toBe('RUNNING');
      // The deadline follows measured latency (4 x p90, from QUORUM_PROBE_TIMEOUT_MS up to 4 s): on a loaded machine
      // it is above the floor.
      expect(frozen?.etcd.main.ok).toBe(false);
      expect(frozen?.etcd.main.ok === false && frozen.etcd.main.error).toMatch(/^timeout: no answer within \d+ ms$/);
      expect(frozen?.etcd.events.ok).toBe(true);
      for (const other of t.replicas.filter((r) => r.name !== victim.name)) {
        expect(other.etcd.main.ok).toBe(true);
        expect(other.etcd.events.ok).toBe(true);
      }
      expect(t.etcd.main.members).toHaveLength(3);
      expect(t.leases).not.toBeNull();
      const a = assessTopology(t, new Date(t.observedAt));
      // Its API server depends on the hung member (not ready, or no answer in time): not healthy either way.
      expect(a.replicaHealth[victim.name]).not.toBe('healthy');
      expect(a.etcd.main.healthyVoters).toBe(2);
      expect(a.etcd.events.healthyVoters).toBe(3);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const after = await pollUntil(() => observeCluster(PROD, c), allHealthy, 30_000);
    expect(allHealthy(after)).toBe(true);
  });
});
