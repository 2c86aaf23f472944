// The Compute calls the SSH reach makes (projects.get, instances.getGuestAttributes), through the real
// @google-cloud/compute client against GCE's documented JSON on a local port: the wire path and query,
// the decoding, and what "nothing published" reads as.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeGceClients, createGceClients, GceCompute, type GceClients } from './gce-compute';

const requests: string[] = [];
const notFound = (what: string): [number, unknown] => [
  404,
  { error: { code: 404, message: `The resource '${what}' was not found`, errors: [{ reason: 'notFound' }] } },
];

const routes: Record<string, () => [number, unknown]> = {
  '/compute/v1/projects/p': () => [
    200,
    {
      kind: 'compute#project',
      id: '1234567890',
      name: 'p',
      commonInstanceMetadata: {
        kind: 'compute#metadata',
        fingerprint: 'pfp',
        items: [
          { key: 'enable-oslogin', value: 'TRUE' },
          { key: 'ssh-keys', value: 'alice:ssh-ed25519 AAAA alice' },
        ],
      },
    },
  ],
  '/compute/v1/projects/bare': () => [200, { kind: 'compute#project', name: 'bare' }],
  '/compute/v1/projects/p/zones/z/instances/m/getGuestAttributes': () => [
    200,
    {
      kind: 'compute#guestAttributes',
      queryPath: 'hostkeys/',
      queryValue: {
        items: [
          { namespace: 'hostkeys', key: 'ssh-ed25519', value: 'AAAAC3NzaC1lZDI1NTE5AAAAIA' },
          { namespace: 'hostkeys', key: 'ecdsa-sha2-nistp256', value: 'AAAAE2VjZHNh' },
        ],
      },
      selfLink: 'https://www.googleapis.com/compute/v1/projects/p/zones/z/instances/m/getGuestAttributes',
    },
  ],
  '/compute/v1/projects/p/zones/z/instances/disabled/getGuestAttributes': () => [
    400,
    {
      error: {
        code: 400,
        message: 'Guest attributes are disabled for this instance.',
        errors: [{ reason: 'badRequest' }],
      },
    },
  ],
  '/compute/v1/projects/p/zones/z/instances/broken/getGuestAttributes': () => [
    503,
    { error: { code: 503, message: 'backend', errors: [{ reason: 'backendError' }] } },
  ],
};

let server: http.Server;
let clients: GceClients;
let compute: GceCompute;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const route = routes[url.pathname];
    const [status, body] = route ? route() : notFound(url.pathname);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  clients = createGceClients({ kind: 'sandbox', port: (server.address() as AddressInfo).port });
  compute = new GceCompute(clients, 1_000);
});

afterAll(async () => {
  await closeGceClients(clients);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('GceCompute: what SSH access reads', () => {
  it("reads a project's common instance metadata (projects.get)", async () => {
    expect(await compute.getProjectMetadata('p')).toEqual({
      items: { 'enable-oslogin': 'TRUE', 'ssh-keys': 'alice:ssh-ed25519 AAAA alice' },
      fingerprint: 'pfp',
    });
    expect(await compute.getProjectMetadata('bare')).toEqual({ items: {}, fingerprint: null });
    expect(await compute.getProjectMetadata('nope')).toBeNull();
    expect(requests).toContain('GET /compute/v1/projects/p');
  });

  it('reads guest attributes under a query path (instances.getGuestAttributes)', async () => {
    expect(await compute.getGuestAttributes('p', 'z', 'm', 'hostkeys/')).toEqual([
      { namespace: 'hostkeys', key: 'ssh-ed25519', value: 'AAAAC3NzaC1lZDI1NTE5AAAAIA' },
      { namespace: 'hostkeys', key: 'ecdsa-sha2-nistp256', value: 'AAAAE2VjZHNh' },
    ]);
    expect(requests.map(decodeURIComponent)).toContain(
      'GET /compute/v1/projects/p/zones/z/instances/m/getGuestAttributes?queryPath=hostkeys/',
    );
  });

  it('reads "none published" as null (nothing under the path, or guest attributes disabled), and fails on other errors', async () => {
    expect(await compute.getGuestAttributes('p', 'z', 'nothing', 'hostkeys/')).toBeNull();
    expect(await compute.getGuestAttributes('p', 'z', 'disabled', 'hostkeys/')).toBeNull();
    await expect(compute.getGuestAttributes('p', 'z', 'broken', 'hostkeys/')).rejects.toMatchObject({
      code: 'ProviderUnavailable',
      httpStatus: 503,
    });
  });
});
