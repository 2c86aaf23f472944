'use server';
import { ok, type Result } from '@/lib/core/errors';
import type { Plan } from '@/lib/core/planner';
import { defineAction } from '@/lib/actions/define-action';
import { newClusterSchema } from '@/lib/actions/schemas';
import { checkPreviewRate, previewRateRefusal } from '@/lib/server/rate-limit/actions';
import { planNewCluster } from '@/lib/server/services/create-cluster';

/** The plan of a new cluster, checked against Compute as it is now (name free, zone of a region), changing nothing. */
export const previewCreateClusterAction = defineAction(
  'previewCreateCluster',
  { role: 'viewer', mutates: false },
  newClusterSchema,
  async (input, { caller }): Promise<Result<Plan>> => {
    const rate = checkPreviewRate(caller.userId);
    if (!rate.ok) return previewRateRefusal(rate.retryAfterSeconds);
    const planned = await planNewCluster(input);
    return planned.ok ? ok(planned.data.plan) : planned;
  },
);
