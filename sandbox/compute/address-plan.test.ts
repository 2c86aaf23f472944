// The emulator's auto-mode address plan (emulators with a stand-in VM host only, e.g. bench:fleet's): what Compute
// reports and allocates follows Compute Engine's auto-mode network, and the default stays the twin's plan.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdleVmHost } from '@/tests/support/idle-vm-host';
import { startEmulator, type Emulator } from './emulator';
import { twinRegionSubnet } from './ip-plan';

const PROJECT = 'plan-project';
const dirs: string[] = [];
let auto: Emulator;
let twin: Emulator;

async function emulator(addressPlan?: 'twin' | 'auto-mode', persistState?: boolean): Promise<Emulator> {
  const dataDir = mkdtempSync(join(tmpdir(), 'quorum-address-plan-'));
  dirs.push(dataDir);
  return startEmulator({
    dataDir,
    port: 0,
    net: 61,
    opDelayMs: 0,
    bootDelayMs: 0,
    lbDelayMs: 0,
    vmHost: new IdleVmHost(),
    log: () => {},
    ...(addressPlan ? { addressPlan } : {}),
    ...(persistState === undefined ? {} : { persistState }),
  });
}

async function call(
  em: Emulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${em.url}/compute/v1/projects/${PROJECT}/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

function instance(name: string, networkIP?: string) {
  return {
    name,
    machineType: 'zones/europe-west1-b/machineTypes/n1-standard-1',
    disks: [
      {
        boot: true,
        autoDelete: true,
        initializeParams: { sourceImage: 'projects/cos-cloud/global/images/family/cos-stable' },
      },
    ],
    networkInterfaces: [{ network: 'global/networks/default', ...(networkIP ? { networkIP } : {}) }],
  };
}

beforeAll(async () => {
  auto = await emulator('auto-mode');
  twin = await emulator();
});

afterAll(async () => {
  await auto.close();
  await twin.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the emulator's address plan and persistence options", () => {
  it("auto-mode: an auto-mode default network with a /20 per region at Google's ranges", async () => {
    const network = await call(auto, 'GET', 'global/networks/default');
    expect(network.json.autoCreateSubnetworks).toBe(true);
    const eu = await call(auto, 'GET', 'regions/europe-west1/subnetworks/default');
    const us = await call(auto, 'GET', 'regions/us-central1/subnetworks/default');
    expect([eu.json.ipCidrRange, eu.json.gatewayAddress, us.json.ipCidrRange]).toEqual([
      '10.132.0.0/20',
      '10.132.0.1',
      '10.128.0.0/20',
    ]);
  });

  it("auto-mode: internal IPs from the /20 (past the twin's 124), static addresses from 203.0.113.0/24", async () => {
    const first = await call(auto, 'POST', 'zones/europe-west1-b/instances', instance('first'));
    expect(first.status).toBe(200);
    const got = await call(auto, 'GET', 'zones/europe-west1-b/instances/first');
    expect((got.json.networkInterfaces as Array<{ networkIP: string }>)[0]?.networkIP).toBe('10.132.0.2');
    expect((await call(auto, 'POST', 'zones/europe-west1-b/instances', instance('high', '10.132.12.200'))).status).toBe(
      200,
    );
    const outside = await call(auto, 'POST', 'zones/europe-west1-b/instances', instance('outside', '10.132.15.254'));
    expect(outside.status).toBe(400);
    expect(JSON.stringify(outside.json)).toContain('10.132.0.0/20 (hosts 10.132.0.2-10.132.15.253)');
    expect((await call(auto, 'POST', 'regions/europe-west1/addresses', { name: 'lb-ip' })).status).toBe(200);
    expect((await call(auto, 'GET', 'regions/europe-west1/addresses/lb-ip')).json.address).toBe('203.0.113.1');
  });

  it("refuses auto-mode beside the twin's network", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'quorum-address-plan-'));
    dirs.push(dataDir);
    await expect(
      startEmulator({
        dataDir,
        port: 0,
        net: 61,
        opDelayMs: 0,
        bootDelayMs: 0,
        lbDelayMs: 0,
        vmHost: new IdleVmHost(),
        log: () => {},
        addressPlan: 'auto-mode',
        metadataListen: { host: '127.0.0.1', port: 0 },
      }),
    ).rejects.toThrow(/stand-in VM host/);
  });

  it('persistState false: the same answers, no state.json', async () => {
    const memory = await emulator('auto-mode', false);
    try {
      expect((await call(memory, 'POST', 'zones/europe-west1-b/instances', instance('kept'))).status).toBe(200);
      expect((await call(memory, 'GET', 'zones/europe-west1-b/instances/kept')).json.name).toBe('kept');
      expect(existsSync(memory.cloud.statePath)).toBe(false);
      expect(existsSync(auto.cloud.statePath)).toBe(true);
    } finally {
      await memory.close();
    }
  });

  it("by default the twin's plan: a custom-mode network with the net's /25", async () => {
    expect((await call(twin, 'GET', 'global/networks/default')).json.autoCreateSubnetworks).toBe(false);
    expect((await call(twin, 'GET', 'regions/europe-west1/subnetworks/default')).json.ipCidrRange).toBe(
      twinRegionSubnet(61, 1).cidr,
    );
    expect(
      (await call(twin, 'POST', 'zones/europe-west1-b/instances', instance('twin-outside', '10.132.0.2'))).status,
    ).toBe(400);
  });
});
