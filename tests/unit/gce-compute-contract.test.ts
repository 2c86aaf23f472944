// The Compute port's contract, checked on GceCompute against the sandbox's emulator (in-process, stand-in VMs):
// what each call makes or reads back, null for what is missing, AlreadyExists / NotFound, and every failure
// the fault injection plays (sandbox/chaos/compute-faults.ts) classified the same as Google's documented
// bodies (lib/adapters/gce/gce-errors.test.ts), as an HTTP answer and as a failed Operation. A requestId the
// caller gives is sent as is: a lost answer re-sent with it is done once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GceCompute } from '@/lib/adapters/gce/gce-compute';
import type { InsertInstanceSpec } from '@/lib/ports/compute';
import { isTransientProviderError, ProviderError } from '@/lib/ports/provider-error';
import type { Emulator } from '@/sandbox/compute/emulator';
import { idleComputeEmulator } from '@/tests/support/idle-vm-host';

const PROJECT = 'contract-project';
const ZONE = 'us-central1-b';
const REGION = 'us-central1';
let emulator: Emulator;
let compute: GceCompute;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ emulator, compute, close } = await idleComputeEmulator(63, { prefix: 'quorum-gce-contract-' }));
});

afterAll(() => close());

const faults = `/sandbox/v1/chaos/compute-faults`;
afterEach(async () => {
  await fetch(`${emulator.url}${faults}`, { method: 'DELETE' });
});

