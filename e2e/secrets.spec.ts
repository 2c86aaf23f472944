// Private keys never reach a browser (issue 5): the built client bundle, and the HTML, RSC payload, JSON and
// server-sent events of every page and route of the build are scanned for PEM private keys (as text and as
// base64, at any alignment), the metadata fields that hold them, and pieces of every real key of every
// sandbox master. The pages come from the build's manifest, so a new page is scanned without anyone adding it;
// dynamic segments get real values (every cluster, its operations, a replica).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { E2E } from '../playwright.config';
import type { APIRequestContext, Page } from '@playwright/test';
import { listMasters } from './fixtures/compute';
import { CreateClusterPage } from './pages/create-cluster-page';
import { expect, test } from './fixtures/test';

test.describe.configure({ timeout: 300_000 });

// Every variable kube-up writes a private key under (lib/pki, sandbox/pki); the real metadata adds any other.
const KEY_FIELDS = [
  'CA_KEY',
  'ETCD_CA_KEY',
  'ETCD_APISERVER_CA_KEY',
  'KUBECFG_KEY',
  'MASTER_KEY',
  'KUBEAPISERVER_KEY',
  'ETCD_PEER_KEY',
  'ETCD_APISERVER_SERVER_KEY',
  'ETCD_APISERVER_CLIENT_KEY',
];

/**
 * `text` as it reads inside any base64 string, whatever its offset: the characters of the encoding that
 * depend on `text` alone, for each of the three alignments.
 */
function base64Needles(text: string): string[] {
  return [0, 1, 2].map((k) => {
    const encoded = Buffer.from(`${'\0'.repeat(k)}${text}`, 'latin1').toString('base64');
    const first = Math.ceil((8 * k) / 6);
    const last = Math.floor((8 * (k + text.length) - 6) / 6);
    return encoded.slice(first, last + 1);
  });
}

// PEM headers and the base64 of them (kube-up keeps certificates and keys base64-encoded), the metadata item that
// carries the certificates with its value (as Compute's JSON, a JSON map or YAML writes it: the key's name alone is
// shown by a plan's dry run, which lists the metadata keys an add writes), and the key fields.
const MARKERS = [
  'PRIVATE KEY',
  ...base64Needles('PRIVATE KEY'),
  ...base64Needles('-----BEGIN'),
  'kube-master-certs","value"',
  '"kube-master-certs":',
  'kube-master-certs: ',
  ...KEY_FIELDS,
];

/**
 * Distinctive fragments of the real private keys of every sandbox master (the seeded ones and any an
 * earlier spec created through the dashboard), as PEM body and as base64-of-PEM, and the names of every
 * metadata field holding one.
 */
async function realKeys(): Promise<{ fragments: string[]; fields: string[] }> {
  const fragments = new Set<string>();
  const fields = new Set<string>();
  for (const master of await listMasters()) {
    const yaml = `${master.metadata['kube-env'] ?? ''}\n${master.metadata['kube-master-certs'] ?? ''}`;
    for (const match of yaml.matchAll(/^([A-Z_]*KEY): '([^']+)'$/gm)) {
      fields.add(match[1] ?? '');
      const base64OfPem = match[2] ?? '';
      fragments.add(base64OfPem.slice(40, 80));
      const pemBody = Buffer.from(base64OfPem, 'base64').toString('utf8').split('\n').slice(1, -2).join('');
      if (pemBody.length >= 60) fragments.add(pemBody.slice(20, 60));
    }
  }
  expect(fragments.size).toBeGreaterThan(10);
  for (const field of KEY_FIELDS) expect(fields, `the sandbox's masters hold ${field}`).toContain(field);
  return { fragments: [...fragments], fields: [...fields] };
}

function findLeaks(where: string, text: string, needles: string[]): string[] {
  return needles
    .filter((needle) => text.includes(needle))
    .map((needle) => `${where} contains ${JSON.stringify(needle.slice(0, 24))}`);
}

/** What the browser receives from a server-sent event stream in `ms`, read by the page itself (its cookies, its origin). */
/**
 * What an event stream sends within `ms`; with `untilSnapshot`, only until its first `snapshot` event is whole (the
 * full state the page is drawn from; later events are the same shapes), so open streams are not read for the full `ms`.
 */
