// Drives the emulator with the real @google-cloud/compute client (REST fallback), the way the
// dashboard's adapter does, so the JSON, errors and Operations are checked by a client nobody here wrote.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddressesClient,
  DisksClient,
  FirewallsClient,
  ForwardingRulesClient,
  GlobalOperationsClient,
  InstancesClient,
  RegionOperationsClient,
  RegionsClient,
  SubnetworksClient,
  TargetPoolsClient,
  ZoneOperationsClient,
  ZonesClient,
  type protos,
} from '@google-cloud/compute';
import { googleAuthLibrary } from 'google-gax';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { VmHost, VmProcessState, VmSpec } from '../vm/types';
import { startEmulator, type Emulator } from './emulator';
import { twinEphemeralExternalPool, twinRegionSubnet, twinStaticExternalPool } from './ip-plan';
import { handleMetadataRequest } from './metadata-server';

type IOperation = protos.google.cloud.compute.v1.IOperation;
type IInstance = protos.google.cloud.compute.v1.IInstance;

/** In-memory VM host for this test only: records what the emulator asked for. */
class FakeVmHost implements VmHost {
  readonly calls: string[] = [];
  readonly specs = new Map<string, VmSpec>();
  /** While set, shutdowns wait for it: a guest that takes its time to stop. */
  shutdownGate: Promise<void> | undefined;
  private readonly states = new Map<string, VmProcessState>();

  async boot(spec: VmSpec): Promise<void> {
    this.calls.push(`boot ${spec.name}`);
    this.specs.set(spec.name, spec);
    this.states.set(spec.name, 'running');
  }

  async shutdown(name: string): Promise<void> {
    this.calls.push(`shutdown ${name}`);
    await this.shutdownGate;
    this.states.set(name, 'stopped');
  }

  async shutdownAll(): Promise<void> {
    for (const name of this.states.keys()) this.states.set(name, 'stopped');
  }

  state(name: string): VmProcessState {
    return this.states.get(name) ?? 'stopped';
  }
}

const NET = 60;
const PROJECT = 'test-project';
const ZONE = 'europe-west1-b';
const REGION = 'europe-west1';
// The twin's plan (ip-plan.ts): europe-west1 is catalog region 1, us-central1 region 2.
const EU = twinRegionSubnet(NET, 1);
const US = twinRegionSubnet(NET, 2);
const EPHEMERAL = twinEphemeralExternalPool(NET);

let dataDir: string;
let vmHost: FakeVmHost;
let emulator: Emulator;
let clients: ReturnType<typeof makeClients>;

function makeClients(port: number) {
  const opts = () => ({
    apiEndpoint: '127.0.0.1',
    port,
    protocol: 'http',
    fallback: true,
    authClient: new googleAuthLibrary.PassThroughClient(),
  });
  return {
    instances: new InstancesClient(opts()),
    disks: new DisksClient(opts()),
    addresses: new AddressesClient(opts()),
    targetPools: new TargetPoolsClient(opts()),
    forwardingRules: new ForwardingRulesClient(opts()),
    firewalls: new FirewallsClient(opts()),
    zones: new ZonesClient(opts()),
    regions: new RegionsClient(opts()),
    subnetworks: new SubnetworksClient(opts()),
    zoneOps: new ZoneOperationsClient(opts()),
    regionOps: new RegionOperationsClient(opts()),
    globalOps: new GlobalOperationsClient(opts()),
  };
}

// Long enough that a GET right after an insert still sees it in flight on a loaded 2-core CI machine.
async function start(opDelayMs = 100): Promise<void> {
  vmHost = new FakeVmHost();
  emulator = await startEmulator({
    dataDir,
    port: 0,
    net: NET,
    opDelayMs,
    bootDelayMs: 0,
    lbDelayMs: 0,
    waitTimeoutMs: 5_000,
    vmHost,
    log: () => {},
  });
  clients = makeClients(emulator.port);
}

/** Loops on operations.wait until DONE, as a careful caller of the real API does. */
async function waitDone(started: { latestResponse?: unknown }): Promise<IOperation> {
  let op = started.latestResponse as IOperation;
  expect(op.kind).toBe('compute#operation');
  while (op.status !== 'DONE') {
    const name = String(op.name);
    if (op.zone) [op] = await clients.zoneOps.wait({ project: PROJECT, zone: last(op.zone), operation: name });
    else if (op.region)
      [op] = await clients.regionOps.wait({ project: PROJECT, region: last(op.region), operation: name });
    else [op] = await clients.globalOps.wait({ project: PROJECT, operation: name });
  }
  return op;
}

const last = (link: string) => link.slice(link.lastIndexOf('/') + 1);

async function expectDone(call: Promise<[{ latestResponse?: unknown }, ...unknown[]]>): Promise<IOperation> {
  const [started] = await call;
  const op = await waitDone(started);
  expect(op.error ?? null).toBeNull();
  return op;
}

