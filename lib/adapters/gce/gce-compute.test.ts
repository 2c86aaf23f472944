// The adapter through the real @google-cloud/compute client, against a few canned GCE REST answers on a
// local port: checks the wire (paths, filter), decoding of what the client hands back, 404 -> null,
// error mapping and the deadline. Behaviour against a real emulator is in tests/integration.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '@/lib/ports/provider-error';
import { closeGceClients, createGceClients, GceCompute, type GceClients } from './gce-compute';

const requests: string[] = [];
const instance = (name: string, zone: string, status = 'RUNNING') => ({
  kind: 'compute#instance',
  id: '9007199254740993123',
  name,
  zone: `http://x/compute/v1/projects/p/zones/${zone}`,
  status,
  networkInterfaces: [{ networkIP: '127.20.0.2', accessConfigs: [{ natIP: '203.0.113.7' }] }],
  metadata: { fingerprint: 'fp', items: [{ key: 'kube-env', value: "MASTER_NAME: 'prod-master'" }] },
  creationTimestamp: '2024-01-01T00:00:00Z',
});

const resetsLeft: Record<string, number> = {
  '/compute/v1/projects/p/regions/europe-west1/addresses/reset-once': 1,
  '/compute/v1/projects/p/regions/europe-west1/addresses/reset-always': Infinity,
};

const routes: Record<string, () => [number, unknown] | 'hang'> = {
  '/compute/v1/projects/p/regions/europe-west1/addresses/reset-once': () => [
    200,
    { name: 'reset-once', address: '203.0.113.9', status: 'RESERVED', users: [] },
  ],
  '/compute/v1/projects/p/regions/europe-west1': () => [
    200,
    { name: 'europe-west1', zones: ['http://x/zones/europe-west1-c', 'http://x/zones/europe-west1-b'] },
  ],
  '/compute/v1/projects/p/regions': () => [
    200,
    {
      items: [
        { name: 'us-central1', zones: ['http://x/zones/us-central1-f', 'http://x/zones/us-central1-a'] },
        { name: 'europe-west1', zones: ['http://x/zones/europe-west1-c', 'http://x/zones/europe-west1-b'] },
      ],
    },
  ],
  '/compute/v1/projects/p/aggregated/instances': () => [
    200,
    {
      items: {
        'zones/europe-west1-c': { instances: [instance('prod-master-xyz', 'europe-west1-c')] },
        'zones/us-central1-a': { warning: { code: 'NO_RESULTS_ON_PAGE', message: 'none' } },
        'zones/europe-west1-b': { instances: [instance('prod-master', 'europe-west1-b', 'TERMINATED')] },
      },
    },
  ],
  // A provider that ignores the filter: the adapter must still keep only matching names.
  '/compute/v1/projects/p/zones/europe-west1-b/instances': () => [
    200,
    { items: [instance('prod-master-abc', 'europe-west1-b'), instance('prod-master-abcd', 'europe-west1-b')] },
  ],
  '/compute/v1/projects/p/zones/europe-west1-c/instances': () => [
    200,
    { items: [instance('prod-master', 'europe-west1-c'), instance('other', 'europe-west1-c')] },
  ],
  '/compute/v1/projects/p/regions/europe-west1/forwardingRules/prod-master': () => [
    200,
    {
      name: 'prod-master',
      IPAddress: '203.0.113.1',
      portRange: '443-443',
      target: 'http://x/regions/europe-west1/targetPools/prod-master',
    },
  ],
  '/compute/v1/projects/p/regions/europe-west1/targetPools/prod-master': () => [
    200,
    { name: 'prod-master', instances: ['http://x/zones/europe-west1-b/instances/prod-master-abc'] },
  ],
  '/compute/v1/projects/p/regions/europe-west1/addresses/prod-master-ip': () => [
    200,
    {
      name: 'prod-master-ip',
      address: '203.0.113.1',
      status: 'IN_USE',
      users: ['http://x/regions/europe-west1/forwardingRules/prod-master'],
    },
  ],
  '/compute/v1/projects/p/regions/europe-west1/addresses/broken': () => [
    500,
    { error: { code: 500, message: 'backend error', errors: [{ reason: 'backendError' }] } },
  ],
  '/compute/v1/projects/p/regions/europe-west1/addresses/slow': () => 'hang',
};

