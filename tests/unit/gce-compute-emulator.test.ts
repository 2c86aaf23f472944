// The adapter against the sandbox's Compute emulator (with an in-memory VM host): mutations carry a UUID
// requestId and a lost answer is retried without doing the call twice; discovery's listing keeps kube-up
// master names only and reports a zone whose API is down instead of failing; new statuses read as not running.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '@/sandbox/compute/emulator';
import { IdleVmHost } from '../support/idle-vm-host';
import { closeGceClients, createGceClients, GceCompute, type GceClients } from '@/lib/adapters/gce/gce-compute';

const PROJECT = 'adapter-project';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let dataDir: string;
let emulator: Emulator;
let clients: GceClients;
let compute: GceCompute;
/** In front of the emulator: drops the answer to the first POST whose path ends with `dropFirstAnswerTo`. */
let proxy: http.Server;
let dropFirstAnswerTo: string | null = null;
const posts: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'quorum-gce-adapter-'));
  emulator = await startEmulator({
    dataDir,
    port: 0,
    net: 62,
    opDelayMs: 50,
    bootDelayMs: 0,
    lbDelayMs: 0,
    waitTimeoutMs: 5_000,
    vmHost: new IdleVmHost(),
    log: () => {},
  });
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const answer = await fetch(`${emulator.url}${req.url ?? '/'}`, {
          method: req.method,
          headers: { 'content-type': 'application/json' },
          ...(body.length > 0 ? { body } : {}),
        });
        const text = await answer.text();
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (req.method === 'POST')
          posts.push(`${path}?${new URL(req.url ?? '/', 'http://x').searchParams.get('requestId') ?? ''}`);
        if (req.method === 'POST' && dropFirstAnswerTo !== null && path.endsWith(dropFirstAnswerTo)) {
          // The call was done; its answer is lost on the way back.
          dropFirstAnswerTo = null;
          req.socket.destroy();
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(text);
      })();
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  clients = createGceClients({ kind: 'sandbox', port: (proxy.address() as AddressInfo).port });
  compute = new GceCompute(clients, 5_000);
});

afterAll(async () => {
  await closeGceClients(clients);
  await new Promise<void>((resolve) => {
    proxy.close(() => resolve());
    proxy.closeAllConnections();
  });
  await emulator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const insert = (name: string, zone = 'europe-west1-b') =>
  compute.insertInstance({
    project: PROJECT,
    zone,
    name,
    machineType: 'n1-standard-1',
    tags: [name.replace(/-[a-z0-9]{3}$/, '')],
    metadata: [],
    externalIp: 'none',
  });

describe('GceCompute against the emulator', () => {
  it('sends a UUID requestId with every mutation', async () => {
    await insert('web-1');
    await compute.deleteInstance(PROJECT, 'europe-west1-b', 'web-1');
    const sent = posts.filter((p) => p.includes('/instances'));
    expect(sent.length).toBeGreaterThanOrEqual(1);
    for (const p of sent) expect(p.split('?')[1]).toMatch(UUID);
  });

  it('sends a call whose answer was lost again with the same requestId, and it is done once', async () => {
    posts.length = 0;
    dropFirstAnswerTo = `/zones/europe-west1-c/instances`;
    await insert('prod-master', 'europe-west1-c');
    const inserts = posts.filter((p) =>
      p.startsWith(`/compute/v1/projects/${PROJECT}/zones/europe-west1-c/instances?`),
    );
    expect(inserts).toHaveLength(2);
    expect(inserts[0]).toBe(inserts[1]);
    const ops = Object.values(emulator.cloud.peekProject(PROJECT)?.operations ?? {}).filter(
      (o) => o.op.operationType === 'insert' && o.op.targetLink.endsWith('/prod-master'),
    );
    expect(ops).toHaveLength(1);
    expect((await compute.getInstance(PROJECT, 'europe-west1-c', 'prod-master'))?.status).toBe('RUNNING');
  });

  it('lists only kube-up master names for discovery, and reports a zone whose API is down', async () => {
    await insert('prod-master-a1b', 'europe-west1-d');
    await insert('prod-minion-x1y2', 'europe-west1-d');
    await insert('prod-master-toolong', 'europe-west1-d');
    await insert('db-master-old', 'us-central1-a');
    const all = await compute.listMasterInstances(PROJECT);
    expect(all.instances.map((i) => i.name)).toEqual(['prod-master', 'prod-master-a1b', 'db-master-old']);
    expect(all.unreachableZones).toEqual([]);

    expect(
      (await fetch(`${emulator.url}/sandbox/v1/chaos/zones/europe-west1-d/api-down`, { method: 'POST' })).status,
    ).toBe(200);
    try {
      const partial = await compute.listMasterInstances(PROJECT);
      expect(partial.instances.map((i) => i.name)).toEqual(['prod-master', 'db-master-old']);
      expect(partial.unreachableZones).toEqual(['europe-west1-d']);
      // Without partial success the whole list fails, as GCE's does.
      await expect(compute.listAllInstances(PROJECT)).rejects.toMatchObject({ httpStatus: 503 });
    } finally {
      await fetch(`${emulator.url}/sandbox/v1/chaos/zones/europe-west1-d/api-up`, { method: 'POST' });
    }
  });

  it('reads an instance in a status it does not know, or a new one, as not RUNNING instead of failing', async () => {
    const i = emulator.cloud.getInstance(PROJECT, 'europe-west1-c', 'prod-master');
    i.status = 'DEPROVISIONING';
    expect((await compute.getInstance(PROJECT, 'europe-west1-c', 'prod-master'))?.status).toBe('DEPROVISIONING');
    i.status = 'RUNNING';
  });
});

describe('GceCompute: project-wide load balancer reads', () => {
  it('lists forwarding rules, target pools and addresses of every region in one aggregatedList each, filtered by name', async () => {
    const LB_NAMES = '[a-z]([-a-z0-9]*[a-z0-9])?-master(-ip)?';
    const eu = await compute.insertAddress(PROJECT, 'europe-west1', 'lb-master-ip');
    await compute.insertAddress(PROJECT, 'us-central1', 'db-master-ip');
    await compute.insertAddress(PROJECT, 'us-central1', 'web-ip');
    await compute.insertTargetPool(PROJECT, 'europe-west1', { name: 'lb-master', instances: [] });
    await compute.insertTargetPool(PROJECT, 'europe-west1', { name: 'web-pool', instances: [] });
    await compute.insertForwardingRule(PROJECT, 'europe-west1', {
      name: 'lb-master',
      ipAddress: eu.address,
      portRange: '443-443',
      target: 'lb-master',
    });
    const [addresses, pools, rules] = await Promise.all([
      compute.listAllAddresses(PROJECT, LB_NAMES),
      compute.listAllTargetPools(PROJECT, LB_NAMES),
      compute.listAllForwardingRules(PROJECT, LB_NAMES),
    ]);
    expect(addresses.items.map((i) => [i.region, i.resource.name])).toEqual([
      ['europe-west1', 'lb-master-ip'],
      ['us-central1', 'db-master-ip'],
    ]);
    expect(addresses.items[0]?.resource).toMatchObject({ address: eu.address, status: 'IN_USE', users: ['lb-master'] });
    expect(pools).toEqual({
      items: [{ region: 'europe-west1', resource: { name: 'lb-master', instances: [] } }],
      unreachableRegions: [],
    });
    expect(rules.items).toEqual([
      {
        region: 'europe-west1',
        resource: expect.objectContaining({ name: 'lb-master', ipAddress: eu.address, portRange: '443-443' }),
      },
    ]);
  });
});
