// Compute Engine behaviours beyond the basics, driven with the real @google-cloud/compute client the way
// Google's own Node.js samples (GoogleCloudPlatform/nodejs-docs-samples, compute/) call them: the same
// methods with the same arguments, checking GCE's answers. Also the sandbox's "zone API down" chaos and
// the metadata server's project attributes, guest attributes and wait_for_change.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FirewallsClient,
  GlobalOperationsClient,
  InstancesClient,
  ProjectsClient,
  ZoneOperationsClient,
  protos,
} from '@google-cloud/compute';
import { googleAuthLibrary } from 'google-gax';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmHost, VmProcessState, VmSpec } from '../vm/types';
import { startEmulator, type Emulator } from './emulator';
import { etagOf, handleMetadataRequest } from './metadata-server';

type IOperation = protos.google.cloud.compute.v1.IOperation;
type IInstance = protos.google.cloud.compute.v1.IInstance;

/** In-memory VM host: a guest that stops when asked, after `shutdownGate` if one is set. */
class FakeVmHost implements VmHost {
  shutdownGate: Promise<void> | undefined;
  private readonly states = new Map<string, VmProcessState>();
  async boot(spec: VmSpec): Promise<void> {
    this.states.set(spec.name, 'running');
  }
  async shutdown(name: string): Promise<void> {
    await this.shutdownGate;
    this.states.set(name, 'stopped');
  }
  async shutdownAll(): Promise<void> {
    this.states.clear();
  }
  state(name: string): VmProcessState {
    return this.states.get(name) ?? 'stopped';
  }
}

const PROJECT = 'fidelity-project';
const ZONE = 'europe-west1-b';
const OTHER_ZONE = 'europe-west1-c';

let dataDir: string;
let vmHost: FakeVmHost;
let emulator: Emulator;
let instances: InstancesClient;
let firewalls: FirewallsClient;
let projects: ProjectsClient;
let zoneOps: ZoneOperationsClient;
let globalOps: GlobalOperationsClient;

const opts = () => ({
  apiEndpoint: '127.0.0.1',
  port: emulator.port,
  protocol: 'http',
  fallback: true,
  authClient: new googleAuthLibrary.PassThroughClient(),
});

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'quorum-fidelity-'));
  vmHost = new FakeVmHost();
  emulator = await startEmulator({
    dataDir,
    port: 0,
    net: 61,
    opDelayMs: 200,
    // Long enough for the DEPROVISIONING test to see the status and be answered inside it on a busy machine (a CI
    // run missed a 50 ms window).
    deprovisioningMs: 1_000,
    bootDelayMs: 0,
    lbDelayMs: 0,
    waitTimeoutMs: 5_000,
    vmHost,
    log: () => {},
  });
  instances = new InstancesClient(opts());
  firewalls = new FirewallsClient(opts());
  projects = new ProjectsClient(opts());
  zoneOps = new ZoneOperationsClient(opts());
  globalOps = new GlobalOperationsClient(opts());
});