/** The client rejects a non-2xx answer with the HTTP status as `code` and GCE's error JSON in the message. */
async function expectGceError(
  call: Promise<unknown>,
  status: number,
  reason: string,
  messagePart?: string,
): Promise<void> {
  const err: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a ${status} ${reason}`).toBeInstanceOf(Error);
  const e = err as Error & { code?: unknown };
  expect(e.code).toBe(status);
  const body = JSON.parse(e.message) as {
    error: { code: number; message: string; errors: Array<{ reason: string; domain: string }> };
  };
  expect(body.error.code).toBe(status);
  expect(body.error.errors[0]?.reason).toBe(reason);
  expect(body.error.errors[0]?.domain).toBe('global');
  if (messagePart) expect(body.error.message).toContain(messagePart);
}

function instanceResource(
  name: string,
  opts: { zone?: string; pd?: string; networkIP?: string; natIP?: string; external?: boolean } = {},
): IInstance {
  const zone = opts.zone ?? ZONE;
  const disks: protos.google.cloud.compute.v1.IAttachedDisk[] = [
    {
      boot: true,
      autoDelete: true,
      initializeParams: { sourceImage: 'projects/cos-cloud/global/images/family/cos-stable', diskSizeGb: 10 },
    },
  ];
  if (opts.pd)
    disks.push({
      source: `projects/${PROJECT}/zones/${zone}/disks/${opts.pd}`,
      deviceName: 'master-pd',
      autoDelete: false,
    });
  return {
    name,
    machineType: `zones/${zone}/machineTypes/n1-standard-1`,
    disks,
    networkInterfaces: [
      {
        network: 'global/networks/default',
        ...(opts.networkIP ? { networkIP: opts.networkIP } : {}),
        accessConfigs:
          opts.external === false
            ? []
            : [{ name: 'external-nat', type: 'ONE_TO_ONE_NAT', ...(opts.natIP ? { natIP: opts.natIP } : {}) }],
      },
    ],
    tags: { items: ['test-master'] },
    metadata: {
      items: [
        { key: 'cluster-name', value: 'test' },
        { key: 'kube-env', value: 'MULTIZONE: "true"\n' },
      ],
    },
  };
}

async function getInstance(name: string, zone = ZONE): Promise<IInstance> {
  const [i] = await clients.instances.get({ project: PROJECT, zone, instance: name });
  return i;
}

/**
 * GET on the metadata server as the instance at `remoteAddress`. On the twin a VM reaches it from its
 * own namespace, which the host cannot bind to, so this calls the emulator's own handler with the
 * caller's address, as its HTTP front does with the socket's remote address.
 */
async function metadataGet(
  path: string,
  remoteAddress: string,
  headers: Record<string, string> = { 'Metadata-Flavor': 'Google' },
) {
  const url = new URL(path, 'http://metadata.google.internal');
  const answer = await handleMetadataRequest(emulator.cloud, {
    method: 'GET',
    path: url.pathname,
    query: url.searchParams,
    flavor: headers['Metadata-Flavor'],
    remoteAddress,
    body: '',
  });
  return { status: answer.status, body: answer.body };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'quorum-emulator-'));
  await start();
});

afterAll(async () => {
  await emulator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('geography', () => {
  it('lists the catalog regions and zones with full URLs', async () => {
    const [region] = await clients.regions.get({ project: PROJECT, region: REGION });
    expect(region.kind).toBe('compute#region');
    expect(region.zones).toEqual(
      ['b', 'c', 'd'].map((z) => `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/europe-west1-${z}`),
    );
    const [zones] = await clients.zones.list({ project: PROJECT });
    expect(zones.map((z) => z.name)).toEqual([
      'europe-west1-b',
      'europe-west1-c',
      'europe-west1-d',
      'us-central1-a',
      'us-central1-b',
      'us-central1-c',
      'us-central1-f',
    ]);
    const [zone] = await clients.zones.get({ project: PROJECT, zone: 'us-central1-f' });
    expect(zone.region).toBe(`https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/us-central1`);
    expect(zone.id).toMatch(/^\d+$/);
  });

  it('gives each region its own /24 of the IP plan', async () => {
    const [eu] = await clients.subnetworks.get({ project: PROJECT, region: REGION, subnetwork: 'default' });
    const [us] = await clients.subnetworks.get({ project: PROJECT, region: 'us-central1', subnetwork: 'default' });
    expect(eu.ipCidrRange).toBe(EU.cidr);
    expect(us.ipCidrRange).toBe(US.cidr);
    expect(eu.network).toBe(`https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/default`);
  });

  it('answers a malformed JSON body with GCE error JSON and changes nothing', async () => {
    const response = await fetch(
      `http://127.0.0.1:${emulator.port}/compute/v1/projects/${PROJECT}/zones/${ZONE}/disks`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name": "half-a-disk"',
      },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 400 } });
    await expect(clients.disks.get({ project: PROJECT, zone: ZONE, disk: 'half-a-disk' })).rejects.toThrow();
  });

  it('rejects an unknown zone as invalid', async () => {
    await expectGceError(
      clients.instances.list({ project: PROJECT, zone: 'europe-west9-z' }),
      400,
      'invalid',
      "'europe-west9-z'. Unknown zone.",
    );
  });
});

