'use server';
import { z } from 'zod';
import { defineAction } from '@/lib/actions/define-action';
import { webhookIdSchema } from '@/lib/actions/schemas';
import { sendTestNotification } from '@/lib/server/services/webhooks';

/** "Send test" on Settings: posts a test notification to one webhook and answers with the receiver's HTTP status or the error. */
export const sendTestNotificationAction = defineAction(
  'sendTestNotification',
  { role: 'admin', mutates: true },
  z.object({ id: webhookIdSchema }),
  async ({ id }, { caller }) => sendTestNotification(id, caller),
);
