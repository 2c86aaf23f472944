'use server';
import { z } from 'zod';
import { defineAction } from '@/lib/actions/define-action';
import { webhookIdSchema } from '@/lib/actions/schemas';
import { deleteWebhook } from '@/lib/server/services/webhooks';

/** Admins delete a webhook: it gets no notification from then on. */
export const deleteWebhookAction = defineAction(
  'deleteWebhook',
  { role: 'admin', mutates: true },
  z.object({ id: webhookIdSchema }),
  async ({ id }, { caller }) => deleteWebhook(id, caller),
);