async function readSse(page: Page, url: string, ms: number, untilSnapshot = false): Promise<string> {
  return page.evaluate(
    async ([u, t, snapshotOnly]) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), t);
      let text = '';
      try {
        const response = await fetch(u, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
        const reader = response.body?.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          if (!reader) break;
          const { done, value } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
          const at = text.indexOf('event: snapshot');
          if (snapshotOnly && at >= 0 && text.indexOf('\n\n', at) >= 0) break;
        }
      } catch {
        // aborted after t ms
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
      return text;
    },
    [url, ms, untilSnapshot] as const,
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** The app's pages and route handlers as the build lists them: `/clusters/[id]/page` -> `/clusters/[id]`. */
function builtRoutes(): { pages: string[]; routes: string[] } {
  const manifest = JSON.parse(readFileSync(path.resolve('.next/server/app-paths-manifest.json'), 'utf8')) as Record<
    string,
    string
  >;
  const entries = Object.keys(manifest).filter((k) => !k.startsWith('/_'));
  const strip = (k: string, suffix: string) => k.slice(0, -suffix.length) || '/';
  return {
    pages: entries.filter((k) => k.endsWith('/page')).map((k) => strip(k, '/page')),
    // Catch-alls (the auth library's own endpoints) take no id we could fill in; icon.svg is a static file.
    routes: entries
      .filter((k) => k.endsWith('/route') && !k.includes('[...') && !k.includes('[[...') && !/\.\w+\/route$/.test(k))
      .map((k) => strip(k, '/route')),
  };
}

type Fleet = { clusters: Array<{ ok: boolean; id?: string; summary?: { id: string } }> };

/** Every cluster of the fleet with a replica name and its operations (from its history page). */
async function fleetFacts(page: Page, request: APIRequestContext) {
  const fleetResponse = await request.get('/api/fleet');
  expect(fleetResponse.ok()).toBe(true);
  const fleet = (await fleetResponse.json()) as Fleet;
  const clusters: Array<{ id: string; replica: string | null; operations: string[] }> = [];
  for (const entry of fleet.clusters) {
    const id = entry.summary?.id ?? entry.id ?? '';
    const view = (await (await request.get(`/api/clusters/${encodeURIComponent(id)}`)).json().catch(() => null)) as {
      topology?: { replicas?: Array<{ name: string }> };
    } | null;
    await page.goto(`/clusters/${encodeURIComponent(id)}/operations`);
    await expect(page.locator('main')).not.toBeEmpty();
    const hrefs = await page
      .locator('[data-testid="operation-history"] a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    clusters.push({
      id,
      replica: view?.topology?.replicas?.[0]?.name ?? null,
      operations: hrefs.map((h) => h.split('/').pop() ?? '').filter((o) => /^[0-9a-f-]{36}$/.test(o)),
    });
  }
  return clusters;
}

/** Each route pattern with its dynamic segments filled in with every real value there is. */
function expand(pattern: string, clusters: Awaited<ReturnType<typeof fleetFacts>>): string[] {
  const segments = [...pattern.matchAll(/\[(\w+)\]/g)].map((m) => m[1]);
  if (segments.length === 0) return [pattern];
  const out: string[] = [];
  for (const cluster of clusters) {
    const withId = pattern.replace('[id]', encodeURIComponent(cluster.id));
    if (!withId.includes('['))
      out.push(withId.endsWith('/recover') && cluster.replica ? `${withId}?replica=${cluster.replica}` : withId);
    // One operation per cluster is enough for the page; every one of them for the JSON and events routes.
    else if (withId.includes('[opId]'))
      for (const op of pattern.startsWith('/api/') ? cluster.operations : cluster.operations.slice(0, 2))
        out.push(withId.replace('[opId]', op));
  }
  return [...new Set(out)];
}

