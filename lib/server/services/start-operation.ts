import 'server-only';
import { fail, ok, type Result } from '@/lib/core/errors';
import { planOperation, type ClusterIntent } from '@/lib/core/planner';
import { clusterId, type ClusterRef } from '@/lib/core/topology';
import { isOperationInProgress } from '@/lib/ports/store';
import { container, forPlanning, type Container } from '@/lib/server/container';
import { operationsRunner } from '@/lib/server/operations/runtime';
import { rollbackKindsOf } from '@/lib/server/operations/steps';
import { observeClusterView } from './observe-fleet';
import { newReplicaNames } from './replica-names';

/**
 * Plans a change on a fresh observation and, unless the planner or the cluster lock refuses, journals it
 * and starts it. A refusal changes nothing and is audited with its reason.
 */
export async function startClusterOperation(ref: ClusterRef, intent: ClusterIntent, actor: string, c: Container = container()): Promise<Result<{ operationId: string }>> {
  const id = clusterId(ref);
  const action = `operation.${intent.kind}`;
  const refuse = async (code: Parameters<typeof fail>[0], message: string) => {
    await c.store.addAudit({ actor, action, clusterId: id, outcome: 'refused', detail: { code, message, intent } });
    return fail<{ operationId: string }>(code, message);
  };

  const view = await observeClusterView(ref, forPlanning(c));
  const holder = await c.store.lockHolder(id);
  const planned = planOperation({
    topology: view.topology,
    assessment: view.assessment,
    intent,
    operationInProgress: holder !== null,
    newNames: newReplicaNames(ref.masterName, new Set(view.topology.replicas.map((r) => r.name)), 7),
  });
  if (!planned.ok) return refuse(planned.refusal.code, planned.refusal.message);

  try {
    // A failed add undoes what it created (learner, instance, disk); see the steps' compensations.
    const plan = { ...planned.plan, rollback: rollbackKindsOf(planned.plan.steps) };
    const operation = await c.store.createOperation({ clusterId: id, kind: intent.kind, intent, plan, actor });
    void operationsRunner().start(operation.id);
    return ok({ operationId: operation.id });
  } catch (error) {
    if (isOperationInProgress(error)) return refuse('OperationInProgress', error.message);
    throw error;
  }
}
