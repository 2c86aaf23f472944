import 'server-only';
import { webhookBody, type AlertNotification } from '@/lib/core/alerts';
import type { Store, Webhook, WebhookDelivery } from '@/lib/ports/store';
import { postWebhook, type PostWebhook, type WebhookAnswer } from '@/lib/adapters/webhook/post-webhook';

/** Deadline of one POST to a receiver. */
export const WEBHOOK_TIMEOUT_MS = 5_000;
/** Waits before the 2nd, 3rd and 4th attempt of a notification that found no receiver (or a 5xx, 408, 429). */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [1_000, 4_000, 15_000];

export type NotifierDeps = {
  store: Pick<Store, 'listWebhooks' | 'recordWebhookDelivery'>;
  /** The dashboard's public URL (QUORUM_BASE_URL) for links in the payloads; '' when unknown. */
  externalUrl: string;
  post?: PostWebhook;
  timeoutMs?: number;
  retryDelaysMs?: readonly number[];
  now?: () => Date;
  log?: (message: string) => void;
};

/**
 * Posts alert notifications to every enabled webhook, in its format. `notify` returns at once: deliveries run in the
 * background, one queue per webhook (a slow or dead receiver holds back only its own notifications, which still
 * arrive in order: a firing before its resolved), each with a 5 s deadline and a few retries with backoff. The
 * outcome of the latest delivery is kept on the webhook (Settings shows it); failures are logged. Queued
 * deliveries live in memory: notifications still being retried when the process stops are lost.
 */
export class WebhookNotifier {
  private fanOut: Promise<void> = Promise.resolve();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly post: PostWebhook;
  private readonly timeoutMs: number;
  private readonly retryDelaysMs: readonly number[];
  private readonly now: () => Date;
  private readonly log: (message: string) => void;

  constructor(private readonly deps: NotifierDeps) {
    this.post = deps.post ?? postWebhook;
    this.timeoutMs = deps.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
    this.retryDelaysMs = deps.retryDelaysMs ?? WEBHOOK_RETRY_DELAYS_MS;
    this.now = deps.now ?? (() => new Date());
    this.log = deps.log ?? ((message) => console.warn(`[alerts] ${message}`));
  }

  /** Queues `notification` for every enabled webhook; never throws, never waits. */
  notify(notification: AlertNotification): void {
    // Listing in one chain keeps the queues' order that of the notifications.
    this.fanOut = this.fanOut
      .then(async () => {
        for (const hook of await this.deps.store.listWebhooks()) {
          const forHook = hook.enabled ? notificationFor(hook, notification) : null;
          if (forHook) this.enqueue(hook.id, () => this.deliver(hook, forHook));
        }
      })
      .catch((error: unknown) =>
        this.log(
          `the webhooks could not be listed; a ${notification.status} notification was not sent: ${String(error)}`,
        ),
      );
  }

  /** One attempt of "Send test" (no retries: the admin sees the answer at once), kept as the webhook's latest delivery. */
  async sendTest(hook: Webhook, notification: AlertNotification): Promise<WebhookAnswer> {
    const answer = await this.post({
      url: hook.url,
      body: webhookBody(hook.format, notification, { receiver: hook.name, externalUrl: this.deps.externalUrl }),
      bearer: hook.secret,
      timeoutMs: this.timeoutMs,
    });
    await this.record(hook, answer, 1, true);
    return answer;
  }

  /** Resolves once every notification queued so far has been delivered or given up. */
  async idle(): Promise<void> {
    await this.fanOut;
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  private enqueue(webhookId: string, task: () => Promise<void>): void {
    const next = (this.queues.get(webhookId) ?? Promise.resolve())
      .then(task)
      .catch((error: unknown) => this.log(`a delivery to webhook ${webhookId} failed: ${String(error)}`));
    this.queues.set(webhookId, next);
    void next.then(() => {
      if (this.queues.get(webhookId) === next) this.queues.delete(webhookId);
    });
  }

  private async deliver(hook: Webhook, notification: AlertNotification): Promise<void> {
    const body = webhookBody(hook.format, notification, { receiver: hook.name, externalUrl: this.deps.externalUrl });
    let attempts = 0;
    let answer: WebhookAnswer;
    for (;;) {
      attempts += 1;
      answer = await this.post({ url: hook.url, body, bearer: hook.secret, timeoutMs: this.timeoutMs });
      const delay = this.retryDelaysMs[attempts - 1];
      if (answer.ok || !answer.retryable || delay === undefined) break;
      await sleep(delay);
    }
    if (!answer.ok) {
      const alerts = notification.alerts.map((a) => a.labels.alertname).join(', ');
      this.log(
        `webhook "${hook.name}": the ${notification.status} notification of ${notification.cluster.masterName} (${alerts}) was not delivered after ${attempts} attempt(s): ${answer.message}`,
      );
    }
    await this.record(hook, answer, attempts, false);
  }

  private async record(hook: Webhook, answer: WebhookAnswer, attempts: number, test: boolean): Promise<void> {
    const delivery: WebhookDelivery = {
      at: this.now().toISOString(),
      ok: answer.ok,
      status: answer.status,
      message: answer.message,
      attempts,
      test,
    };
    await this.deps.store
      .recordWebhookDelivery(hook.id, delivery)
      .catch((error: unknown) =>
        this.log(`the delivery to webhook "${hook.name}" could not be recorded: ${String(error)}`),
      );
  }
}

/**
 * What one webhook gets of a notification: a resolved one only for the alerts that started after the webhook was
 * added, since it was never told they fired (as Alertmanager sends a receiver resolved only for what it notified);
 * null when nothing is left. A webhook added while alerts fire hears of them when they start again.
 */
export function notificationFor(hook: Pick<Webhook, 'createdAt'>, n: AlertNotification): AlertNotification | null {
  if (n.status === 'firing') return n;
  const told = n.alerts.filter((a) => Date.parse(a.startsAt) >= Date.parse(hook.createdAt));
  return told.length === 0 ? null : { ...n, alerts: told };
}

/** A wait that does not keep the process alive: a retry pending at exit is given up. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
