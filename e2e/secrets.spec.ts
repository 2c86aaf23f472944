import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { E2E } from '../playwright.config';
import { listMasters } from './fixtures/compute';
import { clusterId } from './pages/cluster-page';
import { expect, test } from './fixtures/test';

// Markers of PEM material in any encoding the app could leak it in: PEM headers, base64 of a PEM header
// (kube-up stores certs and keys base64-encoded), and the metadata keys that carry private keys.
const MARKERS = ['PRIVATE KEY', 'LS0tLS1CRUdJTi', 'kube-master-certs', 'ETCD_PEER_KEY', 'ETCD_APISERVER_CLIENT_KEY', 'MASTER_KEY', 'CA_KEY', 'KUBECFG_KEY'];

/**
 * Distinctive fragments of the real private keys of every sandbox master (the seeded ones and any an
 * earlier spec created through the dashboard), as PEM body and as base64-of-PEM.
 */
async function realKeyFragments(): Promise<string[]> {
  const fragments = new Set<string>();
  for (const master of await listMasters()) {
    const yaml = `${master.metadata['kube-env'] ?? ''}\n${master.metadata['kube-master-certs'] ?? ''}`;
    for (const match of yaml.matchAll(/^([A-Z_]*KEY): '([^']+)'$/gm)) {
      const base64OfPem = match[2] ?? '';
      fragments.add(base64OfPem.slice(40, 80));
      const pemBody = Buffer.from(base64OfPem, 'base64').toString('utf8').split('\n').slice(1, -2).join('');
      if (pemBody.length >= 60) fragments.add(pemBody.slice(20, 60));
    }
  }
  expect(fragments.size).toBeGreaterThan(10);
  return [...fragments];
}

function findLeaks(where: string, text: string, needles: string[]): string[] {
  return needles.filter((needle) => text.includes(needle)).map((needle) => `${where} contains ${JSON.stringify(needle.slice(0, 24))}`);
}

async function readSse(url: string, ms: number): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const reader = response.body?.getReader();
  if (!reader) throw new Error(`no body from ${url}`);
  const decoder = new TextDecoder();
  let text = '';
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // aborted after `ms`
  } finally {
    clearTimeout(timer);
  }
  return text;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

test('no private key material reaches the browser: client bundle, HTML, RSC and SSE payloads', async ({ page, request }) => {
  const needles = [...MARKERS, ...(await realKeyFragments())];
  const leaks: string[] = [];

  const bundle = filesUnder(path.resolve('.next/static')).filter((f) => /\.(js|css|json|txt|html)$/.test(f));
  expect(bundle.length).toBeGreaterThan(5);
  for (const file of bundle) leaks.push(...findLeaks(path.relative('.', file), readFileSync(file, 'utf8'), needles));

  const prod = `/clusters/${encodeURIComponent(clusterId('prod-master', 'europe-west1'))}`;
  const staging = `/clusters/${encodeURIComponent(clusterId('staging-master', 'us-central1'))}`;
  const pages = ['/', prod, staging, `${prod}/change`, `${staging}/operations`, `${prod}/operations`, '/clusters/new'];
  // Every other cluster in the fleet (one created by an earlier spec made its keys on this server), with its history.
  const fleet = (await (await request.get('/api/fleet')).json()) as { clusters: Array<{ ok: boolean; id?: string; summary?: { id: string } }> };
  for (const entry of fleet.clusters) {
    const url = `/clusters/${encodeURIComponent(entry.summary?.id ?? entry.id ?? '')}`;
    if (url !== prod && url !== staging) pages.push(url, `${url}/operations`);
  }

  // What the browser receives while it renders each page (documents, scripts, RSC, JSON).
  const received: Promise<void>[] = [];
  page.on('response', (response) => {
    if (response.headers()['content-type']?.includes('text/event-stream')) return;
    received.push(response.text().then((body) => void leaks.push(...findLeaks(response.url(), body, needles)), () => undefined));
  });
  for (const url of pages) {
    await page.goto(url);
    await expect(page.locator('main')).not.toBeEmpty();
    await page.waitForLoadState('networkidle').catch(() => undefined);
    // Operation pages (journals of earlier runs, when there are any) are payloads too.
    if (url.endsWith('/operations')) {
      for (const href of await page.getByTestId('operation-history').locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))) {
        if (href && !pages.includes(href)) pages.push(href);
      }
    }
  }
  await Promise.all(received);

  const base = `http://127.0.0.1:${E2E.appPort}`;
  for (const url of pages) {
    const rsc = await request.get(url, { headers: { RSC: '1' } });
    leaks.push(...findLeaks(`RSC ${url}`, await rsc.text(), needles));
  }
  for (const url of ['/api/fleet', `/api${prod.replace('/clusters', '/clusters')}`, `/api${staging}`]) {
    const json = await request.get(url);
    expect(json.ok()).toBe(true);
    leaks.push(...findLeaks(`JSON ${url}`, await json.text(), needles));
  }
  for (const url of ['/api/fleet/events', `/api${prod}/events`, `/api${staging}/events`]) {
    const sse = await readSse(`${base}${url}`, 2_500);
    expect(sse).toContain('event: snapshot');
    leaks.push(...findLeaks(`SSE ${url}`, sse, needles));
  }
  expect(leaks).toEqual([]);
});