describe('instance lifecycle', () => {
  it('inserts an instance with a data disk; it goes RUNNING and its VM boots on the master-pd disk', async () => {
    await expectDone(
      clients.disks.insert({
        project: PROJECT,
        zone: ZONE,
        diskResource: { name: 'life-pd', sizeGb: '20', type: `zones/${ZONE}/diskTypes/pd-ssd` },
      }),
    );
    const [started] = await clients.instances.insert({
      project: PROJECT,
      zone: ZONE,
      instanceResource: instanceResource('life', { pd: 'life-pd' }),
    });
    const first = started.latestResponse as IOperation;
    expect(['PENDING', 'RUNNING']).toContain(first.status);
    expect(first.operationType).toBe('insert');
    expect(first.targetLink).toBe(
      `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/life`,
    );
    // In flight, the instance is not RUNNING yet. On a busy machine this GET can come after the operation ended (a
    // CI run saw RUNNING): then the operation must be DONE, never RUNNING with its insert unfinished.
    const seen = (await getInstance('life')).status;
    if (seen === 'RUNNING') {
      const [op] = await clients.zoneOps.get({ project: PROJECT, zone: ZONE, operation: String(first.name) });
      expect(op.status).toBe('DONE');
    } else expect(['PENDING', 'PROVISIONING', 'STAGING']).toContain(seen);
    const done = await waitDone(started);
    expect(done.progress).toBe(100);

    const i = await getInstance('life');
    expect(i.kind).toBe('compute#instance');
    expect(i.status).toBe('RUNNING');
    expect(i.id).toMatch(/^\d{6,20}$/);
    expect(i.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[-+]\d\d:\d\d$/);
    expect(i.selfLink).toBe(first.targetLink);
    expect(i.zone).toBe(`https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}`);
    expect(i.machineType).toBe(
      `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}/machineTypes/n1-standard-1`,
    );
    const nic = i.networkInterfaces?.[0];
    expect(nic?.name).toBe('nic0');
    expect(nic?.networkIP).toBe(EU.hosts[0]);
    expect(nic?.accessConfigs?.[0]).toMatchObject({
      kind: 'compute#accessConfig',
      type: 'ONE_TO_ONE_NAT',
      name: 'external-nat',
      networkTier: 'PREMIUM',
    });
    expect(EPHEMERAL).toContain(nic?.accessConfigs?.[0]?.natIP);
    expect(i.disks?.map((d) => [d.deviceName, last(String(d.source)), d.boot, d.autoDelete])).toEqual([
      ['persistent-disk-0', 'life', true, true],
      ['master-pd', 'life-pd', false, false],
    ]);
    expect(i.tags?.items).toEqual(['test-master']);
    expect(i.tags?.fingerprint).toBeTruthy();
    expect(i.metadata?.kind).toBe('compute#metadata');
    expect(i.metadata?.items?.map((m) => m.key)).toEqual(['cluster-name', 'kube-env']);

    await vi.waitFor(() => expect(vmHost.calls).toContain('boot life'));
    expect(vmHost.specs.get('life')).toEqual({
      project: PROJECT,
      zone: ZONE,
      name: 'life',
      internalIp: EU.hosts[0],
      diskDir: join(dataDir, 'sandbox', 'disks', ZONE, 'life-pd'),
      metadataUrl: `http://127.0.0.1:${emulator.port}/computeMetadata/v1`,
    });
    expect(existsSync(join(dataDir, 'sandbox', 'disks', ZONE, 'life-pd'))).toBe(true);
  });

  it('stops (VM shut down, ephemeral IP released), starts (VM booted again) and resets', async () => {
    vmHost.calls.length = 0;
    await expectDone(clients.instances.stop({ project: PROJECT, zone: ZONE, instance: 'life' }));
    const stopped = await getInstance('life');
    expect(stopped.status).toBe('TERMINATED');
    expect(stopped.networkInterfaces?.[0]?.accessConfigs?.[0]?.natIP ?? null).toBeNull();
    expect(vmHost.calls).toEqual(['shutdown life']);

    await expectDone(clients.instances.start({ project: PROJECT, zone: ZONE, instance: 'life' }));
    const restarted = await getInstance('life');
    expect(restarted.status).toBe('RUNNING');
    expect(EPHEMERAL).toContain(restarted.networkInterfaces?.[0]?.accessConfigs?.[0]?.natIP);
    await vi.waitFor(() => expect(vmHost.calls).toEqual(['shutdown life', 'boot life']));

    await expectDone(clients.instances.reset({ project: PROJECT, zone: ZONE, instance: 'life' }));
    await vi.waitFor(() => expect(vmHost.calls).toEqual(['shutdown life', 'boot life', 'shutdown life', 'boot life']));
    expect((await getInstance('life')).status).toBe('RUNNING');
  });

  it('is TERMINATED, and its stop operation DONE, only once the guest is down', async () => {
    let release = () => {};
    vmHost.shutdownGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const [started] = await clients.instances.stop({ project: PROJECT, zone: ZONE, instance: 'life' });
    const name = String((started.latestResponse as IOperation).name);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const [pending] = await clients.zoneOps.get({ project: PROJECT, zone: ZONE, operation: name });
    expect(pending.status).not.toBe('DONE');
    expect((await getInstance('life')).status).toBe('STOPPING');
    release();
    vmHost.shutdownGate = undefined;
    expect((await waitDone(started)).status).toBe('DONE');
    expect((await getInstance('life')).status).toBe('TERMINATED');
    await expectDone(clients.instances.start({ project: PROJECT, zone: ZONE, instance: 'life' }));
  });

  it('refuses to delete a disk attached to an instance', async () => {
    await expectGceError(
      clients.disks.delete({ project: PROJECT, zone: ZONE, disk: 'life-pd' }),
      400,
      'resourceInUseByAnotherResource',
      `is already being used by 'projects/${PROJECT}/zones/${ZONE}/instances/life'`,
    );
  });

  it('deletes an instance: VM shut down, auto-delete boot disk and its directory removed, data disk kept', async () => {
    vmHost.calls.length = 0;
    await expectDone(clients.instances.delete({ project: PROJECT, zone: ZONE, instance: 'life' }));
    await expectGceError(clients.instances.get({ project: PROJECT, zone: ZONE, instance: 'life' }), 404, 'notFound');
    expect(vmHost.calls).toEqual(['shutdown life']);
    await expectGceError(clients.disks.get({ project: PROJECT, zone: ZONE, disk: 'life' }), 404, 'notFound');
    await vi.waitFor(() => expect(existsSync(join(dataDir, 'sandbox', 'disks', ZONE, 'life'))).toBe(false));
    const [pd] = await clients.disks.get({ project: PROJECT, zone: ZONE, disk: 'life-pd' });
    expect(pd.users ?? []).toEqual([]);
    expect(pd.type).toBe(`https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}/diskTypes/pd-ssd`);
    await expectDone(clients.disks.delete({ project: PROJECT, zone: ZONE, disk: 'life-pd' }));
    expect(existsSync(join(dataDir, 'sandbox', 'disks', ZONE, 'life-pd'))).toBe(false);
  });
});

