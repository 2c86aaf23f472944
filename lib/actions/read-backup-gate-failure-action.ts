'use server';
import { z } from 'zod';
import { backupOverrideOffer } from '@/lib/core/backups';
import { ok } from '@/lib/core/errors';
import type { ClusterIntent } from '@/lib/core/planner';
import { defineAction } from '@/lib/actions/define-action';
import { clusterIdSchema, clusterIntentSchema } from '@/lib/actions/schemas';
import { container } from '@/lib/server/container';
import { gateJournalOf } from '@/lib/server/services/start-operation';

export type BackupGateFailure = { operationId: string; intent: ClusterIntent; error: string };

/**
 * The change the backup gate stopped, for the change wizard to offer the override: only when `operationId` is
 * this cluster's latest operation and it failed at its snapshot step (the start action checks the same again).
 */
export const readBackupGateFailureAction = defineAction(
  'readBackupGateFailure',
  { role: 'viewer', mutates: false },
  z.object({ clusterId: clusterIdSchema, operationId: z.uuid() }),
  async ({ clusterId, operationId }) => {
    const { store } = container();
    const [failed, latest] = await Promise.all([gateJournalOf(store, operationId), store.listOperations(clusterId, 1)]);
    const offer = backupOverrideOffer({ clusterId, failed, latestOperationId: latest[0]?.id ?? null });
    const intent = offer.ok ? clusterIntentSchema.safeParse(offer.intent) : null;
    return ok<BackupGateFailure | null>(
      offer.ok && intent?.success ? { operationId: offer.operationId, intent: intent.data, error: offer.error } : null,
    );
  },
);
