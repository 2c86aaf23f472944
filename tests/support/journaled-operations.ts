// Operations journaled by a test and finished by a dashboard process (the system tests): planned on a live
// observation as the wizard's start does, written to the dashboard's SQLite journal, then awaited there.
import { assessTopology } from '@/lib/core/assessment';
import { planOperation, type ClusterIntent, type PlanStep } from '@/lib/core/planner';
import { clusterId, type ClusterRef } from '@/lib/core/topology';
import { isTerminalOperationStatus, type Operation, type Store } from '@/lib/ports/store';
import type { Container } from '@/lib/server/container';
import { rollbackKindsOf } from '@/lib/server/operations/steps';
import { observeCluster } from '@/lib/server/services/observe-cluster';
import { pollUntil } from '../integration/support';

/** Plans `intent` on an observation of `ref` and journals it (not started); refused plans throw. */
export async function journalOperation(
  c: Container,
  store: Store,
  ref: ClusterRef,
  intent: ClusterIntent,
  actor: string,
): Promise<{ op: Operation; steps: PlanStep[] }> {
  const topology = await observeCluster(ref, c);
  const planned = planOperation({
    topology,
    assessment: assessTopology(topology, new Date(topology.observedAt)),
    intent,
    operationInProgress: false,
  });
  if (!planned.ok) throw new Error(`refused: ${planned.refusal.message}`);
  const op = await store.createOperation({
    clusterId: clusterId(ref),
    kind: intent.kind,
    intent,
    plan: { ...planned.plan, rollback: rollbackKindsOf(planned.plan.steps) },
    actor,
  });
  return { op, steps: planned.plan.steps };
}

/** The operation once the journal says it ended (succeeded, failed, cancelled); throws when it is gone or not ended in time. */
export async function operationEnded(
  store: Store,
  opId: string,
  timeoutMs = 240_000,
  everyMs = 500,
): Promise<Operation> {
  const ended = await pollUntil(
    () => store.getOperation(opId),
    (o) => o !== null && isTerminalOperationStatus(o.status),
    timeoutMs,
    everyMs,
  );
  if (!ended) throw new Error(`operation ${opId} is gone`);
  if (!isTerminalOperationStatus(ended.status))
    throw new Error(`operation ${opId} has not ended within ${timeoutMs} ms (${ended.status})`);
  return ended;
}
