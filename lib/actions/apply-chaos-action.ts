'use server';
import { z } from 'zod';
import { refused } from '@/lib/core/errors';
import { defineAction } from '@/lib/actions/define-action';
import { knownClusterRef } from '@/lib/server/known-clusters';
import { serverRefusals } from '@/lib/core/server-refusals';
import { chaosRequestSchema, clusterIdSchema } from '@/lib/actions/schemas';
import { applyChaos } from '@/lib/server/services/sandbox-chaos';

/** Sandbox only: stop a VM, kill or freeze etcd, restore a replica, take a zone down or bring it back. Refused (Unsupported) on Compute Engine. */
export const applyChaosAction = defineAction(
  'applyChaos',
  { role: 'operator', mutates: true },
  z.object({ clusterId: clusterIdSchema, request: chaosRequestSchema }),
  async ({ clusterId, request }, { actor, caller }) => {
    const ref = await knownClusterRef(clusterId);
    if (!ref) return refused(serverRefusals.unknownCluster(clusterId));
    return applyChaos(ref, request, undefined, actor, caller.source);
  },
);
