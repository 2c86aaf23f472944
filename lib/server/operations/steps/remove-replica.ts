import 'server-only';
import { logLine, SaidError } from '@/lib/core/operation-log';
import { isNoAccessError } from '@/lib/core/probe-errors';
// The steps that remove a replica: resolve it (journaled, so later steps and a resumed run agree on which
// one), move etcd leadership off it, remove its members from main and events, then delete its VM and disk.
import type { EtcdClusterName } from '@/lib/core/topology';
import type { Container } from '@/lib/server/container';
import type { StepExecutor } from '@/lib/server/operations/runner';
import {
  CLUSTERS,
  clusterRefOf,
  ETCD_CALL_MS,
  ignoreNotFound,
  listReplicas,
  loadCluster,
  memberOf,
  addressOf,
  findReplica,
  pause,
  retryOn,
  stringParam,
  throwIfAborted,
  victimOf,
  voterEndpoints,
} from './cluster-context';

const LEADER_MOVE_TIMEOUT_MS = 30_000;
const REMOVE_TIMEOUT_MS = 60_000;

/** The replica to remove, by the plan's name; a replica already gone resolves with no internal IP (later steps find nothing to do). */
const resolveReplica =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const ref = clusterRefOf(ctx);
    const name = stringParam(ctx, 'name');
    const zone = stringParam(ctx, 'zone');
    const instance = (await listReplicas(c, ref)).find((r) => r.name === name);
    if (instance && instance.zone !== zone)
      throw new SaidError(logLine('wrongZone', { name, zone: instance.zone, expected: zone }));
    if (!instance) await ctx.log(logLine('noVm', { name }), 'warn');
    return { detail: { name, zone, internalIp: instance?.internalIp ?? null } };
  };

/**
 * Moves leadership of each etcd cluster to another started voter when the replica leads it (MoveLeader goes to the
 * leader). A replica whose member does not answer (stopped, killed, frozen, in a lost zone) is skipped with a
 * warning in the log: a removal of a failed replica must not wait on it.
 */
const moveLeadership =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const view = await loadCluster(c, ctx);
    const victim = victimOf(ctx);
    const moved: EtcdClusterName[] = [];
    const skipped: EtcdClusterName[] = [];
    for (const cluster of CLUSTERS) {
      const members = await c.etcd.memberList(voterEndpoints(c, view, cluster), view.etcd[cluster], ETCD_CALL_MS);
      const own = memberOf(members, victim.name, cluster);
      if (!own) continue;
      // A failed replica: the graceful hand-over needs the member itself, so it is skipped, and the log says so.
      const silent = async (why: 'noVm' | 'noAccess' | 'noAnswer', error = '') => {
        skipped.push(cluster);
        await ctx.log(logLine('leadershipNotMoved', { cluster, name: victim.name, why, error }), 'warn');
      };
      const instance = findReplica(view, victim.name);
      if (!instance) {
        await silent('noVm');
        continue;
      }
      const victimEndpoint = c.endpoints.etcd(addressOf(view, instance), cluster);
      const status = await c.etcd.status(victimEndpoint, view.etcd[cluster], ETCD_CALL_MS);
      if (!status.ok) {
        await silent(isNoAccessError(status.error) ? 'noAccess' : 'noAnswer', String(status.error));
        continue;
      }
      if (status.leaderId !== own.id) continue;
      // The new leader: a started voter that answers status, other than the victim.
      let target: string | null = null;
      for (const r of view.replicas) {
        if (r.name === victim.name || r.status !== 'RUNNING') continue;
        const s = await c.etcd.status(c.endpoints.etcd(addressOf(view, r), cluster), view.etcd[cluster], ETCD_CALL_MS);
        if (s.ok && !s.isLearner) {
          target = s.memberId;
          break;
        }
      }
      if (target === null) throw new SaidError(logLine('noLeaderTarget', { cluster, name: victim.name }));
      const to = target;
      await retryOn(
        ['EtcdRefused', 'Timeout'],
        () => c.etcd.moveLeader(victimEndpoint, view.etcd[cluster], to, ETCD_CALL_MS),
        {
          timeoutMs: LEADER_MOVE_TIMEOUT_MS,
          everyMs: 1_000,
          signal: ctx.signal,
        },
      );
      const deadline = Date.now() + LEADER_MOVE_TIMEOUT_MS;
      for (;;) {
        throwIfAborted(ctx.signal);
        const now = await c.etcd.status(victimEndpoint, view.etcd[cluster], ETCD_CALL_MS);
        if (now.ok && now.leaderId !== own.id && now.leaderId !== '0') break;
        if (Date.now() > deadline) throw new SaidError(logLine('leadershipStuck', { cluster, name: victim.name }));
        await pause(200, ctx.signal);
      }
      moved.push(cluster);
      await ctx.log(logLine('leadershipMoved', { cluster, name: victim.name }));
    }
    return { detail: { moved, skipped } };
  };

/** Removes the replica's member from main and events; a member already gone is done. EtcdRefused is retried for a minute. */
const removeMember =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const view = await loadCluster(c, ctx);
    const victim = victimOf(ctx);
    const removed: EtcdClusterName[] = [];
    for (const cluster of CLUSTERS) {
      const endpoints = voterEndpoints(c, view, cluster, [victim.name]);
      const members = await c.etcd.memberList(endpoints, view.etcd[cluster], ETCD_CALL_MS);
      const own = memberOf(members, victim.name, cluster);
      if (!own) continue;
      await retryOn(
        ['EtcdRefused', 'Timeout'],
        async () => {
          // A retry after a timeout may find the member gone already.
          const now = await c.etcd.memberList(endpoints, view.etcd[cluster], ETCD_CALL_MS);
          if (!now.some((m) => m.id === own.id)) return;
          await ignoreNotFound(() => c.etcd.memberRemove(endpoints, view.etcd[cluster], own.id, ETCD_CALL_MS));
        },
        {
          timeoutMs: REMOVE_TIMEOUT_MS,
          everyMs: 1_000,
          signal: ctx.signal,
          onRetry: (e) => ctx.log(logLine('removalRefused', { cluster, error: e.message }), 'warn'),
        },
      );
      removed.push(cluster);
      await ctx.log(logLine('memberRemoved', { name: victim.name, cluster }));
    }
    return { detail: { removed } };
  };

const deleteInstance =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const ref = clusterRefOf(ctx);
    const victim = victimOf(ctx);
    const instance = await c.compute.getInstance(ref.project, victim.zone, victim.name);
    if (!instance) return { detail: { deleted: false } };
    await ignoreNotFound(() => c.compute.deleteInstance(ref.project, victim.zone, victim.name));
    // Its SSH connection and forwards go with it (a later instance of the same name has another id and host key).
    await c.reach.release({ instanceId: instance.id });
    return { detail: { deleted: true } };
  };

const deleteDisk =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const ref = clusterRefOf(ctx);
    const victim = victimOf(ctx);
    const disk = stringParam(ctx, 'disk');
    if (!(await c.compute.getDisk(ref.project, victim.zone, disk))) return { detail: { deleted: false } };
    await ignoreNotFound(() => c.compute.deleteDisk(ref.project, victim.zone, disk));
    return { detail: { deleted: true } };
  };

export function removeReplicaExecutors(c: Container) {
  return {
    'resolve-replica': resolveReplica(c),
    'move-leadership': moveLeadership(c),
    'remove-member': removeMember(c),
    'delete-instance': deleteInstance(c),
    'delete-disk': deleteDisk(c),
  } satisfies Record<string, StepExecutor>;
}