describe('errors', () => {
  it('404 for a missing instance, with GCE message', async () => {
    await expectGceError(
      clients.instances.get({ project: PROJECT, zone: ZONE, instance: 'ghost' }),
      404,
      'notFound',
      `The resource 'projects/${PROJECT}/zones/${ZONE}/instances/ghost' was not found`,
    );
  });

  it('409 for a duplicate instance, 400 for a bad name, a zone of another region in the machine type, missing fields', async () => {
    await expectDone(
      clients.instances.insert({
        project: PROJECT,
        zone: ZONE,
        instanceResource: instanceResource('dup', { external: false }),
      }),
    );
    await expectGceError(
      clients.instances.insert({
        project: PROJECT,
        zone: ZONE,
        instanceResource: instanceResource('dup', { external: false }),
      }),
      409,
      'alreadyExists',
      `The resource 'projects/${PROJECT}/zones/${ZONE}/instances/dup' already exists`,
    );
    await expectGceError(
      clients.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceResource('Bad_Name') }),
      400,
      'invalid',
      "Invalid value for field 'resource.name': 'Bad_Name'",
    );
    await expectGceError(
      clients.instances.insert({
        project: PROJECT,
        zone: ZONE,
        instanceResource: {
          ...instanceResource('wrongzone'),
          machineType: 'zones/us-central1-b/machineTypes/n1-standard-1',
        },
      }),
      400,
      'invalid',
      'machineType',
    );
    await expectGceError(
      clients.instances.insert({
        project: PROJECT,
        zone: ZONE,
        instanceResource: { ...instanceResource('nodisk'), disks: [] },
      }),
      400,
      'required',
      'resource.disks',
    );
    await expectGceError(
      clients.instances.delete({ project: PROJECT, zone: ZONE, instance: 'ghost' }),
      404,
      'notFound',
    );
  });

  it('400 for a networkIP outside the region subnet or already in use', async () => {
    await expectGceError(
      clients.instances.insert({
        project: PROJECT,
        zone: ZONE,
        instanceResource: instanceResource('outside', { networkIP: US.hosts[7] }),
      }),
      400,
      'invalid',
      EU.cidr,
    );
    const dup = await getInstance('dup');
    const used = String(dup.networkInterfaces?.[0]?.networkIP);
    await expectGceError(
      clients.instances.insert({
        project: PROJECT,
        zone: 'europe-west1-c',
        instanceResource: instanceResource('clash', { zone: 'europe-west1-c', networkIP: used }),
      }),
      400,
      'invalid',
      'already being used',
    );
    await expectDone(
      clients.instances.insert({
        project: PROJECT,
        zone: 'europe-west1-c',
        instanceResource: instanceResource('chosen', {
          zone: 'europe-west1-c',
          networkIP: EU.hosts[75],
          external: false,
        }),
      }),
    );
    expect((await getInstance('chosen', 'europe-west1-c')).networkInterfaces?.[0]?.networkIP).toBe(EU.hosts[75]);
  });

  it('412 conditionNotMet for setMetadata with a stale fingerprint; applies with the current one', async () => {
    const before = await getInstance('dup');
    await expectGceError(
      clients.instances.setMetadata({
        project: PROJECT,
        zone: ZONE,
        instance: 'dup',
        metadataResource: { fingerprint: 'c3RhbGU=', items: [] },
      }),
      412,
      'conditionNotMet',
    );
    await expectDone(
      clients.instances.setMetadata({
        project: PROJECT,
        zone: ZONE,
        instance: 'dup',
        metadataResource: {
          fingerprint: before.metadata?.fingerprint,
          items: [{ key: 'kube-env', value: 'X: "1"\n' }],
        },
      }),
    );
    const after = await getInstance('dup');
    expect(after.metadata?.fingerprint).not.toBe(before.metadata?.fingerprint);
    expect(after.metadata?.items?.map(({ key, value }) => ({ key, value }))).toEqual([
      { key: 'kube-env', value: 'X: "1"\n' },
    ]);
  });
});

