'use server';
import { z } from 'zod';
import { refused } from '@/lib/core/errors';
import { serverRefusals } from '@/lib/core/server-refusals';
import { defineAction } from '@/lib/actions/define-action';
import { newClusterSchema } from '@/lib/actions/schemas';
import { startNewCluster } from '@/lib/server/services/create-cluster';

/**
 * Creates a cluster (in the sandbox; on Compute Engine it refuses and names the kube-up command). The
 * operator types the new master's name to confirm; the server checks and plans again before it acts.
 */
export const createClusterAction = defineAction(
  'createCluster',
  { role: 'operator', mutates: true },
  newClusterSchema.extend({ confirm: z.string().trim().max(100) }),
  async ({ confirm, ...input }, { actor, caller }) => {
    if (confirm !== input.masterName) {
      return {
        ...refused<{ operationId: string; clusterId: string }>(
          serverRefusals.confirmName(input.masterName, 'newCluster'),
        ),
        fieldErrors: { confirm: ['Does not match the new name.'] },
      };
    }
    return startNewCluster(input, actor, undefined, undefined, caller.source);
  },
);
