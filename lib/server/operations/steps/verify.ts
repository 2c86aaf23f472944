import 'server-only';
// The last step of an add or a removal: the member lists of etcd main and events name exactly the replica
// VMs (kube-up's `etcd-<instance>`), every member has started and none is a learner. A member that has
// just joined may take a few seconds to publish its name, so the check is repeated for a while.
import type { Container } from '@/lib/server/container';
import type { StepContext, StepExecutor } from '@/lib/server/operations/runner';
import { CLUSTERS, ETCD_CALL_MS, listReplicas, loadCluster, newReplicaSchema, pause, siblingStepId, victimSchema, voterEndpoints } from './cluster-context';

const VERIFY_TIMEOUT_MS = 60_000;

/** What this operation promised about one replica: present after an add, absent after a removal. */
function promiseOf(ctx: StepContext): { present?: string; absent?: string } {
  const added = newReplicaSchema.safeParse(ctx.results[siblingStepId(ctx, 'pick-name')]);
  if (added.success) return { present: added.data.name };
  const removed = victimSchema.safeParse(ctx.results[siblingStepId(ctx, 'resolve-replica')]);
  if (removed.success) return { absent: removed.data.name };
  return {};
}

async function problemsNow(c: Container, ctx: StepContext): Promise<{ problems: string[]; replicas: string[] }> {
  const view = await loadCluster(c, ctx);
  const replicas = (await listReplicas(c, view.ref)).map((r) => r.name);
  const problems: string[] = [];
  const promise = promiseOf(ctx);
  if (promise.present && !replicas.includes(promise.present)) problems.push(`${promise.present} has no VM`);
  if (promise.absent && replicas.includes(promise.absent)) problems.push(`${promise.absent} still has a VM`);
  const expected = replicas.map((n) => `etcd-${n}`).sort();
  for (const cluster of CLUSTERS) {
    const members = await c.etcd.memberList(voterEndpoints(c, view, cluster), view.etcd, ETCD_CALL_MS);
    const names = members.map((m) => m.name).sort();
    if (JSON.stringify(names) !== JSON.stringify(expected)) {
      problems.push(`etcd ${cluster} members are [${names.map((n) => n || '(not started)').join(', ')}], replicas are [${expected.join(', ')}]`);
    }
    const learners = members.filter((m) => m.isLearner);
    if (learners.length > 0) problems.push(`etcd ${cluster} still has the learner ${learners.map((m) => m.name || m.peerUrls.join(' ')).join(', ')}`);
  }
  return { problems, replicas };
}

const verify = (c: Container): StepExecutor => async (ctx) => {
  const deadline = Date.now() + VERIFY_TIMEOUT_MS;
  for (;;) {
    const { problems, replicas } = await problemsNow(c, ctx);
    if (problems.length === 0) {
      await ctx.log(`etcd main and events name exactly the replicas ${replicas.join(', ')}; no learner`);
      return { detail: { replicas } };
    }
    if (Date.now() > deadline) throw new Error(problems.join('; '));
    await ctx.progress({ message: problems.join('; ') });
    await pause(1_000, ctx.signal);
  }
};

export function verifyExecutors(c: Container) {
  return { verify: verify(c) } satisfies Record<string, StepExecutor>;
}
