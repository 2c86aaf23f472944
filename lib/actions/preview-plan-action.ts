'use server';
import { z } from 'zod';
import { fail, ok } from '@/lib/core/errors';
import { planOperation, type Plan } from '@/lib/core/planner';
import { parseClusterId } from '@/lib/core/topology';
import { defineAction } from '@/lib/actions/define-action';
import { clusterIdSchema, clusterIntentSchema } from '@/lib/actions/schemas';
import { newReplicaNames } from '@/lib/server/services/replica-names';
import { ClusterNotFoundError, clusterView } from '@/lib/server/views';

/** Plans a change on a live observation of the cluster and returns the plan or the refusal, changing nothing. */
export const previewPlanAction = defineAction(
  'previewPlan',
  z.object({ clusterId: clusterIdSchema, intent: clusterIntentSchema }),
  async ({ clusterId, intent }) => {
    const ref = parseClusterId(clusterId);
    if (!ref) return fail('InvalidInput', 'Unknown cluster id.');
    const view = await clusterView(ref).catch((error: unknown) => {
      if (error instanceof ClusterNotFoundError) return null;
      throw error;
    });
    if (!view) return fail('NotFound', `No cluster ${ref.masterName} in ${ref.region}.`);
    const taken = new Set(view.topology.replicas.map((r) => r.name));
    const result = planOperation({
      topology: view.topology,
      assessment: view.assessment,
      intent,
      // The operation journal (and its lock) lands with the runner; until then nothing else can be running.
      operationInProgress: false,
      newNames: newReplicaNames(ref.masterName, taken, 7),
    });
    return result.ok ? ok<Plan>(result.plan) : fail(result.refusal.code, result.refusal.message);
  },
);
