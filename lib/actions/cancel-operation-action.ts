'use server';
import { z } from 'zod';
import { ok, refused } from '@/lib/core/errors';
import { serverRefusals } from '@/lib/core/server-refusals';
import { defineAction } from '@/lib/actions/define-action';
import { container } from '@/lib/server/container';
import { operationsRunner } from '@/lib/server/operations/runtime';

/** Asks a running operation to stop at its next safe point (a step boundary). */
export const cancelOperationAction = defineAction(
  'cancelOperation',
  { role: 'operator', mutates: true },
  z.object({ operationId: z.uuid() }),
  async ({ operationId }, { actor, caller }) => {
    const operation = await container().store.getOperation(operationId);
    if (!operation) return refused(serverRefusals.noSuchOperation());
    // The cancel's audit row says who asked and from where (not the operation's own starter and address).
    await operationsRunner().cancel(operationId, actor, caller.source);
    return ok({ operationId });
  },
);
