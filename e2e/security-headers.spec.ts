// The security headers proxy.ts sets (issue 5, hardening), seen from a browser: a nonce-based CSP that the
// pages still work under (hydration, the live SSE feed, TanStack Query, server actions) without one CSP
// violation, and mutating requests from another origin refused before they reach an action.
import type { Page } from '@playwright/test';
import { E2E } from '../playwright.config';
import { expect, test } from './fixtures/test';
import { ClusterPage, clusterId } from './pages/cluster-page';

/** CSP violations the page reports, from the console and from `securitypolicyviolation` events. */
async function watchViolations(page: Page): Promise<() => Promise<string[]>> {
  const messages: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (load|execute|apply|connect|frame)/i.test(m.text()))
      messages.push(`console: ${m.text()}`);
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    Object.defineProperty(window, '__cspViolations', { value: seen });
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`),
    );
  });
  return async () => [
    ...messages,
    ...(await page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [])),
  ];
}

const nonceOf = (csp: string) => /'nonce-([^']+)'/.exec(csp)?.[1] ?? null;

test('every page response carries the security headers, with a fresh nonce that is on every script of the page', async ({
  request,
}) => {
  const nonces = new Set<string>();
  for (const url of [
    '/',
    `/clusters/${encodeURIComponent(clusterId('prod-master', 'europe-west1'))}`,
    '/clusters/new',
  ]) {
    for (let i = 0; i < 2; i++) {
      const response = await request.get(url);
      expect(response.ok(), url).toBe(true);
      const h = response.headers();
      const csp = h['content-security-policy'] ?? '';
      expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{20,}' 'strict-dynamic'/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-eval');
      // Served over http here: no upgrade, no HSTS.
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(h['strict-transport-security']).toBeUndefined();
      expect(h).toMatchObject({
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'strict-origin-when-cross-origin',
        'x-frame-options': 'DENY',
        'cross-origin-opener-policy': 'same-origin',
      });
      expect(h['permissions-policy']).toContain('camera=()');
      const nonce = nonceOf(csp);
      expect(nonce).not.toBeNull();
      nonces.add(nonce ?? '');
      // Next put this request's nonce on each of its scripts, inline and external.
      const html = await response.text();
      const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag, `${url}: ${tag.slice(0, 80)}`).toContain(`nonce="${nonce}"`);
    }
  }
  expect(nonces.size).toBe(6);
});

test('the cluster page hydrates, goes live over SSE and runs a server action under the CSP, with no violation', async ({
  page,
}) => {
  const violations = await watchViolations(page);
  const cluster = new ClusterPage(page);
  await cluster.goto('prod-master', 'europe-west1');
  // The live feed (EventSource, connect-src) is written into the TanStack Query cache by hydrated client code.
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live', { timeout: 15_000 });
  await expect(cluster.replicas()).toHaveCount(3);

  // A server action (previewPlan) from a client component.
  await page.goto(`/clusters/${encodeURIComponent(clusterId('staging-master', 'us-central1'))}/change`);
  await page.getByRole('button', { name: /Make it HA/ }).click();
  await expect(page.getByTestId('plan-preview')).toBeVisible();

  await page.goto('/');
  await expect(page.getByTestId('fleet-row').first()).toBeVisible();
  await page.getByTestId('fleet-row').first().getByRole('link').first().click();
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live', { timeout: 15_000 });
  expect(await violations()).toEqual([]);
});

test('markup injected into a page cannot run script: the handler is blocked and the violation reported', async ({
  page,
  fleetPage,
  consoleErrors,
}) => {
  consoleErrors.allow(
    /Content Security Policy|Refused to (execute|load|apply)/,
    'the browser reports the blocked injection in the console',
  );
  const violations = await watchViolations(page);
  await fleetPage.goto();
  // What an XSS would do with a string rendered as HTML: an inline event handler and an inline script.
  await page.evaluate(() => {
    document.body.insertAdjacentHTML(
      'beforeend',
      '<img src="data:," onerror="window.__injected = 1" alt=""><iframe srcdoc="<script>parent.__injected = 2</script>"></iframe>',
    );
  });
  await expect.poll(violations).not.toEqual([]);
  expect(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected)).toBeUndefined();
});

test('a mutating request from another origin is refused with 403 Forbidden before it reaches a page or an action', async ({
  request,
}) => {
  const url = `/clusters/${encodeURIComponent(clusterId('prod-master', 'europe-west1'))}/change`;
  for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1:1']) {
    const response = await request.post(url, {
      headers: { Origin: origin, 'Next-Action': '0'.repeat(42), 'Content-Type': 'text/plain;charset=UTF-8' },
      data: '[]',
    });
    expect(response.status(), origin).toBe(403);
    expect(await response.json()).toEqual({
      code: 'Forbidden',
      message: expect.stringContaining('may not change anything here'),
    });
    expect(response.headers()['x-content-type-options']).toBe('nosniff');
  }
  // Route handlers are covered too; from the dashboard's own origin a POST gets past the check (and the route has no POST).
  expect((await request.post('/api/health', { headers: { Origin: 'https://evil.example' } })).status()).toBe(403);
  expect((await request.post('/api/health', { headers: { Origin: `http://127.0.0.1:${E2E.appPort}` } })).status()).toBe(
    405,
  );
  // Server actions from the dashboard's own pages pass (the cluster-page test above runs one).
  // Reads are not checked: a link from anywhere may open a page.
  expect((await request.get(url, { headers: { Origin: 'https://evil.example' } })).status()).toBe(200);
});
