import 'server-only';
// The executors of every step kind the planner emits, over one container's ports, and the compensations
// a failed add runs. Creating a cluster is not wired here yet: its own kinds fail with a clear message.
import type { StepKind } from '@/lib/core/planner';
import type { Container } from '@/lib/server/container';
import type { StepCompensation, StepExecutor } from '@/lib/server/operations/runner';
import { ADD_ROLLBACK_KINDS, addReplicaCompensations, addReplicaExecutors } from './add-replica';
import { loadBalancerExecutors } from './load-balancer';
import { removeReplicaExecutors } from './remove-replica';
import { verifyExecutors } from './verify';

export { ADD_ROLLBACK_KINDS } from './add-replica';

const notYet =
  (kind: StepKind): StepExecutor =>
  () =>
    Promise.reject(new Error(`step "${kind}" (create a cluster) has no executor yet`));

export function createStepExecutors(c: Container): Record<StepKind, StepExecutor> {
  return {
    ...loadBalancerExecutors(c),
    ...addReplicaExecutors(c),
    ...removeReplicaExecutors(c),
    ...verifyExecutors(c),
    'create-firewall-rules': notYet('create-firewall-rules'),
    'reserve-static-address': notYet('reserve-static-address'),
    'issue-cluster-certificates': notYet('issue-cluster-certificates'),
    'await-etcd': notYet('await-etcd'),
  };
}

export function createStepCompensations(c: Container): Record<string, StepCompensation> {
  return addReplicaCompensations(c);
}

/** The stored plan's `rollback` for a plan with adds: a failed add removes its learner, instance, disk and pool entry. */
export function rollbackKindsOf(steps: readonly { kind: string }[]): string[] {
  const kinds = new Set(steps.map((s) => s.kind));
  return ADD_ROLLBACK_KINDS.filter((k) => kinds.has(k));
}
