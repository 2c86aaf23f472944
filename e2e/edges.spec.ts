// Issue 12, the edges (findings 8, 10, 11, 12), on the production build: route handlers' answers and live streams
// are private and never stored; Compute failing under a preview or a start comes back in words with its code (in
// the build the actions and the container's adapters are different bundles); TRACE and every other method a path does not answer get 405 with the Allow list
// and the security headers, and the server logs nothing; the data dirs are owner-only. A second dashboard (its own
// port, a data dir an earlier version left world-readable, a log file this spec reads) shows the start tightening
// modes and the log staying clean.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rawRequest } from '../tests/support/raw-http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request as playwrightRequest } from '@playwright/test';
import { startDashboard, type DashboardProcess } from '../tests/support/dashboard-process';
import { E2E } from '../playwright.config';
import { BASE_URL } from './fixtures/auth';
import { sandboxComputeFault } from './fixtures/chaos';
import { expect, test } from './fixtures/test';
import { ChangePage } from './pages/change-page';
import { clusterId } from './pages/cluster-page';

const PROD = encodeURIComponent(clusterId('prod-master', 'europe-west1'));

/** Cache-Control exactly `private, no-store`, and Cookie among what the answer varies on (Next appends its own RSC headers). */
function expectNoStore(
  headers: Record<string, string | string[] | undefined>,
  what: string,
  cacheControl = 'private, no-store',
): void {
  expect(headers['cache-control'], what).toBe(cacheControl);
  const vary = [headers.vary ?? '']
    .flat()
    .join(',')
    .split(',')
    .map((v) => v.trim().toLowerCase());
  expect(vary, what).toContain('cookie');
}

/** Any method (fetch cannot send TRACE), to `port`; the answer's status, headers and body. */
const send = (port: number, method: string, urlPath: string) => rawRequest(port, method, urlPath);