describe('how an instance is made: service account, scheduling, platform, shielded VM, labels, tier, alias ranges, Shared VPC', () => {
  const SCOPES = ['https://www.googleapis.com/auth/devstorage.read_only', 'https://www.googleapis.com/auth/compute'];
  const Z = 'europe-west1-d';
  const made = (name: string, patch: Partial<IInstance> = {}, nic: Record<string, unknown> = {}): IInstance => {
    const base = instanceResource(name, { zone: Z, external: true });
    return { ...base, networkInterfaces: [{ ...base.networkInterfaces?.[0], ...nic }], ...patch };
  };

  it('keeps and returns every field, resolves the default service account and allocates alias ranges from the subnetwork', async () => {
    const resource = made(
      'made-full',
      {
        serviceAccounts: [{ email: 'default', scopes: SCOPES }],
        scheduling: { preemptible: true, onHostMaintenance: 'TERMINATE', automaticRestart: false },
        minCpuPlatform: 'Intel Skylake',
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: false },
        labels: { 'kube-up-cluster': 'made', team: 'infra' },
      },
      {
        network: 'projects/host-net/global/networks/default',
        subnetwork: `projects/host-net/regions/${REGION}/subnetworks/default`,
        aliasIpRanges: [{ ipCidrRange: '/30' }, { ipCidrRange: EU.hosts[100] }],
        accessConfigs: [{ name: 'external-nat', type: 'ONE_TO_ONE_NAT', networkTier: 'STANDARD' }],
      },
    );
    await expectDone(clients.instances.insert({ project: PROJECT, zone: Z, instanceResource: resource }));
    const i = await getInstance('made-full', Z);
    expect(i.serviceAccounts?.map((sa) => [sa.email, sa.scopes])).toEqual([
      [expect.stringMatching(/^\d+-compute@developer\.gserviceaccount\.com$/), SCOPES],
    ]);
    expect(i.scheduling).toMatchObject({ preemptible: true, onHostMaintenance: 'TERMINATE', automaticRestart: false });
    expect([i.minCpuPlatform, i.cpuPlatform]).toEqual(['Intel Skylake', 'Intel Skylake']);
    expect(i.shieldedInstanceConfig).toMatchObject({
      enableSecureBoot: true,
      enableVtpm: true,
      enableIntegrityMonitoring: false,
    });
    expect(i.labels).toEqual({ 'kube-up-cluster': 'made', team: 'infra' });
    const nic = i.networkInterfaces?.[0];
    expect(nic?.network).toBe('https://www.googleapis.com/compute/v1/projects/host-net/global/networks/default');
    expect(nic?.subnetwork).toBe(
      `https://www.googleapis.com/compute/v1/projects/host-net/regions/${REGION}/subnetworks/default`,
    );
    expect(nic?.accessConfigs?.[0]?.networkTier).toBe('STANDARD');
    const aliases = (nic?.aliasIpRanges ?? []).map((a) => String(a.ipCidrRange));
    expect(aliases).toHaveLength(2);
    expect(aliases[0]).toMatch(/\/30$/);
    expect(aliases[1]).toBe(`${EU.hosts[100]}/32`);
    // The /30 is aligned, in the subnetwork, and holds neither the instance's own IP nor the explicit alias.
    const base = Number(aliases[0]?.split('/')[0]?.split('.')[3]);
    const block = [0, 1, 2, 3].map((k) => `${EU.network.split('.').slice(0, 3).join('.')}.${base + k}`);
    expect(base % 4).toBe(0);
    for (const ip of block) expect(EU.hosts).toContain(ip);
    expect(block).not.toContain(nic?.networkIP);
    expect(block).not.toContain(EU.hosts[100]);

    // Without any of them: GCE's defaults.
    await expectDone(clients.instances.insert({ project: PROJECT, zone: Z, instanceResource: made('made-plain') }));
    const plain = await getInstance('made-plain', Z);
    expect(plain.serviceAccounts ?? []).toEqual([]);
    expect(plain.scheduling).toMatchObject({
      preemptible: false,
      onHostMaintenance: 'MIGRATE',
      automaticRestart: true,
    });
    expect(plain.minCpuPlatform ?? null).toBeNull();
    expect(plain.cpuPlatform).toBe('Intel Broadwell');
    expect(plain.networkInterfaces?.[0]?.network).toBe(
      `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/default`,
    );
    expect(plain.networkInterfaces?.[0]?.accessConfigs?.[0]?.networkTier).toBe('PREMIUM');
    // An address inside an alias range is taken: neither an instance nor an INTERNAL address may have it.
    await expectGceError(
      clients.instances.insert({
        project: PROJECT,
        zone: Z,
        instanceResource: instanceResource('made-clash', { zone: Z, networkIP: block[1], external: false }),
      }),
      400,
      'invalid',
      'already being used',
    );
  });

  it.each([
    [
      'two service accounts',
      { serviceAccounts: [{ email: 'default' }, { email: 'default' }] },
      {},
      'resource.serviceAccounts',
    ],
    [
      'a malformed service account email',
      { serviceAccounts: [{ email: 'not-an-email', scopes: SCOPES }] },
      {},
      'resource.serviceAccounts[0].email',
    ],
    [
      'a scope alias instead of a URL',
      { serviceAccounts: [{ email: 'default', scopes: ['compute-rw'] }] },
      {},
      'resource.serviceAccounts[0].scopes[0]',
    ],
    [
      'preemptible but migrating',
      { scheduling: { preemptible: true, onHostMaintenance: 'MIGRATE' } },
      {},
      'resource.scheduling.onHostMaintenance',
    ],
    [
      'preemptible and restarted',
      { scheduling: { preemptible: true, automaticRestart: true } },
      {},
      'resource.scheduling.automaticRestart',
    ],
    [
      'an unknown maintenance policy',
      { scheduling: { onHostMaintenance: 'REBOOT' } },
      {},
      'resource.scheduling.onHostMaintenance',
    ],
    ['a CPU platform the zone does not have', { minCpuPlatform: 'Intel Pentium' }, {}, 'resource.minCpuPlatform'],
    ['a label key with capitals', { labels: { Team: 'x' } }, {}, 'resource.labels.Team'],
    [
      'an unknown network tier',
      {},
      { accessConfigs: [{ name: 'external-nat', type: 'ONE_TO_ONE_NAT', networkTier: 'GOLD' }] },
      'networkTier',
    ],
    [
      'a secondary range the subnetwork lacks',
      {},
      { aliasIpRanges: [{ ipCidrRange: '/24', subnetworkRangeName: 'pods-default' }] },
      'subnetworkRangeName',
    ],
    [
      'an alias range outside the subnetwork',
      {},
      { aliasIpRanges: [{ ipCidrRange: `${US.hosts[10]}/32` }] },
      'aliasIpRanges[0].ipCidrRange',
    ],
    [
      'an alias range wider than the subnetwork',
      {},
      { aliasIpRanges: [{ ipCidrRange: '/20' }] },
      'aliasIpRanges[0].ipCidrRange',
    ],
    ['a subnetwork of another region', {}, { subnetwork: 'regions/us-central1/subnetworks/default' }, 'subnetwork'],
    [
      'a network and a subnetwork of different projects',
      {},
      {
        network: 'projects/host-net/global/networks/default',
        subnetwork: `projects/other/regions/${REGION}/subnetworks/default`,
      },
      'must belong to network',
    ],
  ])('refuses %s (400 invalid) and creates nothing', async (_case, patch, nic, fieldPart) => {
    const name = `refused-${String(Math.random()).slice(2, 8)}`;
    await expectGceError(
      clients.instances.insert({ project: PROJECT, zone: Z, instanceResource: made(name, patch, nic) }),
      400,
      'invalid',
      fieldPart,
    );
    await expectGceError(clients.instances.get({ project: PROJECT, zone: Z, instance: name }), 404, 'notFound');
    await expectGceError(clients.disks.get({ project: PROJECT, zone: Z, disk: name }), 404, 'notFound');
  });

  it('refuses a subnetwork that does not exist (404)', async () => {
    await expectGceError(
      clients.instances.insert({
        project: PROJECT,
        zone: Z,
        instanceResource: made('refused-subnet', {}, { subnetwork: `regions/${REGION}/subnetworks/masters` }),
      }),
      404,
      'notFound',
      `regions/${REGION}/subnetworks/masters`,
    );
  });

  it('keeps the image a boot disk was made from, its size and type', async () => {
    const boot = {
      boot: true,
      autoDelete: true,
      initializeParams: {
        sourceImage: 'projects/cos-cloud/global/images/cos-113-18244-85-49',
        diskSizeGb: 50,
        diskType: `zones/${Z}/diskTypes/pd-ssd`,
      },
    };
    await expectDone(
      clients.instances.insert({ project: PROJECT, zone: Z, instanceResource: made('made-boot', { disks: [boot] }) }),
    );
    const [disk] = await clients.disks.get({ project: PROJECT, zone: Z, disk: 'made-boot' });
    expect([disk.sourceImage, String(disk.sizeGb), last(String(disk.type))]).toEqual([
      'projects/cos-cloud/global/images/cos-113-18244-85-49',
      '50',
      'pd-ssd',
    ]);
  });

  afterAll(async () => {
    // The tests below count the instances of the project.
    for (const name of ['made-full', 'made-plain', 'made-boot'])
      await expectDone(clients.instances.delete({ project: PROJECT, zone: Z, instance: name }));
  });
});

