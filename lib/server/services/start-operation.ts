import 'server-only';
import { backupOverrideRefusal, type GateJournal } from '@/lib/core/backups';
import { ok, refused, type Result } from '@/lib/core/errors';
import { planOperation, type ClusterIntent, type Plan, type Refusal } from '@/lib/core/planner';
import { serverRefusals } from '@/lib/core/server-refusals';
import { clusterId, type ClusterRef } from '@/lib/core/topology';
import type { ClusterView } from '@/lib/core/view';
import { isProviderError } from '@/lib/ports/provider-error';
import { isOperationInProgress, type Store } from '@/lib/ports/store';
import { container, forPlanning, type Container } from '@/lib/server/container';
import { isKnownCluster } from '@/lib/server/known-clusters';
import { operationsRunner } from '@/lib/server/operations/runtime';
import { providerRefusal } from '@/lib/server/provider-refusal';
import { rollbackKindsOf } from '@/lib/server/operations/steps';
import { observeClusterView } from './observe-fleet';
import { permissionRefusal } from './permissions-preflight';
import { newReplicaNames } from './replica-names';
import { expectedLbPropagationSeconds } from '@/lib/server/operations/steps/load-balancer';
import { refusalDetail } from '@/lib/core/audit';

/** The operator lets a change go on without a verified snapshot, after the backup gate stopped that same change. */
export type BackupOverride = { reason: string; failedOperationId: string };

/** An operation's journal as the backup gate's rules read it, or null when there is no such operation. */
export async function gateJournalOf(store: Store, operationId: string): Promise<GateJournal | null> {
  const op = await store.getOperation(operationId);
  if (!op) return null;
  const steps = await store.steps(operationId);
  return {
    id: op.id,
    clusterId: op.clusterId,
    status: op.status,
    intent: op.intent,
    steps: steps.map((s) => ({ kind: s.kind, status: s.status, error: s.error })),
  };
}

/**
 * Plans a change on a fresh observation and, unless the planner or the cluster lock refuses, journals it
 * and starts it. A refusal changes nothing and is audited with its reason. With `backupOverride` the plan's
 * backup-gate steps may go on without a verified snapshot; it is accepted only right after the gate stopped
 * the same change (backupOverrideRefusal), and audited with the actor and the reason.
 */
export async function startClusterOperation(
  ref: ClusterRef,
  intent: ClusterIntent,
  actor: string,
  c: Container = container(),
  opts: {
    backupOverride?: BackupOverride;
    source?: string | null;
    previewed?: { fingerprint: string; newNames: string[] };
  } = {},
): Promise<Result<{ operationId: string }>> {
  const id = clusterId(ref);
  const action = `operation.${intent.kind}`;
  /** Audited with its English; the page gets its params too, to word it in the reader's language. */
  const refuse = async (
    refusal: Refusal,
    extra: { retryAfterSeconds?: number; newPlan?: Plan } = {},
  ): Promise<Result<{ operationId: string }>> => {
    const retry: { retryAfterSeconds?: number } =
      extra.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: extra.retryAfterSeconds };
    await c.store.addAudit({
      actor,
      source: opts.source ?? null,
      action,
      clusterId: id,
      outcome: 'refused',
      detail: { ...refusalDetail(refusal), intent, ...retry },
    });
    return { ...refused<{ operationId: string }>(refusal), ...extra };
  };

  // A cluster Quorum does not know (another project, a made-up name) is not planned: no observation, no Compute call.
  if (!(await isKnownCluster(ref, c))) return refuse(serverRefusals.unknownCluster(id));

  const override = opts.backupOverride;
  if (override) {
    const [failed, latest] = await Promise.all([
      gateJournalOf(c.store, override.failedOperationId),
      c.store.listOperations(id, 1),
    ]);
    const refusal = backupOverrideRefusal({
      clusterId: id,
      intent,
      reason: override.reason,
      failed,
      latestOperationId: latest[0]?.id ?? null,
    });
    if (refusal) return refuse({ code: 'InvalidInput', message: refusal });
  }

  let view: ClusterView;
  try {
    view = await observeClusterView(ref, forPlanning(c));
  } catch (error) {
    // Compute (or etcd) failing while the change is planned refuses it, with words and in the audit, like the planner.
    if (!isProviderError(error)) throw error;
    const { retryAfterSeconds, ...refusal } = providerRefusal(error);
    return refuse(refusal, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
  }
  const holder = await c.store.lockHolder(id);
  const planned = planOperation({
    topology: view.topology,
    assessment: view.assessment,
    intent,
    operationInProgress: holder !== null,
    // The previewed plan's names first: the replicas get the names the operator approved (the planner refuses taken ones).
    newNames: [
      ...(opts.previewed?.newNames ?? []),
      ...newReplicaNames(ref.masterName, new Set(view.topology.replicas.map((r) => r.name)), 7),
    ],
    lbPropagationSeconds: expectedLbPropagationSeconds(c.env),
    ...(override ? { backupGateOverride: { reason: override.reason } } : {}),
  });
  if (!planned.ok) return refuse(planned.refusal);
  // What runs is what was previewed: a cluster that changed meanwhile gets the new plan shown, and nothing runs.
  if (opts.previewed && opts.previewed.fingerprint !== planned.plan.fingerprint) {
    return refuse(serverRefusals.planChanged(planned.plan.summary), { newPlan: planned.plan });
  }
  // Before any step runs: a change that needs a permission Quorum lacks is refused whole.
  const denied = await permissionRefusal(c.permissions, ref.project, planned.plan.steps);
  if (denied) return refuse(denied);

  try {
    // A failed add undoes what it created (learner, instance, disk); see the steps' compensations.
    const plan = { ...planned.plan, rollback: rollbackKindsOf(planned.plan.steps) };
    // Its started, succeeded and failed audit rows name where it was asked from.
    const operation = await c.store.createOperation({
      clusterId: id,
      kind: intent.kind,
      intent,
      plan,
      actor,
      source: opts.source ?? null,
    });
    if (override) {
      await c.store.addAudit({
        actor,
        source: opts.source ?? null,
        action: `${action}.backup-gate-override`,
        clusterId: id,
        operationId: operation.id,
        outcome: 'started',
        detail: { reason: override.reason.trim(), failedOperationId: override.failedOperationId, intent },
      });
    }
    void operationsRunner().start(operation.id);
    return ok({ operationId: operation.id });
  } catch (error) {
    if (isOperationInProgress(error)) return refuse({ code: 'OperationInProgress', message: error.message });
    throw error;
  }
}
