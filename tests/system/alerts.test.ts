// Issue 13, alerts and the timeline, on the real dashboard process (`next start`) with no page open: the background monitor
// (QUORUM_MONITOR_INTERVAL_MS=1000) is all that observes the clusters.
// - /metrics refuses a scrape without the token or with a wrong one (401, WWW-Authenticate: Bearer) and shows prod's
//   tolerance with it.
// - The webhook actions refuse anonymous callers and viewers; an admin adds a webhook (a real HTTP receiver on
//   127.0.0.1) through the server action, and "Send test" reaches it.
// - A prod replica stopped through the Compute API makes exactly one firing notification (Alertmanager JSON) for it,
//   also across a restart of the dashboard while it stays stopped, and /metrics shows can_lose_replicas 0; started
//   again, exactly one resolved, and can_lose_replicas back at 1.
// - The cluster page's timeline (read from the store) shows that outage with its real start after the restart in
//   between, and its end once the replica is back.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeGceClients, createGceClients } from '@/lib/adapters/gce/gce-compute';
import { operationOf, waitForOperation } from '@/lib/adapters/gce/gce-operations';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import type { AlertmanagerPayload } from '@/lib/core/alerts';
import { clusterId } from '@/lib/core/topology';
import {
  dashboardReady,
  signInAsBootstrapAdmin,
  signInCookie,
  startDashboard,
  type DashboardProcess,
} from '@/tests/support/dashboard-process';
import { callServerAction } from '@/tests/support/server-actions';
import { pollUntil, PROD, replicaVms, sandboxPort, sleep, testContainer } from '../integration/support';

const APP_PORT = Number(process.env.QUORUM_SYS_ALERTS_PORT ?? 3117);
const BASE = `http://127.0.0.1:${APP_PORT}`;
const TOKEN = 'alerts-system-test-token-0123456789';
const PROD_ID = clusterId(PROD);

let dataDir = '';
let dashboard: DashboardProcess;
let adminCookie = '';
let viewerCookie = '';
let store: SqliteStore;
const gce = createGceClients({ kind: 'sandbox', port: sandboxPort() });

// --- The receiver: every POST it gets, in order ------------------------------------------------------------------

type Received = { at: number; headers: IncomingHttpHeaders; body: AlertmanagerPayload };
const received: Received[] = [];
let receiver: Server;
let receiverUrl = '';

function startReceiver(): Promise<void> {
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ at: Date.now(), headers: req.headers, body: JSON.parse(text) as AlertmanagerPayload });
      res.writeHead(200).end('ok');
    });
  });
  return new Promise((resolve) =>
    receiver.listen(0, '127.0.0.1', () => {
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
      resolve();
    }),
  );
}

/** The notifications of `status` that carry `alertname` for `subject` on prod. */
function notificationsFor(status: 'firing' | 'resolved', alertname: string, subject: string): Received[] {
  return received.filter(
    (r) =>
      r.body.status === status &&
      r.body.alerts.some(
        (a) => a.labels.cluster === PROD_ID && a.labels.alertname === alertname && a.labels.subject === subject,
      ),
  );
}

/** What the receiver got, one line per post, for failure messages. */
function timeline(): string {
  return received
    .map(
      (r) =>
        `${new Date(r.at).toISOString()} ${r.body.status} ${r.body.alerts.map((a) => `${a.labels.alertname}/${a.labels.subject ?? ''}`).join(', ')}`,
    )
    .join('\n');
}

// --- The dashboard -----------------------------------------------------------------------------------------------

function start(): DashboardProcess {
  return startDashboard({
    port: APP_PORT,
    dataDir,
    logFile: path.join(dataDir, 'dashboard.log'),
    env: {
      QUORUM_PROVIDER: 'sandbox',
      SANDBOX_PORT: String(sandboxPort()),
      QUORUM_MONITOR_INTERVAL_MS: '1000',
      QUORUM_METRICS_TOKEN: TOKEN,
    },
  });
}

function scrape(authorization?: string): Promise<Response> {
  return fetch(`${BASE}/metrics`, { headers: authorization === undefined ? {} : { authorization } });
}

