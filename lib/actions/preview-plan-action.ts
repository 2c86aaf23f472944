'use server';
import { z } from 'zod';
import { ok, refused } from '@/lib/core/errors';
import { serverRefusals } from '@/lib/core/server-refusals';
import { planOperation, type Plan } from '@/lib/core/planner';
import { clusterId as clusterIdOf, parseClusterId } from '@/lib/core/topology';
import { defineAction } from '@/lib/actions/define-action';
import { clusterIdSchema, clusterIntentSchema } from '@/lib/actions/schemas';
import { container, forPlanning } from '@/lib/server/container';
import { checkPreviewRate, previewRateRefusal } from '@/lib/server/rate-limit/actions';
import { expectedLbPropagationSeconds } from '@/lib/server/operations/steps/load-balancer';
import { newReplicaNames } from '@/lib/server/services/replica-names';
import { permissionRefusal } from '@/lib/server/services/permissions-preflight';
import { ClusterNotFoundError, clusterView } from '@/lib/server/views';

/** Plans a change on a live observation of the cluster and returns the plan or the refusal, changing nothing. */
export const previewPlanAction = defineAction(
  'previewPlan',
  { role: 'viewer', mutates: false },
  z.object({ clusterId: clusterIdSchema, intent: clusterIntentSchema }),
  async ({ clusterId, intent }, { caller }) => {
    const rate = checkPreviewRate(caller.userId);
    if (!rate.ok) return previewRateRefusal(rate.retryAfterSeconds);
    const ref = parseClusterId(clusterId);
    if (!ref) return refused(serverRefusals.unknownClusterId());
    const [view, lockHolder] = await Promise.all([
      clusterView(ref, forPlanning(container())).catch((error: unknown) => {
        if (error instanceof ClusterNotFoundError) return null;
        throw error;
      }),
      container().store.lockHolder(clusterIdOf(ref)),
    ]);
    if (!view) return refused(serverRefusals.clusterGone(ref.masterName, ref.region));
    const taken = new Set(view.topology.replicas.map((r) => r.name));
    const result = planOperation({
      topology: view.topology,
      assessment: view.assessment,
      intent,
      // The same lock startOperationAction takes: a preview refuses exactly as the start would.
      operationInProgress: lockHolder !== null,
      newNames: newReplicaNames(ref.masterName, taken, 7),
      lbPropagationSeconds: expectedLbPropagationSeconds(container().env),
    });
    if (!result.ok) return refused(result.refusal);
    // The preview refuses what the start would: a change needing a permission Quorum lacks.
    const denied = await permissionRefusal(container().permissions, ref.project, result.plan.steps);
    return denied ? refused(denied) : ok<Plan>(result.plan);
  },
);
