'use server';
import { z } from 'zod';
import { defineAction } from '@/lib/actions/define-action';
import { webhookIdSchema } from '@/lib/actions/schemas';
import { setWebhookEnabled } from '@/lib/server/services/webhooks';

/** Admins pause a webhook (kept, sent nothing) or turn it on again. */
export const setWebhookEnabledAction = defineAction(
  'setWebhookEnabled',
  { role: 'admin', mutates: true },
  z.object({ id: webhookIdSchema, enabled: z.boolean() }),
  async ({ id, enabled }, { caller }) => setWebhookEnabled(id, enabled, caller),
);