afterAll(async () => {
  await emulator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const last = (link: string) => link.slice(link.lastIndexOf('/') + 1);

/** The samples' loop: operations.wait until DONE. */
async function waitDone(started: { latestResponse?: unknown }): Promise<IOperation> {
  let op = started.latestResponse as IOperation;
  while (op.status !== 'DONE') {
    if (op.zone) [op] = await zoneOps.wait({ project: PROJECT, zone: last(op.zone), operation: String(op.name) });
    else [op] = await globalOps.wait({ project: PROJECT, operation: String(op.name) });
  }
  return op;
}

async function expectDone(call: Promise<[{ latestResponse?: unknown }, ...unknown[]]>): Promise<IOperation> {
  const [started] = await call;
  const op = await waitDone(started);
  expect(op.error ?? null).toBeNull();
  return op;
}

async function expectGceError(call: Promise<unknown>, status: number, reason: string, message?: string): Promise<void> {
  const err: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${status} ${reason}`).toBeInstanceOf(Error);
  const e = err as Error & { code?: unknown };
  expect(e.code).toBe(status);
  const body = JSON.parse(e.message) as { error: { code: number; message: string; errors: Array<{ reason: string }> } };
  expect(body.error.errors[0]?.reason).toBe(reason);
  if (message !== undefined) expect(body.error.message).toBe(message);
}

/** The instance the samples create (createInstance.js and friends): boot disk from an image, the default network. */
function sampleInstance(name: string, zone = ZONE, extra: Partial<IInstance> = {}): IInstance {
  return {
    name,
    disks: [
      {
        initializeParams: { diskSizeGb: '10', sourceImage: 'projects/debian-cloud/global/images/family/debian-11' },
        autoDelete: true,
        boot: true,
        type: 'PERSISTENT',
      },
    ],
    machineType: `zones/${zone}/machineTypes/n1-standard-1`,
    networkInterfaces: [{ name: 'global/networks/default' }],
    ...extra,
  };
}

async function getInstance(name: string, zone = ZONE): Promise<IInstance> {
  const [i] = await instances.get({ project: PROJECT, zone, instance: name });
  return i;
}

/**
 * A metadata server call as the instance at `remoteAddress` (its internal IP). On the twin a VM calls
 * from its own namespace, which the host cannot bind to, so this calls the emulator's handler with the
 * caller's address, as its HTTP front does with the socket's remote address, and the same ETag.
 */
async function metadata(method: string, path: string, remoteAddress: string, body?: string) {
  const url = new URL(path, 'http://metadata.google.internal');
  const answer = await handleMetadataRequest(emulator.cloud, {
    method,
    path: url.pathname,
    query: url.searchParams,
    flavor: 'Google',
    remoteAddress,
    body: body ?? '',
  });
  return { status: answer.status, body: answer.body, etag: etagOf(answer) };
}

async function rawGet(path: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${emulator.url}/compute/v1${path}`);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const ipOf = (i: IInstance) => String(i.networkInterfaces?.[0]?.networkIP);

describe('hostname and deletion protection (custom-hostname-instance/, preventing-accidental-vm-deletion/)', () => {
  it('keeps a custom hostname and reports it from the API and the metadata server', async () => {
    await expectDone(
      instances.insert({
        project: PROJECT,
        zone: ZONE,
        instanceResource: sampleInstance('named', ZONE, { hostname: 'host.example.com' }),
      }),
    );
    const i = await getInstance('named');
    expect(i.hostname).toBe('host.example.com');
    expect(await metadata('GET', '/instance/hostname', ipOf(i))).toMatchObject({
      status: 200,
      body: 'host.example.com',
    });
    await expectGceError(
      instances.insert({
        project: PROJECT,
        zone: ZONE,
        instanceResource: sampleInstance('badhost', ZONE, { hostname: 'nodots' }),
      }),
      400,
      'invalid',
    );
  });

  it('refuses to delete a protected instance with GCE error, and deletes it once unprotected', async () => {
    await expectDone(
      instances.insert({
        project: PROJECT,
        zone: ZONE,
        instanceResource: sampleInstance('protected', ZONE, { deletionProtection: true }),
      }),
    );
    expect((await getInstance('protected')).deletionProtection).toBe(true);
    await expectGceError(
      instances.delete({ project: PROJECT, zone: ZONE, instance: 'protected' }),
      400,
      'invalidResourceUsage',
      "Invalid resource usage: 'Resource cannot be deleted if it's protected against deletion.'.",
    );
    expect((await getInstance('protected')).status).toBe('RUNNING');
    // setDeleteProtection.js: the flag travels as a query parameter.
    await expectDone(
      instances.setDeletionProtection({
        project: PROJECT,
        zone: ZONE,
        resource: 'protected',
        deletionProtection: false,
      }),
    );
    expect((await getInstance('protected')).deletionProtection).toBe(false);
    await expectDone(instances.setDeletionProtection({ project: PROJECT, zone: ZONE, resource: 'protected' }));
    expect((await getInstance('protected')).deletionProtection).toBe(true);
    await expectDone(
      instances.setDeletionProtection({
        project: PROJECT,
        zone: ZONE,
        resource: 'protected',
        deletionProtection: false,
      }),
    );
    await expectDone(instances.delete({ project: PROJECT, zone: ZONE, instance: 'protected' }));
    await expectGceError(instances.get({ project: PROJECT, zone: ZONE, instance: 'protected' }), 404, 'notFound');
  });
});

describe('instance statuses', () => {
  /** Samples the instance's status every few ms until `until` resolves. */
  async function statusesDuring(name: string, until: Promise<unknown>): Promise<string[]> {
    const seen: string[] = [];
    let done = false;
    void until.finally(() => (done = true));
    while (!done) {
      const status = emulator.cloud.peekProject(PROJECT)?.instances[`${ZONE}/${name}`]?.status ?? 'GONE';
      if (seen.at(-1) !== status) seen.push(status);
      await new Promise((r) => setTimeout(r, 3));
    }
    const status = emulator.cloud.peekProject(PROJECT)?.instances[`${ZONE}/${name}`]?.status ?? 'GONE';
    if (seen.at(-1) !== status) seen.push(status);
    return seen;
  }

  it('goes PENDING -> PROVISIONING -> STAGING -> RUNNING on insert, and STOPPING -> DEPROVISIONING -> TERMINATED on stop', async () => {
    const insert = expectDone(
      instances.insert({ project: PROJECT, zone: ZONE, instanceResource: sampleInstance('phases') }),
    );
    // Sampling starts before the call reaches the emulator: what was seen from its first status on.
    const from = (seen: string[], first: string) => seen.slice(seen.indexOf(first));
    expect(from(await statusesDuring('phases', insert), 'PENDING')).toEqual([
      'PENDING',
      'PROVISIONING',
      'STAGING',
      'RUNNING',
    ]);
    const stop = expectDone(instances.stop({ project: PROJECT, zone: ZONE, instance: 'phases' }));
    expect(from(await statusesDuring('phases', stop), 'STOPPING')).toEqual([
      'STOPPING',
      'DEPROVISIONING',
      'TERMINATED',
    ]);
    await expectDone(instances.start({ project: PROJECT, zone: ZONE, instance: 'phases' }));
    const del = expectDone(instances.delete({ project: PROJECT, zone: ZONE, instance: 'phases' }));
    expect(from(await statusesDuring('phases', del), 'STOPPING')).toEqual(['STOPPING', 'DEPROVISIONING', 'GONE']);
  });

  it('refuses start while the instance is DEPROVISIONING', async () => {
    await expectDone(instances.insert({ project: PROJECT, zone: ZONE, instanceResource: sampleInstance('deprov') }));
    const [stop] = await instances.stop({ project: PROJECT, zone: ZONE, instance: 'deprov' });
    for (let n = 0; n < 200 && (await getInstance('deprov')).status !== 'DEPROVISIONING'; n++)
      await new Promise((r) => setTimeout(r, 5));
    expect((await getInstance('deprov')).status).toBe('DEPROVISIONING');
    await expectGceError(
      instances.start({ project: PROJECT, zone: ZONE, instance: 'deprov' }),
      400,
      'resourceNotReady',
    );
    await waitDone(stop);
    expect((await getInstance('deprov')).status).toBe('TERMINATED');
  });
});

describe('setDiskAutoDelete, setMachineType, setMachineResources', () => {
  it('sets a disk auto-delete by device name (disks/setDiskAutodelete.js); an unknown device is 400', async () => {
    await expectDone(instances.insert({ project: PROJECT, zone: ZONE, instanceResource: sampleInstance('autodel') }));
    const before = await getInstance('autodel');
    const deviceName = String(before.disks?.[0]?.deviceName);
    expect(before.disks?.[0]?.autoDelete).toBe(true);
    await expectDone(
      instances.setDiskAutoDelete({ project: PROJECT, zone: ZONE, instance: 'autodel', deviceName, autoDelete: false }),
    );
    expect((await getInstance('autodel')).disks?.[0]?.autoDelete).toBe(false);
    await expectGceError(
      instances.setDiskAutoDelete({
        project: PROJECT,
        zone: ZONE,
        instance: 'autodel',
        deviceName: 'nope',
        autoDelete: true,
      }),
      400,
      'invalid',
    );
    // The boot disk now survives the instance.
    await expectDone(instances.delete({ project: PROJECT, zone: ZONE, instance: 'autodel' }));
    expect(
      (await rawGet(`/projects/${PROJECT}/zones/${ZONE}/disks/${last(String(before.disks?.[0]?.source))}`)).status,
    ).toBe(200);
  });

  it('changes the machine type only on a TERMINATED instance (custom-machine-type/updateMemory.js)', async () => {
    await expectDone(instances.insert({ project: PROJECT, zone: ZONE, instanceResource: sampleInstance('resize') }));
    const request = {
      project: PROJECT,
      zone: ZONE,
      instance: 'resize',
      instancesSetMachineTypeRequestResource: { machineType: `zones/${ZONE}/machineTypes/n1-standard-2` },
    };
    await expectGceError(instances.setMachineType(request), 400, 'resourceNotReady');
    await expectDone(instances.stop({ project: PROJECT, zone: ZONE, instance: 'resize' }));
    await expectDone(instances.setMachineType(request));
    expect(last(String((await getInstance('resize')).machineType))).toBe('n1-standard-2');
  });

  it('sets guest accelerators only on a TERMINATED instance (setMachineResources)', async () => {
    const guestAccelerators = [
      { acceleratorType: `zones/${ZONE}/acceleratorTypes/nvidia-tesla-t4`, acceleratorCount: 1 },
    ];
    await expectDone(instances.insert({ project: PROJECT, zone: ZONE, instanceResource: sampleInstance('gpu') }));
    const request = {
      project: PROJECT,
      zone: ZONE,
      instance: 'gpu',
      instancesSetMachineResourcesRequestResource: { guestAccelerators },
    };
    await expectGceError(instances.setMachineResources(request), 400, 'resourceNotReady');
    await expectDone(instances.stop({ project: PROJECT, zone: ZONE, instance: 'gpu' }));
    await expectDone(instances.setMachineResources(request));
    const [accel] = (await getInstance('gpu')).guestAccelerators ?? [];
    expect(last(String(accel?.acceleratorType))).toBe('nvidia-tesla-t4');
    expect(accel?.acceleratorCount).toBe(1);
  });
});

describe('firewalls.patch (firewall/patchFirewallPriority.js)', () => {
  it('changes only the fields given', async () => {
    // createFirewallRule.js, then patchFirewallPriority.js with a bare Firewall carrying the priority.
    const rule = new protos.google.cloud.compute.v1.Firewall();
    rule.name = 'web-in';
    rule.direction = 'INGRESS';
    rule.allowed = [{ IPProtocol: 'tcp', ports: ['80', '443'] }];
    rule.targetTags = ['web'];
    rule.network = 'global/networks/default';
    rule.description = 'Allowing TCP traffic on port 80 and 443 from Internet.';
    await expectDone(firewalls.insert({ project: PROJECT, firewallResource: rule }));
    const patch = new protos.google.cloud.compute.v1.Firewall();
    patch.priority = 10;
    await expectDone(firewalls.patch({ project: PROJECT, firewall: 'web-in', firewallResource: patch }));
    const [after] = await firewalls.get({ project: PROJECT, firewall: 'web-in' });
    expect(after.priority).toBe(10);
    expect(after.targetTags).toEqual(['web']);
    expect(after.allowed?.map((a) => ({ IPProtocol: a.IPProtocol, ports: a.ports }))).toEqual([
      { IPProtocol: 'tcp', ports: ['80', '443'] },
    ]);
    expect(after.description).toBe('Allowing TCP traffic on port 80 and 443 from Internet.');
    await expectGceError(
      firewalls.patch({ project: PROJECT, firewall: 'no-such-rule', firewallResource: patch }),
      404,
      'notFound',
    );
  });
});

describe('requestId', () => {
  const NOT_UUID =
    "Invalid value for field 'requestId': 'retry-1'. The request id must be a valid UUID with the exception that zero UUID is not supported (00000000-0000-0000-0000-000000000000).";

  it('must be a UUID, not the nil one', async () => {
    await expectGceError(
      instances.stop({ project: PROJECT, zone: ZONE, instance: 'named', requestId: 'retry-1' }),
      400,
      'invalid',
      NOT_UUID,
    );
    await expectGceError(
      instances.stop({
        project: PROJECT,
        zone: ZONE,
        instance: 'named',
        requestId: '00000000-0000-0000-0000-000000000000',
      }),
      400,
      'invalid',
    );
    expect((await getInstance('named')).status).toBe('RUNNING');
  });

  it('returns the first operation to a retry of the same call, and refuses it for another call', async () => {
    const requestId = '5f0c3c2e-8d7a-4f43-9c1e-2b7d9d0a1e11';
    const insert = { project: PROJECT, zone: ZONE, instanceResource: sampleInstance('idem'), requestId };
    const [first] = await instances.insert(insert);
    const [retry] = await instances.insert(insert);
    expect((retry.latestResponse as IOperation).name).toBe((first.latestResponse as IOperation).name);
    await waitDone(first);
    // Retried after it finished: still the same operation, and still one instance.
    const [late] = await instances.insert(insert);
    expect((late.latestResponse as IOperation).name).toBe((first.latestResponse as IOperation).name);
    // The same id for another call (another method, another instance, or another body) is refused.
    await expectGceError(instances.stop({ project: PROJECT, zone: ZONE, instance: 'idem', requestId }), 400, 'invalid');
    await expectGceError(
      instances.insert({ project: PROJECT, zone: ZONE, instanceResource: sampleInstance('idem-other'), requestId }),
      400,
      'invalid',
    );
    await expectGceError(instances.get({ project: PROJECT, zone: ZONE, instance: 'idem-other' }), 404, 'notFound');
    expect((await getInstance('idem')).status).toBe('RUNNING');
  });
});

describe('project metadata, guest attributes and wait_for_change', () => {
  it('projects.get carries commonInstanceMetadata; setCommonInstanceMetadata checks the fingerprint; the metadata server serves it', async () => {
    const [before] = await projects.get({ project: PROJECT });
    expect(before.name).toBe(PROJECT);
    expect(before.commonInstanceMetadata?.items ?? []).toEqual([]);
    const fingerprint = String(before.commonInstanceMetadata?.fingerprint);
    expect(fingerprint).not.toBe('');
    const items = [
      { key: 'ssh-keys', value: 'alice:ssh-ed25519 AAAAC3Nza alice' },
      { key: 'block-project-ssh-keys', value: 'FALSE' },
    ];
    await expectDone(
      projects.setCommonInstanceMetadata({ project: PROJECT, metadataResource: { fingerprint, items } }),
    );
    const [after] = await projects.get({ project: PROJECT });
    expect(after.commonInstanceMetadata?.items?.map(({ key, value }) => ({ key, value }))).toEqual(items);
    expect(after.commonInstanceMetadata?.fingerprint).not.toBe(fingerprint);
    await expectGceError(
      projects.setCommonInstanceMetadata({ project: PROJECT, metadataResource: { fingerprint, items: [] } }),
      412,
      'conditionNotMet',
    );

    const ip = ipOf(await getInstance('named'));
    expect(await metadata('GET', '/project/attributes/', ip)).toMatchObject({
      status: 200,
      body: 'ssh-keys\nblock-project-ssh-keys\n',
    });
    expect(JSON.parse((await metadata('GET', '/project/attributes/?alt=json', ip)).body)).toEqual({
      'ssh-keys': 'alice:ssh-ed25519 AAAAC3Nza alice',
      'block-project-ssh-keys': 'FALSE',
    });
    expect(await metadata('GET', '/project/attributes/ssh-keys', ip)).toMatchObject({
      status: 200,
      body: 'alice:ssh-ed25519 AAAAC3Nza alice',
    });
    expect((await metadata('GET', '/project/attributes/nope', ip)).status).toBe(404);
  });

  it('takes guest attributes from the guest only where enabled, and getGuestAttributes answers them', async () => {
    const i = await getInstance('named');
    const ip = ipOf(i);
    expect(
      await metadata('PUT', '/instance/guest-attributes/hostkeys/ssh-ed25519', ip, 'ssh-ed25519 AAAAHOST'),
    ).toMatchObject({
      status: 403,
      body: 'Guest attributes endpoint access is disabled.\n',
    });
    await expectGceError(
      instances.getGuestAttributes({ project: PROJECT, zone: ZONE, instance: 'named', queryPath: 'hostkeys/' }),
      404,
      'notFound',
    );

    // Enabled on the project; an instance's own FALSE would win over it.
    const [p] = await projects.get({ project: PROJECT });
    const items = [...(p.commonInstanceMetadata?.items ?? []), { key: 'enable-guest-attributes', value: 'TRUE' }];
    await expectDone(
      projects.setCommonInstanceMetadata({
        project: PROJECT,
        metadataResource: { fingerprint: p.commonInstanceMetadata?.fingerprint, items },
      }),
    );
    expect(
      (await metadata('PUT', '/instance/guest-attributes/hostkeys/ssh-ed25519', ip, 'ssh-ed25519 AAAAHOST')).status,
    ).toBe(200);
    expect(
      (
        await metadata(
          'PUT',
          '/instance/guest-attributes/hostkeys/ecdsa-sha2-nistp256',
          ip,
          'ecdsa-sha2-nistp256 AAAAE',
        )
      ).status,
    ).toBe(200);
    expect(await metadata('GET', '/instance/guest-attributes/hostkeys/ssh-ed25519', ip)).toMatchObject({
      status: 200,
      body: 'ssh-ed25519 AAAAHOST',
    });

    const [attrs] = await instances.getGuestAttributes({
      project: PROJECT,
      zone: ZONE,
      instance: 'named',
      queryPath: 'hostkeys/',
    });
    expect(attrs.queryPath).toBe('hostkeys/');
    expect(attrs.queryValue?.items?.map(({ namespace, key, value }) => ({ namespace, key, value }))).toEqual([
      { namespace: 'hostkeys', key: 'ssh-ed25519', value: 'ssh-ed25519 AAAAHOST' },
      { namespace: 'hostkeys', key: 'ecdsa-sha2-nistp256', value: 'ecdsa-sha2-nistp256 AAAAE' },
    ]);
    const [one] = await instances.getGuestAttributes({
      project: PROJECT,
      zone: ZONE,
      instance: 'named',
      variableKey: 'hostkeys/ssh-ed25519',
    });
    expect(one.variableValue).toBe('ssh-ed25519 AAAAHOST');

    // The instance's own metadata overrides the project's.
    const own = await getInstance('named');
    await expectDone(
      instances.setMetadata({
        project: PROJECT,
        zone: ZONE,
        instance: 'named',
        metadataResource: {
          fingerprint: own.metadata?.fingerprint,
          items: [{ key: 'enable-guest-attributes', value: 'FALSE' }],
        },
      }),
    );
    expect((await metadata('PUT', '/instance/guest-attributes/hostkeys/ssh-rsa', ip, 'ssh-rsa AAAAB')).status).toBe(
      403,
    );
    // Disabled: what was written is no longer served either.
    await expectGceError(
      instances.getGuestAttributes({ project: PROJECT, zone: ZONE, instance: 'named', queryPath: 'hostkeys/' }),
      404,
      'notFound',
    );
  });

  it('holds a wait_for_change GET until the value changes, and answers the same value at timeout_sec', async () => {
    const i = await getInstance('named');
    const ip = ipOf(i);
    const now = await metadata('GET', '/instance/attributes/enable-guest-attributes', ip);
    expect(now).toMatchObject({ status: 200, body: 'FALSE' });
    expect(now.etag).not.toBe('');

    const started = Date.now();
    const unchanged = await metadata(
      'GET',
      `/instance/attributes/enable-guest-attributes?wait_for_change=true&last_etag=${now.etag}&timeout_sec=1`,
      ip,
    );
    expect(unchanged).toMatchObject({ status: 200, body: 'FALSE', etag: now.etag });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    // A stale last_etag answers at once.
    expect(
      await metadata('GET', '/instance/attributes/enable-guest-attributes?wait_for_change=true&last_etag=0000', ip),
    ).toMatchObject({ body: 'FALSE' });

    const held = metadata(
      'GET',
      `/instance/attributes/?alt=json&wait_for_change=true&last_etag=${(await metadata('GET', '/instance/attributes/?alt=json', ip)).etag}`,
      ip,
    );
    await new Promise((r) => setTimeout(r, 100));
    await expectDone(
      instances.setMetadata({
        project: PROJECT,
        zone: ZONE,
        instance: 'named',
        metadataResource: {
          fingerprint: i.metadata?.fingerprint,
          items: [{ key: 'enable-guest-attributes', value: 'TRUE' }],
        },
      }),
    );
    const changed = await held;
    expect(JSON.parse(changed.body)).toEqual({ 'enable-guest-attributes': 'TRUE' });
  });
});

describe('zone API down (sandbox chaos) and returnPartialSuccess', () => {
  async function chaos(zone: string, action: 'api-down' | 'api-up') {
    const res = await fetch(`${emulator.url}/sandbox/v1/chaos/zones/${zone}/${action}`, { method: 'POST' });
    expect(res.status).toBe(200);
    return (await res.json()) as { zonesApiDown: string[] };
  }

  it('fails zonal calls with 503, fails aggregatedList unless returnPartialSuccess, which reports the zone unreachable', async () => {
    await expectDone(
      instances.insert({
        project: PROJECT,
        zone: OTHER_ZONE,
        instanceResource: sampleInstance('elsewhere', OTHER_ZONE),
      }),
    );
    expect(await chaos(ZONE, 'api-down')).toEqual({ zonesApiDown: [ZONE] });
    try {
      await expectGceError(instances.get({ project: PROJECT, zone: ZONE, instance: 'named' }), 503, 'backendError');
      await expectGceError(instances.list({ project: PROJECT, zone: ZONE }), 503, 'backendError');
      // Other zones answer.
      expect((await getInstance('elsewhere', OTHER_ZONE)).status).toBe('RUNNING');

      const all = async (returnPartialSuccess?: boolean) => {
        const out: Array<[string, protos.google.cloud.compute.v1.IInstancesScopedList]> = [];
        for await (const entry of instances.aggregatedListAsync({
          project: PROJECT,
          ...(returnPartialSuccess ? { returnPartialSuccess } : {}),
        }))
          out.push(entry);
        return out;
      };
      await expectGceError(all(), 503, 'backendError');
      const partial = await all(true);
      const down = partial.find(([scope]) => scope === `zones/${ZONE}`)?.[1];
      expect(down?.instances ?? []).toEqual([]);
      expect(down?.warning?.code).toBe('UNREACHABLE');
      expect(down?.warning?.data?.map(({ key, value }) => ({ key, value }))).toEqual([
        { key: 'scope', value: `zones/${ZONE}` },
      ]);
      expect(partial.find(([scope]) => scope === `zones/${OTHER_ZONE}`)?.[1].instances?.map((i) => i.name)).toEqual([
        'elsewhere',
      ]);
      const raw = await rawGet(`/projects/${PROJECT}/aggregated/instances?returnPartialSuccess=true`);
      expect(raw.json.unreachables).toEqual([`zones/${ZONE}`]);
      // Regional aggregated lists have no zonal scope to lose.
      expect((await rawGet(`/projects/${PROJECT}/aggregated/addresses`)).status).toBe(200);
      expect((await rawGet(`/projects/${PROJECT}/aggregated/disks`)).status).toBe(503);
    } finally {
      expect(await chaos(ZONE, 'api-up')).toEqual({ zonesApiDown: [] });
    }
    expect((await getInstance('named')).status).toBe('RUNNING');
    const raw = await rawGet(`/projects/${PROJECT}/aggregated/instances?returnPartialSuccess=true`);
    expect(raw.json.unreachables).toBeUndefined();
  });
});
