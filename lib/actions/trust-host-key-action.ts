'use server';
import { z } from 'zod';
import { refused } from '@/lib/core/errors';
import { defineAction } from '@/lib/actions/define-action';
import { knownClusterRef } from '@/lib/server/known-clusters';
import { serverRefusals } from '@/lib/core/server-refusals';
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
    if (!ref) return refused(serverRefusals.unknownCluster(clusterId));
    return trustHostKey(ref, seen, actor, caller.source);
  },
);
