'use server';
import { z } from 'zod';
import { fail } from '@/lib/core/errors';
import { defineAction } from '@/lib/actions/define-action';
import { knownClusterRef, unknownClusterMessage } from '@/lib/server/known-clusters';
import { clusterIdSchema, gceNameSchema, sshFingerprintSchema, zoneSchema } from '@/lib/actions/schemas';
import { trustHostKey } from '@/lib/server/services/trust-host-key';

/** Admin only: pin the SSH host key a replica presents now, in place of the changed one (only if it is the key the admin was shown). */
export const trustHostKeyAction = defineAction(
  'trustHostKey',
  { role: 'admin', mutates: true },
  z.object({
    clusterId: clusterIdSchema,
    replica: gceNameSchema,
    zone: zoneSchema,
    pinnedFingerprint: sshFingerprintSchema,
    presentedFingerprint: sshFingerprintSchema,
  }),
  async ({ clusterId, ...seen }, { actor, caller }) => {
    const ref = await knownClusterRef(clusterId);
    if (!ref) return fail('NotFound', unknownClusterMessage(clusterId));
    return trustHostKey(ref, seen, actor, caller.source);
  },
);