let server: http.Server;
let clients: GceClients;
let compute: GceCompute;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    // The connection closed under the request before any answer, as when a server drops an idle kept-alive one.
    const resets = resetsLeft[url.pathname] ?? 0;
    if (resets > 0) {
      resetsLeft[url.pathname] = resets - 1;
      req.socket.destroy();
      return;
    }
    const route = routes[url.pathname];
    const answer: [number, unknown] | 'hang' = route
      ? route()
      : [
          404,
          {
            error: {
              code: 404,
              message: `The resource '${url.pathname}' was not found`,
              errors: [{ reason: 'notFound' }],
            },
          },
        ];
    if (answer === 'hang') return;
    res.writeHead(answer[0], { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer[1]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  clients = createGceClients({ kind: 'sandbox', port: (server.address() as AddressInfo).port });
  compute = new GceCompute(clients, 300);
});

afterAll(async () => {
  await closeGceClients(clients);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('GceCompute (REST through @google-cloud/compute)', () => {
  it('lists region zones', async () => {
    expect(await compute.listRegionZones('p', 'europe-west1')).toEqual(['europe-west1-b', 'europe-west1-c']);
  });

  it('lists every region with its zones, both sorted', async () => {
    expect(await compute.listRegions('p')).toEqual([
      { name: 'europe-west1', zones: ['europe-west1-b', 'europe-west1-c'] },
      { name: 'us-central1', zones: ['us-central1-a', 'us-central1-f'] },
    ]);
  });

  it('aggregates instances of every zone, skipping warning-only scopes', async () => {
    const all = await compute.listAllInstances('p');
    expect(all.map((i) => [i.zone, i.name, i.status])).toEqual([
      ['europe-west1-b', 'prod-master', 'TERMINATED'],
      ['europe-west1-c', 'prod-master-xyz', 'RUNNING'],
    ]);
    expect(all[0]?.metadata['kube-env']).toBe("MASTER_NAME: 'prod-master'");
  });

  it('lists instances by name regex across every zone, with the GCE filter sent', async () => {
    const regex = '^prod-master(-[a-z0-9]{3})?$';
    const found = await compute.listInstances('p', regex);
    expect(found.map((i) => i.name)).toEqual(['prod-master', 'prod-master-xyz']);
    const listCall = requests.find((r) => r.startsWith('GET /compute/v1/projects/p/aggregated/instances?'));
    expect(listCall && decodeURIComponent(listCall)).toContain(`filter=name eq "${regex}"`);
  });

  it('reads the load balancer and static address', async () => {
    expect(await compute.getForwardingRule('p', 'europe-west1', 'prod-master')).toEqual({
      name: 'prod-master',
      ipAddress: '203.0.113.1',
      portRange: '443-443',
      target: 'prod-master',
    });
    expect(await compute.getTargetPool('p', 'europe-west1', 'prod-master')).toEqual({
      name: 'prod-master',
      instances: ['prod-master-abc'],
    });
    expect(await compute.getAddress('p', 'europe-west1', 'prod-master-ip')).toMatchObject({
      status: 'IN_USE',
      users: ['prod-master'],
    });
  });

  it('answers null for what does not exist', async () => {
    expect(await compute.getForwardingRule('p', 'europe-west1', 'nope')).toBeNull();
    expect(await compute.getTargetPool('p', 'europe-west1', 'nope')).toBeNull();
    expect(await compute.getAddress('p', 'europe-west1', 'nope')).toBeNull();
  });

  it('rejects other failures with a typed ProviderError', async () => {
    await expect(compute.listRegionZones('p', 'nowhere1')).rejects.toMatchObject({ code: 'NotFound', httpStatus: 404 });
    const err = await compute.getAddress('p', 'europe-west1', 'broken').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'ProviderUnavailable', httpStatus: 500, reason: 'backendError' });
  });

  it('gives up after its deadline when the provider does not answer', async () => {
    const started = Date.now();
    await expect(compute.getAddress('p', 'europe-west1', 'slow')).rejects.toMatchObject({ code: 'Timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('asks a read once more when the connection was reset under it, and only once', async () => {
    const path = '/compute/v1/projects/p/regions/europe-west1/addresses/';
    const sent = (name: string) => requests.filter((r) => r === `GET ${path}${name}`).length;
    expect(await compute.getAddress('p', 'europe-west1', 'reset-once')).toMatchObject({ address: '203.0.113.9' });
    expect(sent('reset-once')).toBe(2);
    await expect(compute.getAddress('p', 'europe-west1', 'reset-always')).rejects.toMatchObject({
      code: 'ProviderUnavailable',
      message: expect.stringContaining('ECONNRESET'),
    });
    expect(sent('reset-always')).toBe(2);
  });

  it('reports an unreachable endpoint as ProviderUnavailable', async () => {
    const dead = createGceClients({ kind: 'sandbox', port: 1 });
    try {
      await expect(new GceCompute(dead, 1_000).listAllInstances('p')).rejects.toMatchObject({
        code: 'ProviderUnavailable',
      });
    } finally {
      await closeGceClients(dead);
    }
  });
});
