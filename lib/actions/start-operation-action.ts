'use server';
import { z } from 'zod';
import { refused } from '@/lib/core/errors';
import { parseClusterId } from '@/lib/core/topology';
import { defineAction, serverRefusal } from '@/lib/actions/define-action';
import { serverRefusals } from '@/lib/core/server-refusals';
import { hasRole } from '@/lib/core/roles';
import { backupOverrideSchema, clusterIdSchema, clusterIntentSchema } from '@/lib/actions/schemas';
import { startClusterOperation } from '@/lib/server/services/start-operation';

/**
 * Runs a change. The operator types the cluster's master name to confirm; the server re-plans on a fresh
 * observation (the preview may be stale) and refuses exactly as the preview would. `backupOverride` (offered only
 * after the backup gate stopped the same change) lets it go on without a verified snapshot.
 */
export const startOperationAction = defineAction(
  'startOperation',
  { role: 'operator', mutates: true },
  z.object({
    clusterId: clusterIdSchema,
    intent: clusterIntentSchema,
    confirm: z.string().max(100),
    backupOverride: backupOverrideSchema.optional(),
    // The preview the operator confirmed: its fingerprint and the names it gave new replicas (planner.ts, plan-run.ts).
    previewed: z
      .object({
        fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
        newNames: z.array(z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/)).max(7),
      })
      .optional(),
  }),
  async ({ clusterId, intent, confirm, backupOverride, previewed }, { actor, caller }) => {
    if (backupOverride && !hasRole(caller.role, 'admin')) {
      return serverRefusal<{ operationId: string }>(
        'startOperation',
        caller,
        serverRefusals.backupOverrideNeedsAdmin(),
      );
    }
    const ref = parseClusterId(clusterId);
    if (!ref) return refused(serverRefusals.unknownClusterId());
    if (confirm.trim() !== ref.masterName) {
      return {
        ...refused<{ operationId: string }>(serverRefusals.confirmName(ref.masterName, 'cluster')),
        fieldErrors: { confirm: ['Does not match the cluster name.'] },
      };
    }
    return startClusterOperation(ref, intent, actor, undefined, {
      source: caller.source,
      ...(backupOverride ? { backupOverride } : {}),
      ...(previewed ? { previewed } : {}),
    });
  },
);