test('no private key material reaches the browser: client bundle, HTML, RSC, JSON and SSE of every page', async ({
  page,
  request,
}) => {
  const keys = await realKeys();
  const needles = [...new Set([...MARKERS, ...keys.fields, ...keys.fragments])];
  const leaks: string[] = [];

  const bundle = filesUnder(path.resolve('.next/static')).filter((f) => /\.(js|css|json|txt|html|map)$/.test(f));
  expect(bundle.length).toBeGreaterThan(5);
  for (const file of bundle) leaks.push(...findLeaks(path.relative('.', file), readFileSync(file, 'utf8'), needles));

  const built = builtRoutes();
  for (const p of [
    '/',
    '/clusters/[id]',
    '/clusters/[id]/change',
    '/clusters/[id]/recover',
    '/clusters/[id]/operations',
    '/clusters/[id]/operations/[opId]',
    '/clusters/new',
  ]) {
    expect(built.pages, `the build's manifest lists ${p}`).toContain(p);
  }

  let clusters = await fleetFacts(page, request);
  if (!clusters.some((c) => c.operations.length > 0)) {
    // Run alone on a fresh sandbox: make an operation to scan, the one that handles keys most (a new cluster's
    // CA and certificates are made on this server), and read its live events while it runs.
    const wizard = new CreateClusterPage(page);
    await wizard.goto();
    await wizard.fill({ name: 'keys-master', region: 'us-central1', zone: 'us-central1-c' });
    await wizard.preview();
    await wizard.confirmAndCreate('keys-master');
    const opId = page.url().split('/').pop() ?? '';
    leaks.push(
      ...findLeaks(
        `SSE /api/operations/${opId}/events (running)`,
        await readSse(page, `/api/operations/${opId}/events`, 3_000),
        needles,
      ),
    );
    await expect(page.getByTestId('operation-status')).toHaveText('succeeded', { timeout: 150_000 });
    clusters = await fleetFacts(page, request);
  }
  expect(clusters.length).toBeGreaterThanOrEqual(2);

  const pages = built.pages.flatMap((p) => expand(p, clusters).map((url) => ({ pattern: p, url })));
  const routes = built.routes.flatMap((r) => expand(r, clusters).map((url) => ({ pattern: r, url })));
  for (const pattern of [...built.pages, ...built.routes]) {
    expect(
      [...pages, ...routes].some((p) => p.pattern === pattern),
      `${pattern} is scanned with a real value for each segment`,
    ).toBe(true);
  }

  // What the browser receives while it renders each page: the document, scripts, RSC payloads, JSON.
  const received: Promise<void>[] = [];
  page.on('response', (response) => {
    if (response.headers()['content-type']?.includes('text/event-stream')) return;
    received.push(
      response.text().then(
        (body) => void leaks.push(...findLeaks(response.url(), body, needles)),
        () => undefined,
      ),
    );
  });
  for (const { url } of pages) {
    await page.goto(url);
    await expect(page.locator('main')).not.toBeEmpty();
    // Pages with a live feed keep a stream open and are never quite idle: wait a little, not the default 30 s.
    await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
  }
  await Promise.all(received);

  // The RSC payload of each page, as a client-side navigation fetches it.
  for (const { url } of pages) {
    const rsc = await request.get(url, { headers: { RSC: '1' } });
    expect(rsc.headers()['content-type'], `RSC ${url}`).toContain('text/x-component');
    leaks.push(...findLeaks(`RSC ${url}`, await rsc.text(), needles));
  }

  // Every route handler: event streams read by the page until their snapshot is in (at most 5 s), the rest as JSON.
  await page.goto('/');
  // Four streams at a time: a browser opens at most six connections to a host, and the page holds one itself.
  const streamUrls = routes.map((r) => r.url).filter((url) => url.endsWith('/events'));
  for (let i = 0; i < streamUrls.length; i += 4) {
    const batch = streamUrls.slice(i, i + 4);
    const read = await Promise.all(batch.map((url) => readSse(page, url, 5_000, true)));
    batch.forEach((url, j) => {
      const sse = read[j] ?? '';
      expect(sse, `SSE ${url}`).toContain('event: snapshot');
      leaks.push(...findLeaks(`SSE ${url}`, sse, needles));
    });
  }
  const streams = streamUrls.length;
  for (const { url } of routes.filter((r) => !streamUrls.includes(r.url))) {
    // /metrics answers a Prometheus scrape with its bearer token, not a session.
    const headers: Record<string, string> = url === '/metrics' ? { authorization: `Bearer ${E2E.metricsToken}` } : {};
    const json = await request.get(url, { headers });
    expect(json.ok(), `GET ${url}`).toBe(true);
    leaks.push(...findLeaks(`JSON ${url}`, await json.text(), needles));
  }
  expect(streams).toBeGreaterThanOrEqual(3);
  console.log(
    `secrets: ${bundle.length} bundle files, ${pages.length} pages (HTML and RSC), ${routes.length} routes (${streams} event streams), ${needles.length} needles`,
  );
  expect(leaks).toEqual([]);
});
