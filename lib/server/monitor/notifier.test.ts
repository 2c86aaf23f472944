import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { testNotification, type AlertNotification, type WebhookFormat } from '@/lib/core/alerts';
import type { Webhook, WebhookDelivery } from '@/lib/ports/store';
import { WebhookNotifier } from './notifier';

// A real receiver on 127.0.0.1 that answers each POST with the next status of `statuses` (the last one repeats).
type Received = { headers: IncomingHttpHeaders; body: unknown };
const servers: Server[] = [];

async function receiver(statuses: number[], delayMs = 0): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(text) as unknown });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      setTimeout(
        () => res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 400 ? 'receiver says no' : 'ok'),
        delayMs,
      );
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function hook(url: string, over: Partial<Webhook> = {}): Webhook {
  return {
    id: 'w1',
    name: 'pager',
    url,
    format: 'alertmanager',
    secret: null,
    enabled: true,
    createdAt: '2026-01-10T12:00:00.000Z',
    createdBy: 'admin@quorum.local',
    lastDelivery: null,
    ...over,
  };
}

function memoryStore(hooks: Webhook[]) {
  const deliveries: Array<[string, WebhookDelivery]> = [];
  return {
    deliveries,
    store: {
      listWebhooks: async () => hooks,
      recordWebhookDelivery: async (id: string, d: WebhookDelivery) => void deliveries.push([id, d]),
    },
  };
}

const NOTE: AlertNotification = testNotification('admin@quorum.local', '2026-01-10T12:00:00.000Z');

describe('WebhookNotifier, against a real HTTP receiver', () => {
  it.each<[WebhookFormat, (body: unknown) => void]>([
    [
      'alertmanager',
      (body) =>
        expect(body).toMatchObject({
          version: '4',
          status: 'firing',
          receiver: 'pager',
          alerts: [{ labels: { alertname: 'QuorumWebhookTest' } }],
        }),
    ],
    ['slack', (body) => expect(body).toEqual({ text: expect.stringMatching(/^\[FIRING:1\] webhook-test/) })],
  ])('posts the %s form with the bearer token and records the delivery', async (format, check) => {
    const r = await receiver([200]);
    const { store, deliveries } = memoryStore([hook(r.url, { format, secret: 's3cret-token' })]);
    const notifier = new WebhookNotifier({ store, externalUrl: 'https://quorum.example.com' });
    notifier.notify(NOTE);
    await notifier.idle();
    expect(r.received).toHaveLength(1);
    check(r.received[0]?.body);
    expect(r.received[0]?.headers.authorization).toBe('Bearer s3cret-token');
    expect(r.received[0]?.headers['content-type']).toBe('application/json');
    expect(deliveries).toEqual([
      ['w1', { at: expect.any(String), ok: true, status: 200, message: 'HTTP 200', attempts: 1, test: false }],
    ]);
  });

  it('retries a 5xx with backoff until the receiver takes it; a 4xx is not retried', async () => {
    const flaky = await receiver([503, 500, 202]);
    const refusing = await receiver([400]);
    const { store, deliveries } = memoryStore([hook(flaky.url), hook(refusing.url, { id: 'w2', name: 'strict' })]);
    const logs: string[] = [];
    const notifier = new WebhookNotifier({
      store,
      externalUrl: '',
      retryDelaysMs: [10, 20, 40],
      log: (m) => logs.push(m),
    });
    notifier.notify(NOTE);
    await notifier.idle();
    expect(flaky.received).toHaveLength(3);
    expect(refusing.received).toHaveLength(1);
    expect(deliveries.map(([id, d]) => [id, d.ok, d.status, d.attempts])).toEqual(
      expect.arrayContaining([
        ['w1', true, 202, 3],
        ['w2', false, 400, 1],
      ]),
    );
    expect(deliveries.find(([id]) => id === 'w2')?.[1].message).toBe('HTTP 400 Bad Request: receiver says no');
    expect(logs).toEqual([
      expect.stringMatching(
        /^webhook "strict": the firing notification of webhook-test \(QuorumWebhookTest\) was not delivered after 1 attempt\(s\): HTTP 400/,
      ),
    ]);
  });

  it('gives up after the last retry and says why in words (nobody listening)', async () => {
    const gone = await receiver([200]);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const { store, deliveries } = memoryStore([hook(gone.url)]);
    const notifier = new WebhookNotifier({ store, externalUrl: '', retryDelaysMs: [5, 5], log: () => {} });
    notifier.notify(NOTE);
    await notifier.idle();
    expect(deliveries.map(([, d]) => [d.ok, d.status, d.attempts, d.message])).toEqual([
      [false, null, 3, `connection refused by ${new URL(gone.url).host}`],
    ]);
  });

  it('stops waiting for a receiver after the deadline', async () => {
    const slow = await receiver([200], 1_000);
    const { store } = memoryStore([]);
    const notifier = new WebhookNotifier({ store, externalUrl: '', timeoutMs: 100 });
    const answer = await notifier.sendTest(hook(slow.url), NOTE);
    expect(answer).toEqual({ ok: false, status: null, message: 'no answer within 0.1 s', retryable: true });
  });

  it('keeps each webhook’s notifications in order, and a paused webhook gets none', async () => {
    const r = await receiver([200]);
    const paused = await receiver([200]);
    const { store } = memoryStore([hook(r.url), hook(paused.url, { id: 'w2', enabled: false })]);
    const notifier = new WebhookNotifier({ store, externalUrl: '' });
    const resolved: AlertNotification = {
      ...NOTE,
      status: 'resolved',
      alerts: NOTE.alerts.map((a) => ({ ...a, endsAt: '2026-01-10T12:01:00.000Z' })),
    };
    notifier.notify(NOTE);
    notifier.notify(resolved);
    await notifier.idle();
    expect(r.received.map((x) => (x.body as { status: string }).status)).toEqual(['firing', 'resolved']);
    expect(paused.received).toEqual([]);
  });

  it('sends a resolved only for alerts that started after the webhook was added (it never heard they fired)', async () => {
    const r = await receiver([200]);
    // Added at 12:00:30; the test notification's alert started at 12:00:00.
    const { store } = memoryStore([hook(r.url, { createdAt: '2026-01-10T12:00:30.000Z' })]);
    const notifier = new WebhookNotifier({ store, externalUrl: '' });
    const ended = (startsAt: string) =>
      ({
        ...NOTE.alerts[0],
        startsAt,
        endsAt: '2026-01-10T12:01:00.000Z',
        key: `K|${startsAt}`,
      }) as AlertNotification['alerts'][number];
    notifier.notify({ ...NOTE, status: 'resolved', alerts: [ended('2026-01-10T12:00:00.000Z')] });
    notifier.notify({
      ...NOTE,
      status: 'resolved',
      alerts: [ended('2026-01-10T12:00:00.000Z'), ended('2026-01-10T12:00:40.000Z')],
    });
    await notifier.idle();
    expect(
      r.received.map((x) => (x.body as { alerts: Array<{ startsAt: string }> }).alerts.map((a) => a.startsAt)),
    ).toEqual([['2026-01-10T12:00:40.000Z']]);
  });

  it('returns from notify at once, before anything is delivered', async () => {
    const slow = await receiver([200], 300);
    const { store } = memoryStore([hook(slow.url)]);
    const notifier = new WebhookNotifier({ store, externalUrl: '' });
    // Nothing to await: the observer that produced the notification goes on at once.
    expect(notifier.notify(NOTE)).toBeUndefined();
    expect(slow.received).toEqual([]);
    await notifier.idle();
    expect(slow.received).toHaveLength(1);
  });
});
