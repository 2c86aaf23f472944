import 'server-only';
import {
  MAX_WEBHOOKS,
  testNotification,
  webhookUrlForDisplay,
  type WebhookFormat,
  type WebhookView,
} from '@/lib/core/alerts';
import { ok, refused, type Result } from '@/lib/core/errors';
import { serverRefusals } from '@/lib/core/server-refusals';
import { actorOf, type Caller } from '@/lib/core/roles';
import type { Webhook } from '@/lib/ports/store';
import { container, type Container } from '@/lib/server/container';
import { monitoring } from '@/lib/server/monitor/runtime';
import { refusalDetail, type AuditJson } from '@/lib/core/audit';

// Where alert notifications go (Settings, admins only). Every change is audited (`webhook.*`, the address shortened
// as Settings shows it: Slack's URLs carry their secret in the path). A secret never leaves the server.

export type NewWebhookInput = {
  name: string;
  url: string;
  format: WebhookFormat;
  secret: string | null;
  enabled: boolean;
};

export function webhookView(w: Webhook): WebhookView {
  return {
    id: w.id,
    name: w.name,
    url: webhookUrlForDisplay(w.url),
    format: w.format,
    hasSecret: w.secret !== null,
    enabled: w.enabled,
    createdAt: w.createdAt,
    createdBy: w.createdBy,
    lastDelivery: w.lastDelivery,
  };
}

/** Every webhook as Settings shows it. */
export async function listWebhookViews(c: Container = container()): Promise<WebhookView[]> {
  return (await c.store.listWebhooks()).map(webhookView);
}

function audit(caller: Caller, action: string, outcome: 'succeeded' | 'refused', detail: { [key: string]: AuditJson }) {
  return container().store.addAudit({
    actor: actorOf(caller),
    source: caller.source,
    action: `webhook.${action}`,
    outcome,
    detail,
  });
}

function described(w: Pick<Webhook, 'name' | 'url' | 'format'>): Record<string, string> {
  return { name: w.name, url: webhookUrlForDisplay(w.url), format: w.format };
}

export async function addWebhook(input: NewWebhookInput, caller: Caller): Promise<Result<{ id: string }>> {
  const store = container().store;
  if ((await store.listWebhooks()).length >= MAX_WEBHOOKS) {
    const refusal = serverRefusals.tooManyWebhooks(MAX_WEBHOOKS);
    await audit(caller, 'add', 'refused', { ...described(input), ...refusalDetail(refusal) });
    return refused(refusal);
  }
  const made = await store.addWebhook({ ...input, createdBy: actorOf(caller) });
  await audit(caller, 'add', 'succeeded', {
    ...described(made),
    hasSecret: made.secret !== null,
    enabled: made.enabled,
    id: made.id,
  });
  return ok({ id: made.id });
}

export async function deleteWebhook(id: string, caller: Caller): Promise<Result<{ id: string }>> {
  const deleted = await container().store.deleteWebhook(id);
  if (!deleted) return notFound(caller, 'delete', id);
  await audit(caller, 'delete', 'succeeded', { ...described(deleted), id });
  return ok({ id });
}

export async function setWebhookEnabled(id: string, enabled: boolean, caller: Caller): Promise<Result<{ id: string }>> {
  const changed = await container().store.setWebhookEnabled(id, enabled);
  if (!changed) return notFound(caller, enabled ? 'enable' : 'disable', id);
  await audit(caller, enabled ? 'enable' : 'disable', 'succeeded', { ...described(changed), id });
  return ok({ id });
}

export type TestDelivery = { delivered: boolean; status: number | null; message: string };

/** Posts a test notification (one attempt, 5 s) and says how the receiver answered; audited as `webhook.test`. */
export async function sendTestNotification(id: string, caller: Caller): Promise<Result<TestDelivery>> {
  const hook = (await container().store.listWebhooks()).find((w) => w.id === id);
  if (!hook) return notFound(caller, 'test', id);
  const answer = await monitoring().notifier.sendTest(
    hook,
    testNotification(actorOf(caller), new Date().toISOString()),
  );
  await audit(caller, 'test', 'succeeded', { ...described(hook), id, delivered: answer.ok, answer: answer.message });
  return ok({ delivered: answer.ok, status: answer.status, message: answer.message });
}

async function notFound<T>(caller: Caller, action: string, id: string): Promise<Result<T>> {
  const refusal = serverRefusals.noSuchWebhook();
  await audit(caller, action, 'refused', { id, ...refusalDetail(refusal) });
  return refused(refusal);
}