/** prod's quorum_cluster_can_lose_replicas as /metrics shows it now, or null when it has none yet. */
async function prodCanLoseReplicas(): Promise<number | null> {
  const text = await (await scrape(`Bearer ${TOKEN}`)).text();
  const series = `quorum_cluster_can_lose_replicas{cluster="${PROD_ID}"} `;
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line === undefined ? null : Number(line.slice(series.length));
}

/** How many alerts /metrics says are firing on prod now. */
async function prodFiring(): Promise<number> {
  const text = await (await scrape(`Bearer ${TOKEN}`)).text();
  const series = `quorum_alerts_firing{cluster="${PROD_ID}",`;
  return text
    .split('\n')
    .filter((l) => l.startsWith(series))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** The replica outages the cluster page's timeline lists (server-rendered from the store), as the page has them. */
async function timelineOutages(replica: string): Promise<Array<{ from: string; to: string }>> {
  const res = await fetch(`${BASE}/clusters/${encodeURIComponent(PROD_ID)}`, { headers: { cookie: adminCookie } });
  const html = await res.text();
  const attr = (tag: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1] ?? '';
  return [...html.matchAll(/<li[^>]*data-testid="timeline-outage"[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => attr(tag, 'data-replica') === replica)
    .map((tag) => ({ from: attr(tag, 'data-from'), to: attr(tag, 'data-to') }));
}

async function stopOrStart(verb: 'stop' | 'start', zone: string, instance: string): Promise<void> {
  const request = { project: PROD.project, zone, instance };
  const result = verb === 'stop' ? await gce.instances.stop(request) : await gce.instances.start(request);
  await waitForOperation(gce, PROD.project, operationOf(result), 60_000);
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'quorum-alerts-'));
  await startReceiver();
  dashboard = start();
  await dashboardReady(dashboard, APP_PORT);
  await pollUntil(
    async () => (await import('node:fs')).existsSync(path.join(dataDir, 'initial-admin-password')),
    Boolean,
    30_000,
    200,
  );
  adminCookie = await signInAsBootstrapAdmin(BASE, dataDir);
  const viewer = { email: 'viewer@alerts.test', password: `Viewer-${Date.now().toString(36)}-quiet-harbor-71` };
  const made = await callServerAction(BASE, adminCookie, 'createUserAction', {
    ...viewer,
    name: 'Viewer',
    role: 'viewer',
  });
  expect(made.result, made.body.slice(0, 300)).toMatchObject({ ok: true });
  viewerCookie = await signInCookie(BASE, viewer.email, viewer.password);
  store = await openSqliteStore(dataDir);
});

afterAll(async () => {
  await dashboard?.stop();
  await store?.close();
  await closeGceClients(gce);
  await new Promise((resolve) => receiver?.close(resolve));
  if (!process.env.QUORUM_KEEP_INTEGRATION_DATA) rmSync(dataDir, { recursive: true, force: true });
});

