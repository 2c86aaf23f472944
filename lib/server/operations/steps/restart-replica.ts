import 'server-only';
import {
  type LogLine,
  logLine,
  logLineWithItems,
  progressSaid,
  SaidError,
  secondsText,
} from '@/lib/core/operation-log';
// The steps of a restart in place (planner.ts, 'restart-replica'): start a stopped VM or reset a running one whose
// etcd or API server is down, then wait until its etcd members answer again as the same members. No membership
// change is made: etcd rejoins from the member's own data directory on its disk.
import { z } from 'zod';
import { memberIdHex } from '@/lib/core/format';
import type { Container } from '@/lib/server/container';
import type { StepExecutor } from '@/lib/server/operations/runner';
import {
  addressOf,
  CLUSTERS,
  clusterRefOf,
  ETCD_CALL_MS,
  findReplica,
  loadCluster,
  memberOf,
  probeReplica,
  reportAndPause,
  siblingStepId,
  stringParam,
  throwIfAborted,
  voterEndpoints,
} from './cluster-context';

/** A VM boots and etcd replays its WAL within seconds in the sandbox; a real VM may take a couple of minutes. */
const REJOIN_TIMEOUT_MS = 5 * 60_000;

const restartedSchema = z.object({
  action: z.enum(['start', 'reset', 'none']),
  members: z.record(z.string(), z.string()),
});

/**
 * Starts or resets the replica's VM, unless it no longer needs it: a VM already RUNNING is not started again, and a
 * replica whose etcd and API server answer again (it came back by itself since the plan) is not reset, since that
 * would take a working voter away. Records the replica's member ids first, for the next step to check against.
 */
const restartInstance =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const ref = clusterRefOf(ctx);
    const name = stringParam(ctx, 'name');
    const zone = stringParam(ctx, 'zone');
    const action = stringParam(ctx, 'action');
    const view = await loadCluster(c, ctx, { fresh: true });
    const members: Record<string, string> = {};
    for (const cluster of CLUSTERS) {
      const list = await c.etcd
        .memberList(voterEndpoints(c, view, cluster, [name]), view.etcd[cluster], ETCD_CALL_MS)
        .catch(() => null);
      const own = list ? memberOf(list, name, cluster) : undefined;
      if (own) members[cluster] = own.id;
    }
    const instance = findReplica(view, name);
    if (!instance) throw new SaidError(logLine('noVmToRestart', { name, action }));
    if (action === 'start') {
      if (instance.status === 'RUNNING') {
        await ctx.log(logLine('alreadyRunning', { name }));
        return { detail: { action: 'none', members } };
      }
      await c.compute.startInstance(ref.project, zone, name);
      await ctx.log(logLine('instanceStarted', { name, members: describeMembers(members) }));
      return { detail: { action: 'start', members } };
    }
    if (instance.status === 'RUNNING' && (await answersNow(c, view, name))) {
      await ctx.log(logLine('answersAgain', { name }), 'warn');
      return { detail: { action: 'none', members } };
    }
    await c.compute.resetInstance(ref.project, zone, name);
    await ctx.log(logLine('instanceReset', { name, members: describeMembers(members) }));
    return { detail: { action: 'reset', members } };
  };

function describeMembers(members: Record<string, string>): string {
  const parts = CLUSTERS.flatMap((cl) => (members[cl] ? [`${cl} ${memberIdHex(members[cl])}`] : []));
  return parts.length > 0 ? parts.join(', ') : 'none';
}

async function answersNow(c: Container, view: Awaited<ReturnType<typeof loadCluster>>, name: string): Promise<boolean> {
  const instance = findReplica(view, name);
  if (!instance || !view.kube) return false;
  const { etcd, api } = await probeReplica(c, view, addressOf(view, instance), view.kube);
  return etcd.every((s) => s.ok) && api.ready === true;
}

/**
 * Waits until both etcd members of the replica answer as voters with the ids they had before the restart (a member
 * that came back under a new id would be a different member: the step fails rather than call that a rejoin), its raft
 * index has reached the leader's, and its API server is ready.
 */
const awaitReplicaRejoined =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const name = stringParam(ctx, 'name');
    const before = restartedSchema.safeParse(ctx.results[siblingStepId(ctx, 'restart-instance')]);
    const expected = before.success ? before.data.members : {};
    const started = Date.now();
    for (;;) {
      throwIfAborted(ctx.signal);
      const view = await loadCluster(c, ctx, { fresh: true });
      const instance = findReplica(view, name);
      let waitingFor: LogLine[] = [logLine('waitRunning', { name })];
      if (instance?.status === 'RUNNING' && view.kube) {
        const { etcd: statuses, api } = await probeReplica(c, view, addressOf(view, instance), view.kube);
        const problems: LogLine[] = [];
        for (const [i, cluster] of CLUSTERS.entries()) {
          const s = statuses[i];
          if (!s?.ok) {
            problems.push(logLine('waitEtcdAnswer', { cluster }));
            continue;
          }
          const was = expected[cluster];
          if (was !== undefined && s.memberId !== was) {
            throw new SaidError(
              logLine('newMemberId', { cluster, name, member: memberIdHex(s.memberId), was: memberIdHex(was) }),
            );
          }
          if (s.isLearner) problems.push(logLine('waitVoter', { cluster }));
          else if (s.leaderId === '0' || s.leaderId === '') problems.push(logLine('waitLeader', { cluster }));
        }
        if (problems.length === 0 && api.ready !== true) problems.push(logLine('waitApiServer'));
        if (problems.length === 0) {
          const ids = CLUSTERS.map((cl, i) => {
            const s = statuses[i];
            return `${cl} ${s?.ok ? memberIdHex(s.memberId) : '?'}`;
          }).join(', ');
          await ctx.log(logLine('rejoined', { name, seconds: secondsText(Date.now() - started), members: ids }));
          return { detail: { tookMs: Date.now() - started } };
        }
        waitingFor = problems;
      }
      if (Date.now() - started > REJOIN_TIMEOUT_MS)
        throw new SaidError(
          logLineWithItems('rejoinTimeout', waitingFor, { name, minutes: String(REJOIN_TIMEOUT_MS / 60_000) }),
        );
      await reportAndPause(ctx, progressSaid(logLineWithItems('waitingFor', waitingFor)), 1_000);
    }
  };

export function restartReplicaExecutors(c: Container) {
  return {
    'restart-instance': restartInstance(c),
    'await-replica-rejoined': awaitReplicaRejoined(c),
  };
}
