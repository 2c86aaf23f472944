import 'server-only';
import { type LogLine, logLine, logLineWithItems, progressSaid, SaidError } from '@/lib/core/operation-log';
// The last step of an add, a removal or a create: the member lists of etcd main and events name exactly the
// replica VMs (kube-up's `etcd-<instance>`), every member has started and none is a learner; after a create
// the first master also holds the cluster's static address. A member that has just joined may take a few
// seconds to publish its name, so the check is repeated for a while.
import type { ClusterRef } from '@/lib/core/topology';
import type { InstanceInfo } from '@/lib/ports/compute';
import type { Container } from '@/lib/server/container';
import type { StepContext, StepExecutor } from '@/lib/server/operations/runner';
import {
  CLUSTERS,
  ETCD_CALL_MS,
  loadCluster,
  newReplicaIfAny,
  reportAndPause,
  siblingStepId,
  victimSchema,
  voterEndpoints,
} from './cluster-context';

const VERIFY_TIMEOUT_MS = 60_000;

/** What this operation promised about one replica: present after an add or a create, absent after a removal. */
function promiseOf(ctx: StepContext): { present?: string; absent?: string } {
  const added = newReplicaIfAny(ctx);
  if (added) return { present: added.name };
  const removed = victimSchema.safeParse(ctx.results[siblingStepId(ctx, 'resolve-replica')]);
  if (removed.success) return { absent: removed.data.name };
  return {};
}

async function problemsNow(c: Container, ctx: StepContext): Promise<{ problems: LogLine[]; replicas: string[] }> {
  // The check reads the world afresh, whatever the pass has seen.
  const view = await loadCluster(c, ctx, { fresh: true });
  const replicas = view.replicas.map((r) => r.name);
  const problems: LogLine[] = [];
  const promise = promiseOf(ctx);
  if (promise.present && !replicas.includes(promise.present))
    problems.push(logLine('problemNoVm', { name: promise.present }));
  if (promise.absent && replicas.includes(promise.absent))
    problems.push(logLine('problemStillVm', { name: promise.absent }));
  if (ctx.operation.kind === 'create-cluster' && promise.present)
    problems.push(...(await staticAddressProblems(c, view.ref, view.replicas, promise.present)));
  const expected = replicas.map((n) => `etcd-${n}`).sort();
  const lists = await Promise.all(
    CLUSTERS.map(async (cluster) => ({
      cluster,
      members: await c.etcd.memberList(voterEndpoints(c, view, cluster), view.etcd[cluster], ETCD_CALL_MS),
    })),
  );
  for (const { cluster, members } of lists) {
    const names = members.map((m) => m.name).sort();
    if (JSON.stringify(names) !== JSON.stringify(expected)) {
      const named = names.filter((n) => n !== '').join(', ');
      const unstarted = names.filter((n) => n === '').length;
      problems.push(
        unstarted === 0
          ? logLine('problemMembers', { cluster, members: named, replicas: expected.join(', ') })
          : logLine('problemMembersUnstarted', {
              cluster,
              members: named,
              unstarted: String(unstarted),
              replicas: expected.join(', '),
            }),
      );
    }
    const learners = members.filter((m) => m.isLearner);
    if (learners.length > 0)
      problems.push(
        logLine('problemLearner', {
          cluster,
          learners: learners.map((m) => m.name || m.peerUrls.join(' ')).join(', '),
        }),
      );
  }
  return { problems, replicas };
}

/** A new cluster's single master holds `<master>-ip` as its external address, as kube-up leaves it. */
async function staticAddressProblems(
  c: Container,
  ref: ClusterRef,
  replicas: readonly InstanceInfo[],
  name: string,
): Promise<LogLine[]> {
  const address = await c.compute.getAddress(ref.project, ref.region, `${ref.masterName}-ip`);
  if (!address) return [logLine('problemStaticAddressMissing', { name: `${ref.masterName}-ip` })];
  const replica = replicas.find((r) => r.name === name);
  if (replica && replica.externalIp !== address.address)
    return [
      logLine('problemStaticAddressNotHeld', {
        name,
        ip: replica.externalIp ?? 'none',
        staticIp: address.address,
      }),
    ];
  return [];
}

const verify =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const deadline = Date.now() + VERIFY_TIMEOUT_MS;
    for (;;) {
      const { problems, replicas } = await problemsNow(c, ctx);
      if (problems.length === 0) {
        await ctx.log(logLine('membersMatch', { replicas: replicas.join(', ') }));
        return { detail: { replicas } };
      }
      const wrong = logLineWithItems('stillWrong', problems);
      if (Date.now() > deadline) throw new SaidError(wrong);
      await reportAndPause(ctx, progressSaid(wrong), 1_000);
    }
  };

export function verifyExecutors(c: Container) {
  return { verify: verify(c) } satisfies Record<string, StepExecutor>;
}