/** The admin's session cookie, as the browser contexts of every spec carry it. */
function adminCookie(): string {
  const state = JSON.parse(readFileSync(E2E.adminState, 'utf8')) as { cookies: Array<{ name: string; value: string }> };
  return state.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

const modeOf = (file: string) => statSync(file).mode & 0o777;

test.describe('route handlers are private and never stored (finding 8)', () => {
  test('every JSON answer of a route handler, success or refusal, says private, no-store and varies on the cookie', async ({
    request,
  }) => {
    const anonymous = await playwrightRequest.newContext({
      baseURL: BASE_URL,
      storageState: { cookies: [], origins: [] },
    });
    try {
      const answers = [
        { what: 'health', response: await request.get('/api/health'), status: 200 },
        { what: 'fleet', response: await request.get('/api/fleet'), status: 200 },
        { what: 'a cluster', response: await request.get(`/api/clusters/${PROD}`), status: 200 },
        { what: 'a malformed cluster id', response: await request.get('/api/clusters/not-a-cluster'), status: 400 },
        {
          what: 'an unknown operation',
          response: await request.get('/api/operations/00000000-0000-4000-8000-000000000000'),
          status: 404,
        },
        { what: 'the session (better-auth)', response: await request.get('/api/auth/get-session'), status: 200 },
        { what: 'the fleet, anonymous', response: await anonymous.get('/api/fleet'), status: 401 },
        {
          what: 'a foreign origin',
          response: await request.post('/api/health', { headers: { Origin: 'https://evil.example' } }),
          status: 403,
        },
      ];
      for (const { what, response, status } of answers) {
        expect(response.status(), what).toBe(status);
        expectNoStore(response.headers(), what);
        expect(response.headers()['x-content-type-options'], what).toBe('nosniff');
      }
    } finally {
      await anonymous.dispose();
    }
    // Pages keep Next's own no-store.
    expect((await request.get('/')).headers()['cache-control']).toContain('no-store');
  });

  test('the live streams (SSE) are never stored either', async () => {
    for (const url of ['/api/fleet/events', `/api/clusters/${PROD}/events`]) {
      const abort = new AbortController();
      const response = await fetch(`${BASE_URL}${url}`, { headers: { cookie: adminCookie() }, signal: abort.signal });
      try {
        expect(response.status, url).toBe(200);
        expect(response.headers.get('content-type'), url).toContain('text/event-stream');
        expectNoStore(Object.fromEntries(response.headers), url, 'private, no-store, no-transform');
      } finally {
        abort.abort();
      }
    }
  });
});

test.describe('Compute failing under the actions (finding 10)', () => {
  test.afterEach(async ({ request }) => {
    await sandboxComputeFault(request, null);
  });

  test('a start and a preview Compute fails under answer with the code and words, never "Something went wrong"; the refused start is audited', async ({
    page,
    request,
  }) => {
    const change = new ChangePage(page);
    await change.goto('prod-master', 'europe-west1');
    await change.zone('europe-west1-c').click();
    await expect(page.getByTestId('plan-preview')).toBeVisible();
    // From now on Compute fails every read of prod's forwarding rule, as when its backend is down (503 backendError).
    await sandboxComputeFault(request, { method: 'forwardingRules.get', count: 100, error: 'backendError' });

    await page.getByTestId('confirm-run').locator('input').fill('prod-master');
    await page.getByRole('button', { name: 'Run this plan' }).click();
    const runError = page.getByTestId('run-error');
    await expect(runError).toContainText('could not answer now; nothing was changed');
    await expect(runError).toContainText('Internal error. Please try again or contact Google Support.');
    await expect(runError).not.toContainText('Something went wrong');
    expect(page.url()).toMatch(/\/change$/);

    await change.zone('europe-west1-d').click();
    await expect(change.refusal()).toHaveAttribute('data-code', 'ProviderUnavailable');
    await expect(change.refusal()).toContainText('could not answer now; nothing was changed');

    await page.goto('/audit');
    const row = page
      .locator('[data-testid="audit-row"][data-action="operation.add-replica"][data-outcome="refused"]')
      .filter({ hasText: 'could not answer now' });
    await expect(row.first()).toContainText('ProviderUnavailable');
  });
});

test.describe('a second dashboard on a data dir an earlier version left open (findings 11, 12)', () => {
  const port = E2E.appPort + 3;
  let root = '';
  let dataDir = '';
  let logFile = '';
  let dashboard: DashboardProcess | null = null;

  test.beforeAll(async () => {
    // A production server's first start (instrumentation loads the Compute client) on a loaded machine.
    test.setTimeout(120_000);
    root = mkdtempSync(path.join(tmpdir(), 'quorum-e2e-edges-'));
    dataDir = path.join(root, 'data');
    logFile = path.join(root, 'dashboard.log');
    mkdirSync(path.join(dataDir, 'ssh'), { recursive: true });
    writeFileSync(path.join(dataDir, 'auth-secret'), 'an-earlier-versions-cookie-signing-secret-0123456789\n');
    chmodSync(path.join(dataDir, 'auth-secret'), 0o644);
    chmodSync(path.join(dataDir, 'ssh'), 0o755);
    chmodSync(dataDir, 0o755);
    dashboard = startDashboard({
      port,
      dataDir,
      logFile,
      // No background monitor: this second Quorum, with its own SSH key, would otherwise observe every cluster
      // and publish that key on the replicas, which the specs after this one count (f-access).
      env: { QUORUM_PROVIDER: 'sandbox', SANDBOX_PORT: String(E2E.sandboxPort), QUORUM_MONITOR_INTERVAL_MS: '0' },
    });
    await expect
      .poll(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(2_000) }).catch(() => null))
            ?.status ?? 0,
        { timeout: 100_000 },
      )
      .toBe(200);
  });

  test.afterAll(async () => {
    await dashboard?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('TRACE and every other method a path does not answer: 405, the Allow list and the security headers; nothing logged', async () => {
    const cases = [
      { method: 'TRACE', path: '/', allow: 'GET, HEAD, POST' },
      { method: 'TRACE', path: `/clusters/${PROD}`, allow: 'GET, HEAD, POST' },
      { method: 'TRACE', path: '/api/health', allow: 'GET, HEAD, OPTIONS' },
      { method: 'TRACE', path: '/api/auth/get-session', allow: 'GET, HEAD, POST, OPTIONS' },
      { method: 'PUT', path: '/', allow: 'GET, HEAD, POST' },
      { method: 'DELETE', path: '/users', allow: 'GET, HEAD, POST' },
      { method: 'PROPFIND', path: '/audit', allow: 'GET, HEAD, POST' },
      { method: 'POST', path: '/api/health', allow: 'GET, HEAD, OPTIONS' },
      { method: 'PATCH', path: '/api/fleet', allow: 'GET, HEAD, OPTIONS' },
    ];
    for (const c of cases) {
      const what = `${c.method} ${c.path}`;
      const res = await send(port, c.method, c.path);
      expect(res.status, what).toBe(405);
      expect(res.headers, what).toMatchObject({
        allow: c.allow,
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'cross-origin-opener-policy': 'same-origin',
      });
      expect(res.headers['content-security-policy'], what).toContain("frame-ancestors 'none'");
      if (c.path.startsWith('/api/')) expectNoStore(res.headers, what);
      expect(res.body, what).toBe('');
    }
    // The server still serves, and said nothing about any of it.
    expect((await send(port, 'GET', '/api/health')).status).toBe(200);
    const log = readFileSync(logFile, 'utf8');
    expect(log).not.toMatch(
      /Failed to handle request|Internal Server Error|TypeError|HTTP method is unsupported|^\s+at /m,
    );
  });

  test('the data dir is 0700 and every key and secret in it 0600, the earlier ones tightened at start and logged', async () => {
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(path.join(dataDir, 'ssh'))).toBe(0o700);
    for (const file of ['auth-secret', 'quorum.sqlite', 'initial-admin-password'])
      expect(modeOf(path.join(dataDir, file)), file).toBe(0o600);
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain(`${dataDir} was 0755, now 0700 (owner only)`);
    expect(log).toContain(`${path.join(dataDir, 'auth-secret')} was 0644, now 0600 (owner only)`);
  });

  test("the e2e sandbox's data dir and state.json (the VMs' private keys) are owner-only", async () => {
    const sandboxData = path.resolve(E2E.dataDir);
    expect(modeOf(sandboxData)).toBe(0o700);
    expect(modeOf(path.join(sandboxData, 'sandbox'))).toBe(0o700);
    expect(modeOf(path.join(sandboxData, 'sandbox', 'state.json'))).toBe(0o600);
  });
});
