'use server';
import { defineAction } from '@/lib/actions/define-action';
import { newWebhookSchema } from '@/lib/actions/schemas';
import { addWebhook } from '@/lib/server/services/webhooks';

/** Admins add a webhook that alert notifications are posted to (Alertmanager JSON or Slack's form). */
export const addWebhookAction = defineAction(
  'addWebhook',
  { role: 'admin', mutates: true },
  newWebhookSchema,
  async (input, { caller }) => addWebhook(input, caller),
);