describe('/metrics', () => {
  it('refuses a scrape without the token or with a wrong one, and shows prod’s tolerance with it, with no page open', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`]) {
      const res = await scrape(authorization);
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="quorum-metrics"');
      expect(await res.text()).not.toContain('quorum_');
    }
    // Only the monitor observes: nothing else asks for prod.
    expect(await pollUntil(prodCanLoseReplicas, (v) => v === 1, 60_000, 500)).toBe(1);
    // Settled: what the first observations of a fresh dashboard said (its SSH key still being published) has resolved.
    expect(await pollUntil(prodFiring, (n) => n === 0, 60_000, 500)).toBe(0);
    const ok = await scrape(`Bearer ${TOKEN}`);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await ok.text();
    expect(text).toContain(`quorum_cluster_replicas{cluster="${PROD_ID}",state="healthy"} 3`);
    expect(text).toMatch(/^quorum_compute_calls_total\{project="sandbox-project"\} \d+$/m);
  });
});

describe('webhooks', () => {
  it('refuses anonymous callers and viewers, changing nothing', async () => {
    const arg = { name: 'intruder', url: receiverUrl, format: 'alertmanager', enabled: true };
    const anonymous = await callServerAction(BASE, '', 'addWebhookAction', arg);
    expect(anonymous.result).toMatchObject({ ok: false, code: 'Unauthenticated' });
    const byViewer = await callServerAction(BASE, viewerCookie, 'addWebhookAction', arg);
    expect(byViewer.result).toMatchObject({ ok: false, code: 'Forbidden' });
    expect(await store.listWebhooks()).toEqual([]);
    // Both refusals are on record (the anonymous one as the first of its minute from this address).
    const refusals = await store.listAudit({ action: 'action.addWebhook', outcome: 'refused' });
    expect(refusals.map((r) => r.actor).sort()).toEqual(['anonymous', 'viewer@alerts.test']);
  });

  it('an admin adds one through the server action, refuses a non-http address, and its test reaches the receiver', async () => {
    const refused = await callServerAction(BASE, adminCookie, 'addWebhookAction', {
      name: 'bad',
      url: 'file:///etc/passwd',
      format: 'alertmanager',
      enabled: true,
    });
    expect(refused.result).toMatchObject({ ok: false, code: 'InvalidInput' });
    const added = await callServerAction(BASE, adminCookie, 'addWebhookAction', {
      name: 'receiver',
      url: receiverUrl,
      format: 'alertmanager',
      secret: 'receiver-bearer-token',
      enabled: true,
    });
    expect(added.result, added.body.slice(0, 300)).toMatchObject({ ok: true });
    const id = (added.result?.data as { id: string }).id;
    // The settings page shows that a token is set, never the token.
    const settings = await (await fetch(`${BASE}/settings`, { headers: { cookie: adminCookie } })).text();
    expect(settings).toContain('webhooks-table');
    expect(settings).not.toContain('receiver-bearer-token');

    const test = await callServerAction(BASE, adminCookie, 'sendTestNotificationAction', { id });
    expect(test.result).toMatchObject({ ok: true, data: { delivered: true, status: 200, message: 'HTTP 200' } });
    const tests = received.filter((r) => r.body.alerts.some((a) => a.labels.alertname === 'QuorumWebhookTest'));
    expect(tests).toHaveLength(1);
    expect(tests[0]?.headers.authorization).toBe('Bearer receiver-bearer-token');
    expect(tests[0]?.body).toMatchObject({ version: '4', status: 'firing', receiver: 'receiver' });
    expect((await store.listWebhooks())[0]?.lastDelivery).toMatchObject({ ok: true, status: 200, test: true });
  });
});

describe('a prod replica stopped and started through the Compute API', () => {
  it(
    'makes exactly one firing and one resolved notification, also across a dashboard restart, and /metrics follows',
    { timeout: 420_000 },
    async () => {
      const c = testContainer();
      const victim = (await replicaVms(c, PROD))[0];
      await c.close();
      if (!victim) throw new Error('no prod replica');
      // Healthy before: nothing firing for it.
      expect(await pollUntil(prodCanLoseReplicas, (v) => v === 1, 60_000, 500)).toBe(1);
      expect(await pollUntil(prodFiring, (n) => n === 0, 60_000, 500)).toBe(0);
      expect(notificationsFor('firing', 'ReplicaUnhealthy', victim.name), timeline()).toEqual([]);
      expect(notificationsFor('resolved', 'ReplicaUnhealthy', victim.name), timeline()).toEqual([]);

      // When the timeline says the outage began (read before the restart, checked after it and at the end).
      let outageStart = '';
      await stopOrStart('stop', victim.zone, victim.name);
      try {
        const firing = await pollUntil(
          async () => notificationsFor('firing', 'ReplicaUnhealthy', victim.name),
          (n) => n.length > 0,
          60_000,
          250,
        );
        expect(firing, timeline()).toHaveLength(1);
        const alert = firing[0]?.body.alerts.find((a) => a.labels.alertname === 'ReplicaUnhealthy');
        expect(firing[0]?.body).toMatchObject({
          version: '4',
          status: 'firing',
          receiver: 'receiver',
          groupLabels: { cluster: PROD_ID },
          groupKey: `{}:{cluster="${PROD_ID}"}`,
        });
        expect(alert).toMatchObject({
          status: 'firing',
          endsAt: '0001-01-01T00:00:00Z',
          labels: { severity: 'critical', master: 'prod-master' },
        });
        expect(alert?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
        expect(alert?.annotations.summary).toContain(victim.name);
        expect(firing[0]?.headers.authorization).toBe('Bearer receiver-bearer-token');
        expect(await pollUntil(prodCanLoseReplicas, (v) => v === 0, 30_000, 500)).toBe(0);

        // The cluster page's timeline has the outage, still going, from about when the alert started.
        // (The dashboard's first seconds may hold a short, ended one: its key was being published. Only one is going on.)
        const ongoing = (outages: Array<{ from: string; to: string }>) => outages.filter((o) => o.to === '');
        const before = ongoing(
          await pollUntil(
            () => timelineOutages(victim.name),
            (o) => ongoing(o).length === 1,
            30_000,
            500,
          ),
        );
        expect(before).toHaveLength(1);
        outageStart = before[0]?.from ?? '';
        expect(Math.abs(Date.parse(outageStart) - Date.parse(alert?.startsAt ?? ''))).toBeLessThan(5_000);

        // A restart while it stays stopped: the firing state is in the store, so the new process sends no second one.
        const restartedAt = Date.now();
        await dashboard.stop();
        dashboard = start();
        await dashboardReady(dashboard, APP_PORT);
        expect(await pollUntil(prodCanLoseReplicas, (v) => v === 0, 60_000, 500)).toBe(0);
        await sleep(5_000);
        expect(notificationsFor('firing', 'ReplicaUnhealthy', victim.name), timeline()).toHaveLength(1);
        expect(notificationsFor('resolved', 'ReplicaUnhealthy', victim.name), timeline()).toHaveLength(0);
        // The new process's page shows the same outage with its real start, from before the restart.
        expect(ongoing(await timelineOutages(victim.name))).toEqual([{ from: outageStart, to: '' }]);
        expect(Date.parse(outageStart)).toBeLessThan(restartedAt);
      } finally {
        await stopOrStart('start', victim.zone, victim.name);
      }

      const resolved = await pollUntil(
        async () => notificationsFor('resolved', 'ReplicaUnhealthy', victim.name),
        (n) => n.length > 0,
        120_000,
        250,
      );
      expect(resolved, timeline()).toHaveLength(1);
      const ended = resolved[0]?.body.alerts.find(
        (a) => a.labels.alertname === 'ReplicaUnhealthy' && a.labels.subject === victim.name,
      );
      const started = notificationsFor('firing', 'ReplicaUnhealthy', victim.name)[0]?.body.alerts.find(
        (a) => a.labels.alertname === 'ReplicaUnhealthy',
      );
      expect(ended).toMatchObject({
        status: 'resolved',
        fingerprint: started?.fingerprint,
        startsAt: started?.startsAt,
      });
      expect(Date.parse(ended?.endsAt ?? '')).toBeGreaterThan(Date.parse(ended?.startsAt ?? ''));
      expect(await pollUntil(prodCanLoseReplicas, (v) => v === 1, 120_000, 500)).toBe(1);
      // Settled: still exactly one of each, and the tolerance alert went the same way.
      await sleep(5_000);
      expect(notificationsFor('firing', 'ReplicaUnhealthy', victim.name), timeline()).toHaveLength(1);
      expect(notificationsFor('resolved', 'ReplicaUnhealthy', victim.name), timeline()).toHaveLength(1);
      const tolerance = (status: 'firing' | 'resolved') =>
        received.filter(
          (r) =>
            r.body.status === status &&
            r.body.alerts.some((a) => a.labels.cluster === PROD_ID && a.labels.alertname === 'ToleranceBelowOne'),
        );
      expect([tolerance('firing').length, tolerance('resolved').length], timeline()).toEqual([1, 1]);
      expect((await store.listWebhooks())[0]?.lastDelivery).toMatchObject({ ok: true, status: 200, test: false });
      // And the timeline closed it: one outage, its start unchanged, ended when the replica was seen healthy again.
      const closed = await pollUntil(
        () => timelineOutages(victim.name),
        (o) => o.every((x) => x.to !== ''),
        30_000,
        500,
      );
      const that = closed.find((o) => o.from === outageStart);
      expect(closed.filter((o) => o.to === '')).toEqual([]);
      expect(Date.parse(that?.to ?? '')).toBeGreaterThan(Date.parse(outageStart));
    },
  );
});