describe('metadata server', () => {
  it('answers the instance calling from its own internal IP, with Metadata-Flavor only', async () => {
    const ip = String((await getInstance('dup')).networkInterfaces?.[0]?.networkIP);
    expect(await metadataGet('/instance/attributes/kube-env', ip)).toEqual({ status: 200, body: 'X: "1"\n' });
    expect(await metadataGet('/instance/attributes/', ip)).toEqual({ status: 200, body: 'kube-env\n' });
    expect((await metadataGet('/instance/attributes/missing', ip)).status).toBe(404);
    expect(await metadataGet('/instance/name', ip)).toEqual({ status: 200, body: 'dup' });
    expect((await metadataGet('/instance/zone', ip)).body).toMatch(new RegExp(`^projects/\\d+/zones/${ZONE}$`));
    expect(await metadataGet('/instance/network-interfaces/0/ip', ip)).toEqual({ status: 200, body: ip });
    expect(await metadataGet('/project/project-id', ip)).toEqual({ status: 200, body: PROJECT });
    // GCE's metadata server has no name service of Quorum's invention: instances resolve each other through /etc/hosts.
    expect((await metadataGet('/sandbox/resolve/chosen', ip)).status).toBe(404);
    expect((await metadataGet('/instance/name', ip, {})).status).toBe(403);
    expect((await metadataGet('/instance/name', '127.0.0.1')).status).toBe(404);
  });

  it('does not answer for a stopped instance', async () => {
    const ip = String((await getInstance('chosen', 'europe-west1-c')).networkInterfaces?.[0]?.networkIP);
    await expectDone(clients.instances.stop({ project: PROJECT, zone: 'europe-west1-c', instance: 'chosen' }));
    expect((await metadataGet('/instance/name', ip)).status).toBe(404);
  });
});