async function inject(fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${emulator.url}${faults}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

const spec = (name: string, zone = ZONE): InsertInstanceSpec => ({
  project: PROJECT,
  zone,
  name,
  machineType: 'n1-standard-1',
  tags: ['t'],
  metadata: [{ key: 'k', value: 'v' }],
  externalIp: 'ephemeral',
});

async function rejection(work: Promise<unknown>): Promise<ProviderError> {
  try {
    await work;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('Compute port contract (GceCompute on the emulator)', () => {
  it('instances: insert, get, setMetadata, access configs, delete; null and NotFound for what is missing', async () => {
    expect(await compute.getInstance(PROJECT, ZONE, 'c-1')).toBeNull();
    await compute.insertInstance(spec('c-1'));
    const made = await compute.getInstance(PROJECT, ZONE, 'c-1');
    expect(made).toMatchObject({
      name: 'c-1',
      zone: ZONE,
      tags: ['t'],
      metadata: { k: 'v' },
      machineType: 'n1-standard-1',
      accessConfigName: 'external-nat',
    });
    expect((await rejection(compute.insertInstance(spec('c-1')))).code).toBe('AlreadyExists');
    await compute.setInstanceMetadata(
      PROJECT,
      ZONE,
      'c-1',
      [{ key: 'k', value: 'w' }],
      made?.metadataFingerprint ?? '',
    );
    expect((await compute.getInstance(PROJECT, ZONE, 'c-1'))?.metadata).toEqual({ k: 'w' });
    await compute.deleteAccessConfig(PROJECT, ZONE, 'c-1', 'external-nat');
    expect((await compute.getInstance(PROJECT, ZONE, 'c-1'))?.externalIp).toBeNull();
    await compute.addAccessConfig(PROJECT, ZONE, 'c-1', null);
    expect((await compute.getInstance(PROJECT, ZONE, 'c-1'))?.externalIp).not.toBeNull();
    await compute.deleteInstance(PROJECT, ZONE, 'c-1');
    expect(await compute.getInstance(PROJECT, ZONE, 'c-1')).toBeNull();
    expect((await rejection(compute.deleteInstance(PROJECT, ZONE, 'c-1'))).code).toBe('NotFound');
  });

  it('disks, addresses, target pools, forwarding rules, firewalls', async () => {
    await compute.insertDisk(PROJECT, ZONE, { name: 'c-pd', sizeGb: 10, type: 'pd-ssd' });
    expect(await compute.getDisk(PROJECT, ZONE, 'c-pd')).toMatchObject({
      name: 'c-pd',
      sizeGb: 10,
      type: 'pd-ssd',
      users: [],
    });
    const address = await compute.insertAddress(PROJECT, REGION, 'c-ip');
    expect(address.status).toBe('RESERVED');
    await compute.insertTargetPool(PROJECT, REGION, { name: 'c-pool', instances: [] });
    await compute.insertForwardingRule(PROJECT, REGION, {
      name: 'c-rule',
      ipAddress: address.address,
      portRange: '443-443',
      target: 'c-pool',
    });
    expect((await compute.getForwardingRule(PROJECT, REGION, 'c-rule'))?.ipAddress).toBe(address.address);
    await compute.insertFirewall(PROJECT, {
      name: 'c-fw',
      sourceRanges: ['0.0.0.0/0'],
      sourceTags: [],
      targetTags: ['t'],
      allowed: [{ protocol: 'tcp', ports: ['443'] }],
    });
    expect((await compute.getFirewall(PROJECT, 'c-fw'))?.targetTags).toEqual(['t']);
    await compute.deleteFirewall(PROJECT, 'c-fw');
    await compute.deleteForwardingRule(PROJECT, REGION, 'c-rule');
    await compute.deleteTargetPool(PROJECT, REGION, 'c-pool');
    await compute.deleteAddress(PROJECT, REGION, 'c-ip');
    await compute.deleteDisk(PROJECT, ZONE, 'c-pd');
    expect(await compute.getDisk(PROJECT, ZONE, 'c-pd')).toBeNull();
    expect(await compute.getAddress(PROJECT, REGION, 'c-ip')).toBeNull();
    expect(await compute.getTargetPool(PROJECT, REGION, 'c-pool')).toBeNull();
    expect(await compute.getFirewall(PROJECT, 'c-fw')).toBeNull();
  });

  it.each([
    ['rateLimited', 'http', 'RateLimited', 429],
    ['rateLimitExceeded', 'http', 'RateLimited', 403],
    ['backendError', 'http', 'ProviderUnavailable', 503],
    ['resourceNotReady', 'http', 'ResourceNotReady', 400],
    ['QUOTA_EXCEEDED', 'http', 'QuotaExceeded', 403],
    ['QUOTA_EXCEEDED', 'operation', 'QuotaExceeded', 403],
    ['ZONE_RESOURCE_POOL_EXHAUSTED', 'operation', 'ZoneExhausted', 503],
  ] as const)('an injected %s (%s) rejects with %s', async (error, as, code, httpStatus) => {
    const name = `f-${error.toLowerCase().replaceAll('_', '-').slice(0, 20)}-${as}`;
    await inject({ method: 'instances.insert', zone: ZONE, count: 1, error, as });
    // The adapter's own lost-answer retry is off when the caller gives the requestId.
    const e = await rejection(compute.insertInstance(spec(name), { requestId: crypto.randomUUID() }));
    expect({ code: e.code, httpStatus: e.httpStatus, fromOperation: e.operation !== null }).toEqual({
      code,
      httpStatus,
      fromOperation: as === 'operation',
    });
    expect(isTransientProviderError(e)).toBe(['RateLimited', 'ProviderUnavailable', 'ResourceNotReady'].includes(code));
    if (code === 'QuotaExceeded') expect(e.message).toMatch(/quota CPUS \(limit 24\) is used up in region us-central1/);
    if (code === 'ZoneExhausted') expect(e.message).toMatch(new RegExp(`zone ${ZONE} has no capacity .*another zone`));
    // Nothing was made, and the next call (no fault pending) goes through.
    expect(await compute.getInstance(PROJECT, ZONE, name)).toBeNull();
    await compute.insertInstance(spec(name));
    await compute.deleteInstance(PROJECT, ZONE, name);
  });

  it('a fault only hits its method and zone', async () => {
    await inject({ method: 'disks.insert', zone: 'us-central1-c', count: 1, error: 'backendError' });
    await compute.insertDisk(PROJECT, ZONE, { name: 'other-zone-pd', sizeGb: 10, type: 'pd-ssd' });
    await compute.insertInstance(spec('other-method'));
    const state = (await (await fetch(`${emulator.url}${faults}`)).json()) as { pending: unknown[]; fired: unknown[] };
    expect(state.pending).toHaveLength(1);
    expect(state.fired).toHaveLength(0);
    await compute.deleteInstance(PROJECT, ZONE, 'other-method');
    await compute.deleteDisk(PROJECT, ZONE, 'other-zone-pd');
  });

  it('a call whose answer was lost, sent again with the same requestId, makes one instance', async () => {
    await inject({ method: 'instances.insert', zone: ZONE, count: 1, error: 'backendError', answerLost: true });
    const requestId = crypto.randomUUID();
    expect((await rejection(compute.insertInstance(spec('lost-1'), { requestId }))).code).toBe('ProviderUnavailable');
    await compute.insertInstance(spec('lost-1'), { requestId });
    const ops = Object.values(emulator.cloud.peekProject(PROJECT)?.operations ?? {}).filter(
      (o) => o.requestId === requestId,
    );
    expect(ops).toHaveLength(1);
    expect((await compute.listInstances(PROJECT, '^lost-1$')).map((i) => i.name)).toEqual(['lost-1']);
  });

  it('a stockout Operation is answered again for its requestId (a new id is needed to try again)', async () => {
    await inject({ method: 'instances.insert', zone: ZONE, count: 1, error: 'ZONE_RESOURCE_POOL_EXHAUSTED' });
    const requestId = crypto.randomUUID();
    const first = await rejection(compute.insertInstance(spec('so-1'), { requestId }));
    const again = await rejection(compute.insertInstance(spec('so-1'), { requestId }));
    expect(again.operation).toBe(first.operation);
    await compute.insertInstance(spec('so-1'), { requestId: crypto.randomUUID() });
    expect(await compute.getInstance(PROJECT, ZONE, 'so-1')).not.toBeNull();
  });
});
