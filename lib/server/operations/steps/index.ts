import 'server-only';
// The executors of every step kind the planner emits, over one container's ports, and the compensations
// a failed add or create runs. A create shares 'create-disk' and 'create-instance' with an add but builds
// its first master from new certificates, not from an existing master: those two go by the operation's kind.
import type { StepKind } from '@/lib/core/planner';
import type { Container } from '@/lib/server/container';
import type { StepCompensation, StepExecutor } from '@/lib/server/operations/runner';
import { ADD_ROLLBACK_KINDS, addReplicaCompensations, addReplicaExecutors } from './add-replica';
import { forgetCluster } from './cluster-context';
import { inStep, stepsCompute } from './compute-call';
import {
  createClusterCompensations,
  createClusterExecutors,
  createClusterOwnExecutors,
  CREATE_ROLLBACK_KINDS,
} from './create-cluster';
import { LB_ROLLBACK_KINDS, loadBalancerCompensations, loadBalancerExecutors } from './load-balancer';
import { removeReplicaExecutors } from './remove-replica';
import { restartReplicaExecutors } from './restart-replica';
import { snapshotExecutors } from './snapshot';
import { verifyExecutors } from './verify';

export { ADD_ROLLBACK_KINDS } from './add-replica';

const byOperationKind =
  (forCreate: StepExecutor, otherwise: StepExecutor): StepExecutor =>
  (ctx) =>
    ctx.operation.kind === 'create-cluster' ? forCreate(ctx) : otherwise(ctx);

/**
 * Step kinds that create, delete or re-address an instance: the pass's cluster view (loadCluster) is
 * dropped after each, however it ended, so the steps after it read the replicas again.
 */
export const INSTANCE_CHANGING_KINDS = [
  'create-instance',
  'delete-instance',
  'restart-instance',
  'move-first-replica-to-ephemeral-ip',
  'return-static-ip-to-last-replica',
] as const satisfies readonly StepKind[];

const thenForgetCluster =
  (executor: StepExecutor): StepExecutor =>
  async (ctx) => {
    try {
      return await executor(ctx);
    } finally {
      forgetCluster(ctx);
    }
  };

/**
 * The container as steps see it: its Compute port retries transient failures and journals each mutation's
 * requestId for the step that is running (compute-call.ts). Everything else is the original's, through the prototype.
 */
function forSteps(c: Container): Container {
  return Object.create(c, {
    compute: { value: stepsCompute(c.compute, () => c.store), enumerable: true },
  }) as Container;
}

export function createStepExecutors(original: Container): Record<StepKind, StepExecutor> {
  const c = forSteps(original);
  const add = addReplicaExecutors(c);
  const create = createClusterOwnExecutors(c);
  const executors: Record<StepKind, StepExecutor> = {
    ...loadBalancerExecutors(c),
    ...add,
    ...removeReplicaExecutors(c),
    ...restartReplicaExecutors(c),
    ...snapshotExecutors(c),
    ...verifyExecutors(c),
    ...createClusterExecutors(c),
    'create-disk': byOperationKind(create['create-disk'], add['create-disk']),
    'create-instance': byOperationKind(create['create-instance'], add['create-instance']),
  };
  for (const kind of INSTANCE_CHANGING_KINDS) executors[kind] = thenForgetCluster(executors[kind]);
  for (const kind of Object.keys(executors) as StepKind[]) {
    const executor = executors[kind];
    executors[kind] = (ctx) => inStep(ctx, 'forward', () => executor(ctx));
  }
  return executors;
}

export function createStepCompensations(original: Container): Record<string, StepCompensation> {
  const c = forSteps(original);
  const compensations = {
    ...loadBalancerCompensations(c),
    ...addReplicaCompensations(c),
    ...createClusterCompensations(c),
  };
  return Object.fromEntries(
    Object.entries(compensations).map(([kind, compensate]) => [
      kind,
      (ctx) => inStep(ctx, 'rollback', () => compensate(ctx)),
    ]),
  );
}

/**
 * The stored plan's `rollback`: a failed add removes its learner, instance, disk and pool entry (and a
 * failed scale-up from one replica the load balancer it made); a failed
 * create deletes the private keys it stored (a create's own 'create-disk'/'create-instance' are not undone).
 */
export function rollbackKindsOf(steps: readonly { kind: string }[]): string[] {
  const kinds = new Set(steps.map((s) => s.kind));
  if (kinds.has('issue-cluster-certificates')) return [...CREATE_ROLLBACK_KINDS];
  return [...LB_ROLLBACK_KINDS, ...ADD_ROLLBACK_KINDS].filter((k) => kinds.has(k));
}