describe('addresses, access configs, target pools, forwarding rules', () => {
  it('reserves a static address and marks it IN_USE by the instance holding it as natIP', async () => {
    await expectDone(
      clients.addresses.insert({ project: PROJECT, region: REGION, addressResource: { name: 'static-ip' } }),
    );
    const [a] = await clients.addresses.get({ project: PROJECT, region: REGION, address: 'static-ip' });
    expect(a).toMatchObject({
      kind: 'compute#address',
      status: 'RESERVED',
      addressType: 'EXTERNAL',
      address: twinStaticExternalPool(NET)[0],
    });
    await expectDone(
      clients.instances.insert({
        project: PROJECT,
        zone: ZONE,
        instanceResource: instanceResource('holder', { natIP: String(a.address) }),
      }),
    );
    const [inUse] = await clients.addresses.get({ project: PROJECT, region: REGION, address: 'static-ip' });
    expect(inUse.status).toBe('IN_USE');
    expect(inUse.users).toEqual([
      `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/holder`,
    ]);
    await expectGceError(
      clients.addresses.delete({ project: PROJECT, region: REGION, address: 'static-ip' }),
      400,
      'resourceInUseByAnotherResource',
    );
    await expectGceError(
      clients.instances.insert({
        project: PROJECT,
        zone: ZONE,
        instanceResource: instanceResource('thief', { natIP: String(a.address) }),
      }),
      400,
      'invalid',
      'already being used',
    );
  });

  it('moves the holder to an ephemeral IP with deleteAccessConfig + addAccessConfig (kube-up add-replica step)', async () => {
    await expectDone(
      clients.instances.deleteAccessConfig({
        project: PROJECT,
        zone: ZONE,
        instance: 'holder',
        networkInterface: 'nic0',
        accessConfig: 'external-nat',
      }),
    );
    const [released] = await clients.addresses.get({ project: PROJECT, region: REGION, address: 'static-ip' });
    expect(released.status).toBe('RESERVED');
    expect(released.users ?? []).toEqual([]);
    await expectDone(
      clients.instances.addAccessConfig({
        project: PROJECT,
        zone: ZONE,
        instance: 'holder',
        networkInterface: 'nic0',
        accessConfigResource: { name: 'external-nat', type: 'ONE_TO_ONE_NAT' },
      }),
    );
    const nat = (await getInstance('holder')).networkInterfaces?.[0]?.accessConfigs?.[0]?.natIP;
    expect(EPHEMERAL).toContain(nat);
    await expectGceError(
      clients.instances.addAccessConfig({
        project: PROJECT,
        zone: ZONE,
        instance: 'holder',
        networkInterface: 'nic0',
        accessConfigResource: { name: 'second' },
      }),
      400,
      'invalid',
    );
  });

  it('allocates INTERNAL addresses in the region subnet', async () => {
    await expectDone(
      clients.addresses.insert({
        project: PROJECT,
        region: 'us-central1',
        addressResource: { name: 'internal-ip', addressType: 'INTERNAL' },
      }),
    );
    const [a] = await clients.addresses.get({ project: PROJECT, region: 'us-central1', address: 'internal-ip' });
    expect(a.address).toBe(US.hosts[0]);
    expect(a.subnetwork).toBe(
      `https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/us-central1/subnetworks/default`,
    );
  });

  it('puts a forwarding rule on the static IP in front of a target pool', async () => {
    const holder = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/holder`;
    await expectDone(
      clients.targetPools.insert({
        project: PROJECT,
        region: REGION,
        targetPoolResource: { name: 'pool', instances: [holder] },
      }),
    );
    // A missing instance fails the operation, not the call (the reference is resolved asynchronously).
    const [bad] = await clients.targetPools.addInstance({
      project: PROJECT,
      region: REGION,
      targetPool: 'pool',
      targetPoolsAddInstanceRequestResource: {
        instances: [{ instance: `projects/${PROJECT}/zones/${ZONE}/instances/ghost` }],
      },
    });
    const failed = await waitDone(bad);
    expect(failed.httpErrorStatusCode).toBe(404);
    expect(failed.error?.errors?.[0]?.code).toBe('RESOURCE_NOT_FOUND');
    await expectDone(
      clients.targetPools.addInstance({
        project: PROJECT,
        region: REGION,
        targetPool: 'pool',
        targetPoolsAddInstanceRequestResource: {
          instances: [
            { instance: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/dup` },
          ],
        },
      }),
    );
    const [pool] = await clients.targetPools.get({ project: PROJECT, region: REGION, targetPool: 'pool' });
    expect(pool.instances?.map(last)).toEqual(['holder', 'dup']);

    const [a] = await clients.addresses.get({ project: PROJECT, region: REGION, address: 'static-ip' });
    await expectDone(
      clients.forwardingRules.insert({
        project: PROJECT,
        region: REGION,
        forwardingRuleResource: {
          name: 'lb',
          IPAddress: a.address,
          IPProtocol: 'TCP',
          portRange: '443',
          target: pool.selfLink,
        },
      }),
    );
    const [rule] = await clients.forwardingRules.get({ project: PROJECT, region: REGION, forwardingRule: 'lb' });
    expect(rule).toMatchObject({
      kind: 'compute#forwardingRule',
      IPAddress: a.address,
      portRange: '443-443',
      target: pool.selfLink,
    });
    const [used] = await clients.addresses.get({ project: PROJECT, region: REGION, address: 'static-ip' });
    expect(used.status).toBe('IN_USE');
    expect(used.users).toEqual([rule.selfLink]);
    await expectGceError(
      clients.targetPools.delete({ project: PROJECT, region: REGION, targetPool: 'pool' }),
      400,
      'resourceInUseByAnotherResource',
    );

    await expectDone(
      clients.targetPools.removeInstance({
        project: PROJECT,
        region: REGION,
        targetPool: 'pool',
        targetPoolsRemoveInstanceRequestResource: { instances: [{ instance: `zones/${ZONE}/instances/dup` }] },
      }),
    );
    const [smaller] = await clients.targetPools.get({ project: PROJECT, region: REGION, targetPool: 'pool' });
    expect(smaller.instances?.map(last)).toEqual(['holder']);

    await expectDone(clients.forwardingRules.delete({ project: PROJECT, region: REGION, forwardingRule: 'lb' }));
    const [free] = await clients.addresses.get({ project: PROJECT, region: REGION, address: 'static-ip' });
    expect(free.status).toBe('RESERVED');
    await expectDone(clients.targetPools.delete({ project: PROJECT, region: REGION, targetPool: 'pool' }));
    await expectDone(clients.addresses.delete({ project: PROJECT, region: REGION, address: 'static-ip' }));
  });

  it('creates firewall rules between master tags', async () => {
    await expectDone(
      clients.firewalls.insert({
        project: PROJECT,
        firewallResource: {
          name: 'test-master-etcd',
          sourceTags: ['test-master'],
          targetTags: ['test-master'],
          allowed: [{ IPProtocol: 'tcp', ports: ['2380', '2381'] }],
        },
      }),
    );
    const [fw] = await clients.firewalls.get({ project: PROJECT, firewall: 'test-master-etcd' });
    expect(fw).toMatchObject({
      kind: 'compute#firewall',
      direction: 'INGRESS',
      priority: 1000,
      sourceTags: ['test-master'],
    });
    expect(fw.allowed?.map(({ IPProtocol, ports }) => ({ IPProtocol, ports }))).toEqual([
      { IPProtocol: 'tcp', ports: ['2380', '2381'] },
    ]);
    await expectGceError(
      clients.firewalls.insert({
        project: PROJECT,
        firewallResource: { name: 'test-master-etcd', allowed: [{ IPProtocol: 'tcp' }] },
      }),
      409,
      'alreadyExists',
    );
  });
});

describe('what the client sends in REST fallback', () => {
  it('answers a client using $alt=json;enum-encoding=int, and a re-sent requestId returns the first operation', async () => {
    const instances = new InstancesClient({
      apiEndpoint: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
      fallback: true,
      numericEnums: true,
      authClient: new googleAuthLibrary.PassThroughClient(),
    });
    const request = {
      project: PROJECT,
      zone: 'us-central1-a',
      instanceResource: instanceResource('numeric', { zone: 'us-central1-a', external: false }),
      requestId: 'a3f1c2d4-0000-4000-8000-000000000001',
    };
    const [first] = await instances.insert(request);
    const op = await waitDone(first);
    const [again] = await instances.insert(request);
    expect((again.latestResponse as IOperation).name).toBe(op.name);
    // The Operation carries the requestId as clientOperationId, and a list filtered on it finds that one Operation.
    expect((again.latestResponse as IOperation).clientOperationId).toBe(request.requestId);
    const [found] = await clients.zoneOps.list({
      project: PROJECT,
      zone: 'us-central1-a',
      filter: `clientOperationId = "${request.requestId}"`,
    });
    expect(found.map((o) => [o.name, o.operationType, o.clientOperationId])).toEqual([
      [op.name, 'insert', request.requestId],
    ]);
    const [none] = await clients.zoneOps.list({
      project: PROJECT,
      zone: 'us-central1-a',
      filter: 'clientOperationId = "a3f1c2d4-0000-4000-8000-00000000ffff"',
    });
    expect(none).toEqual([]);
    const [i] = await instances.get({ project: PROJECT, zone: 'us-central1-a', instance: 'numeric' });
    expect(i.status).toBe('RUNNING');
    await expectDone(instances.delete({ project: PROJECT, zone: 'us-central1-a', instance: 'numeric' }));
  });
});

describe('the request log (/sandbox/v1/chaos/compute-requests)', () => {
  const requestLog = async (after: number) => {
    const res = await fetch(`${emulator.url}/sandbox/v1/chaos/compute-requests?after=${after}`);
    expect(res.status).toBe(200);
    return (await res.json()) as {
      entries: Array<{
        seq: number;
        httpMethod: string;
        method: string | null;
        zone: string | null;
        region: string | null;
        name: string | null;
        requestId: boolean;
        status: number;
      }>;
      next: number;
      dropped: number;
    };
  };

  it("keeps what each request was, by Google's method name, with its requestId presence and the status answered", async () => {
    const { next } = await requestLog(0);
    const requestId = 'a3f1c2d4-0000-4000-8000-00000000abcd';
    const op = await expectDone(
      clients.disks.insert({
        project: PROJECT,
        zone: ZONE,
        diskResource: { name: 'logged-pd', sizeGb: '10' },
        requestId,
      }),
    );
    expect(op.status).toBe('DONE');
    await expect(clients.disks.get({ project: PROJECT, zone: ZONE, disk: 'no-such-pd' })).rejects.toThrow();
    await expectDone(clients.disks.delete({ project: PROJECT, zone: ZONE, disk: 'logged-pd' }));
    const { entries, dropped } = await requestLog(next);
    expect(dropped).toBe(0);
    const calls = entries
      .filter((e) => !e.method?.startsWith('zoneOperations.'))
      .map((e) => [e.httpMethod, e.method, e.zone, e.name, e.requestId, e.status]);
    expect(calls).toEqual([
      ['POST', 'disks.insert', ZONE, 'logged-pd', true, 200],
      ['GET', 'disks.get', ZONE, 'no-such-pd', false, 404],
      ['DELETE', 'disks.delete', ZONE, 'logged-pd', false, 200],
    ]);
    expect(entries.map((e) => e.seq)).toEqual([...entries.keys()].map((i) => next + 1 + i));
    // Read from where the last answer ended: nothing new, and a bad `after` is refused in Compute's error form.
    expect((await requestLog(entries.at(-1)?.seq ?? next)).entries).toEqual([]);
    const bad = await fetch(`${emulator.url}/sandbox/v1/chaos/compute-requests?after=x`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/after/);
  });
});

describe('list filters, paging and aggregatedList', () => {
  it('filters with name eq/ne regex, = and status', async () => {
    const names = async (filter: string) => {
      const [items] = await clients.instances.list({ project: PROJECT, zone: ZONE, filter });
      return items.map((i) => i.name);
    };
    expect(await names('name eq ho.*')).toEqual(['holder']);
    expect(await names('name ne ho.*')).toEqual(['dup']);
    expect(await names('name = "dup"')).toEqual(['dup']);
    expect(await names('status = RUNNING')).toEqual(['dup', 'holder']);
    expect(await names('(status = RUNNING) (name = "holder")')).toEqual(['holder']);
  });

  it('pages with maxResults and pageToken', async () => {
    const [page1, next] = await clients.instances.list(
      { project: PROJECT, zone: ZONE, maxResults: 1 },
      { autoPaginate: false },
    );
    expect(page1.map((i) => i.name)).toEqual(['dup']);
    expect(next?.pageToken).toBeTruthy();
    const [page2, after] = await clients.instances.list(
      { project: PROJECT, zone: ZONE, maxResults: 1, pageToken: next?.pageToken },
      { autoPaginate: false },
    );
    expect(page2.map((i) => i.name)).toEqual(['holder']);
    expect(after).toBeNull();
  });

  it('iterates every zone with aggregatedList, empty zones carrying a warning', async () => {
    const seen: Record<string, string[]> = {};
    const warnings: string[] = [];
    for await (const [scope, list] of clients.instances.aggregatedListAsync({ project: PROJECT, maxResults: 1 })) {
      for (const i of list.instances ?? []) (seen[scope] ??= []).push(String(i.name));
      if (list.warning) warnings.push(`${scope} ${list.warning.code}`);
    }
    expect(seen).toEqual({ 'zones/europe-west1-b': ['dup', 'holder'], 'zones/europe-west1-c': ['chosen'] });
    expect(warnings).toContain('zones/us-central1-f NO_RESULTS_ON_PAGE');
  });
});

describe('persistence', () => {
  it('a new emulator on the same data dir has the same resources and boots the RUNNING instances again', async () => {
    const before = await getInstance('dup');
    await emulator.close();
    await start();
    const after = await getInstance('dup');
    expect(after.id).toBe(before.id);
    expect(after.metadata).toEqual(before.metadata);
    expect(after.networkInterfaces?.[0]?.networkIP).toBe(before.networkInterfaces?.[0]?.networkIP);
    await vi.waitFor(() => expect([...vmHost.calls].sort()).toEqual(['boot dup', 'boot holder']));
    expect((await getInstance('chosen', 'europe-west1-c')).status).toBe('TERMINATED');
    const [fw] = await clients.firewalls.get({ project: PROJECT, firewall: 'test-master-etcd' });
    expect(fw.allowed?.map(({ IPProtocol, ports }) => ({ IPProtocol, ports }))).toEqual([
      { IPProtocol: 'tcp', ports: ['2380', '2381'] },
    ]);
  });

  it('finishes at start the operations that were still running when the emulator stopped', async () => {
    await emulator.close();
    await start(60_000);
    const [started] = await clients.disks.insert({
      project: PROJECT,
      zone: ZONE,
      diskResource: { name: 'slow-pd', type: 'pd-ssd' },
    });
    const op = started.latestResponse as IOperation;
    expect(op.status).not.toBe('DONE');
    const [creating] = await clients.disks.get({ project: PROJECT, zone: ZONE, disk: 'slow-pd' });
    expect(creating.status).toBe('CREATING');
    await emulator.close();
    await start();
    const [again] = await clients.zoneOps.get({ project: PROJECT, zone: ZONE, operation: String(op.name) });
    expect(again.status).toBe('DONE');
    const [ready] = await clients.disks.get({ project: PROJECT, zone: ZONE, disk: 'slow-pd' });
    expect(ready.status).toBe('READY');
  });
});
