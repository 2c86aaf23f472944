// The Compute port's mutating calls against the sandbox emulator, on throwaway resources in us-central1
// (names `qmut-<random>`), each removed again at the end: disk, address, instance with a data disk and a
// chosen internal IP, access-config moves, metadata, target pool, forwarding rule, firewall, and the
// error codes the ensure-steps branch on (AlreadyExists, NotFound, InvalidArgument, Conflict).
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { isProviderError, type ProviderErrorCode } from '@/lib/ports/provider-error';
import { twinEphemeralExternalPool, twinRegionSubnet } from '@/sandbox/compute/ip-plan';
import { PROJECT, testContainer } from './support';

const c = testContainer();
const compute = c.compute;
const REGION = 'us-central1';
const ZONE = 'us-central1-f';
const tag = `qmut-${randomBytes(3).toString('hex')}`;
const names = {
  disk: `${tag}-pd`,
  address: `${tag}-ip`,
  instance: tag,
  other: `${tag}-b`,
  pool: tag,
  rule: tag,
  firewall: `${tag}-etcd`,
};

async function codeOf(work: Promise<unknown>): Promise<ProviderErrorCode | 'resolved'> {
  try {
    await work;
    return 'resolved';
  } catch (e) {
    if (isProviderError(e)) return e.code;
    throw e;
  }
}

/** Best effort: whatever a failed assertion left behind goes, in dependency order. */
async function cleanUp(): Promise<void> {
  const quietly = (work: Promise<unknown>) => work.catch(() => undefined);
  await quietly(compute.deleteForwardingRule(PROJECT, REGION, names.rule));
  await quietly(compute.deleteTargetPool(PROJECT, REGION, names.pool));
  await Promise.all([
    quietly(compute.deleteInstance(PROJECT, ZONE, names.instance)),
    quietly(compute.deleteInstance(PROJECT, ZONE, names.other)),
    quietly(compute.deleteFirewall(PROJECT, names.firewall)),
  ]);
  await Promise.all([
    quietly(compute.deleteDisk(PROJECT, ZONE, names.disk)),
    quietly(compute.deleteAddress(PROJECT, REGION, names.address)),
  ]);
}

afterAll(async () => {
  await cleanUp();
  await c.close();
});

describe('Compute mutations against the sandbox', () => {
  it('creates, changes and deletes a replica-shaped set of resources, with typed errors', async () => {
    // Subnet range and a free internal IP, as the add step picks it before the certificates.
    const range = await compute.getSubnetworkRange(PROJECT, REGION);
    // us-central1 is region 2 of the twin's plan: the second /25 of the net's block.
    expect(range).toBe(twinRegionSubnet(inject('sandboxNet'), 2).cidr);
    const ip = await compute.freeInternalIp(PROJECT, REGION);
    const used = (await compute.listAllInstances(PROJECT)).map((i) => i.internalIp);
    expect(used).not.toContain(ip);
    expect(twinRegionSubnet(inject('sandboxNet'), 2).hosts).toContain(ip);

    // Disk.
    expect(await compute.getDisk(PROJECT, ZONE, names.disk)).toBeNull();
    await compute.insertDisk(PROJECT, ZONE, { name: names.disk, sizeGb: 10, type: 'pd-ssd' });
    expect(await compute.getDisk(PROJECT, ZONE, names.disk)).toMatchObject({
      name: names.disk,
      zone: ZONE,
      sizeGb: 10,
      type: 'pd-ssd',
      users: [],
    });
    expect(await codeOf(compute.insertDisk(PROJECT, ZONE, { name: names.disk, sizeGb: 10, type: 'pd-ssd' }))).toBe(
      'AlreadyExists',
    );

    // Static address.
    const address = await compute.insertAddress(PROJECT, REGION, names.address);
    expect(address).toMatchObject({ name: names.address, status: 'RESERVED', users: [] });
    expect(await codeOf(compute.insertAddress(PROJECT, REGION, names.address))).toBe('AlreadyExists');

    // Instance: chosen internal IP, the data disk as master-pd, the static address as its external IP.
    await compute.insertInstance({
      project: PROJECT,
      zone: ZONE,
      name: names.instance,
      machineType: 'n1-standard-1',
      networkIP: ip,
      tags: [tag],
      metadata: [{ key: 'purpose', value: 'quorum integration test' }],
      dataDisk: names.disk,
      externalIp: { natIP: address.address },
    });
    const created = await compute.getInstance(PROJECT, ZONE, names.instance);
    expect(created).toMatchObject({
      name: names.instance,
      zone: ZONE,
      internalIp: ip,
      externalIp: address.address,
      tags: [tag],
      accessConfigName: 'external-nat',
      metadata: { purpose: 'quorum integration test' },
    });
    expect(created?.diskNames).toContain(names.disk);
    expect((await compute.getDisk(PROJECT, ZONE, names.disk))?.users).toEqual([names.instance]);
    expect((await compute.getAddress(PROJECT, REGION, names.address))?.status).toBe('IN_USE');

    // Same name -> AlreadyExists; same internal IP -> InvalidArgument; missing disk -> NotFound.
    const base = {
      project: PROJECT,
      zone: ZONE,
      machineType: 'n1-standard-1',
      tags: [],
      metadata: [],
      externalIp: 'none' as const,
    };
    expect(await codeOf(compute.insertInstance({ ...base, name: names.instance }))).toBe('AlreadyExists');
    expect(await codeOf(compute.insertInstance({ ...base, name: names.other, networkIP: ip }))).toBe('InvalidArgument');
    expect(await codeOf(compute.insertInstance({ ...base, name: names.other, dataDisk: `${tag}-nope` }))).toBe(
      'NotFound',
    );
    expect(await compute.getInstance(PROJECT, ZONE, names.other)).toBeNull();

    // Metadata: with the current fingerprint it replaces everything; a stale one is refused.
    const fingerprint = created?.metadataFingerprint ?? '';
    await compute.setInstanceMetadata(
      PROJECT,
      ZONE,
      names.instance,
      [{ key: 'purpose', value: 'changed' }],
      fingerprint,
    );
    expect((await compute.getInstance(PROJECT, ZONE, names.instance))?.metadata).toEqual({ purpose: 'changed' });
    expect(await codeOf(compute.setInstanceMetadata(PROJECT, ZONE, names.instance, [], fingerprint))).toBe('Conflict');

    // The add step's LB preparation: move the instance to an ephemeral IP, which frees the static address.
    await compute.deleteAccessConfig(PROJECT, ZONE, names.instance, 'external-nat');
    expect((await compute.getInstance(PROJECT, ZONE, names.instance))?.externalIp).toBeNull();
    await compute.addAccessConfig(PROJECT, ZONE, names.instance, null);
    const moved = await compute.getInstance(PROJECT, ZONE, names.instance);
    expect(twinEphemeralExternalPool(inject('sandboxNet'))).toContain(moved?.externalIp);
    expect(moved?.externalIp).not.toBe(address.address);
    expect((await compute.getAddress(PROJECT, REGION, names.address))?.status).toBe('RESERVED');
    expect(await codeOf(compute.deleteAccessConfig(PROJECT, ZONE, names.instance, 'no-such-config'))).toBe(
      'InvalidArgument',
    );

    // Target pool with the instance, forwarding rule on the static address.
    await compute.insertTargetPool(PROJECT, REGION, {
      name: names.pool,
      instances: [{ zone: ZONE, name: names.instance }],
    });
    expect(await compute.getTargetPool(PROJECT, REGION, names.pool)).toEqual({
      name: names.pool,
      instances: [names.instance],
    });
    expect(await codeOf(compute.insertTargetPool(PROJECT, REGION, { name: names.pool, instances: [] }))).toBe(
      'AlreadyExists',
    );
    await compute.removeTargetPoolInstance(PROJECT, REGION, names.pool, { zone: ZONE, name: names.instance });
    expect((await compute.getTargetPool(PROJECT, REGION, names.pool))?.instances).toEqual([]);
    await compute.addTargetPoolInstance(PROJECT, REGION, names.pool, { zone: ZONE, name: names.instance });
    expect((await compute.getTargetPool(PROJECT, REGION, names.pool))?.instances).toEqual([names.instance]);
    expect(
      await codeOf(compute.addTargetPoolInstance(PROJECT, REGION, names.pool, { zone: ZONE, name: `${tag}-ghost` })),
    ).toBe('NotFound');

    await compute.insertForwardingRule(PROJECT, REGION, {
      name: names.rule,
      ipAddress: address.address,
      portRange: '443',
      target: names.pool,
    });
    expect(await compute.getForwardingRule(PROJECT, REGION, names.rule)).toMatchObject({
      name: names.rule,
      ipAddress: address.address,
      target: names.pool,
    });
    expect((await compute.getAddress(PROJECT, REGION, names.address))?.users).toEqual([names.rule]);
    // A pool that a rule points at cannot go first.
    expect(await codeOf(compute.deleteTargetPool(PROJECT, REGION, names.pool))).toBe('InvalidArgument');

    // Firewall.
    expect(await compute.getFirewall(PROJECT, names.firewall)).toBeNull();
    await compute.insertFirewall(PROJECT, {
      name: names.firewall,
      sourceRanges: [],
      sourceTags: [tag],
      targetTags: [tag],
      allowed: [{ protocol: 'tcp', ports: ['2380', '2381'] }],
    });
    expect(await compute.getFirewall(PROJECT, names.firewall)).toEqual({
      name: names.firewall,
      network: 'default',
      sourceRanges: [],
      sourceTags: [tag],
      targetTags: [tag],
      allowed: [{ protocol: 'tcp', ports: ['2380', '2381'] }],
    });
    expect(
      await codeOf(
        compute.insertFirewall(PROJECT, {
          name: names.firewall,
          sourceRanges: ['0.0.0.0/0'],
          sourceTags: [],
          targetTags: [],
          allowed: [{ protocol: 'tcp', ports: ['443'] }],
        }),
      ),
    ).toBe('AlreadyExists');

    // Teardown in the remove step's order, each delete observable; deleting twice is NotFound.
    await compute.deleteForwardingRule(PROJECT, REGION, names.rule);
    expect(await compute.getForwardingRule(PROJECT, REGION, names.rule)).toBeNull();
    await compute.deleteTargetPool(PROJECT, REGION, names.pool);
    expect(await compute.getTargetPool(PROJECT, REGION, names.pool)).toBeNull();
    await compute.deleteInstance(PROJECT, ZONE, names.instance);
    expect(await compute.getInstance(PROJECT, ZONE, names.instance)).toBeNull();
    expect(await codeOf(compute.deleteInstance(PROJECT, ZONE, names.instance))).toBe('NotFound');
    // The data disk outlives the instance (autoDelete false), as kube-up's master-pd does.
    expect((await compute.getDisk(PROJECT, ZONE, names.disk))?.users).toEqual([]);
    await compute.deleteDisk(PROJECT, ZONE, names.disk);
    expect(await compute.getDisk(PROJECT, ZONE, names.disk)).toBeNull();
    expect(await codeOf(compute.deleteDisk(PROJECT, ZONE, names.disk))).toBe('NotFound');
    await compute.deleteAddress(PROJECT, REGION, names.address);
    expect(await compute.getAddress(PROJECT, REGION, names.address)).toBeNull();
    await compute.deleteFirewall(PROJECT, names.firewall);
    expect(await compute.getFirewall(PROJECT, names.firewall)).toBeNull();
    expect(await codeOf(compute.deleteFirewall(PROJECT, names.firewall))).toBe('NotFound');
  });

  it('maps a request Compute finds invalid to InvalidArgument', async () => {
    const outside = '10.255.255.9';
    expect(
      await codeOf(
        compute.insertInstance({
          project: PROJECT,
          zone: ZONE,
          name: `${tag}-bad`,
          machineType: 'n1-standard-1',
          networkIP: outside,
          tags: [],
          metadata: [],
          externalIp: 'none',
        }),
      ),
    ).toBe('InvalidArgument');
    expect(
      await codeOf(compute.insertDisk(PROJECT, ZONE, { name: 'Not_A_Valid_Name', sizeGb: 10, type: 'pd-ssd' })),
    ).toBe('InvalidArgument');
    // As on GCE, a region that does not exist is an invalid field value, not a missing resource.
    expect(await codeOf(compute.getSubnetworkRange(PROJECT, 'mars-north1'))).toBe('InvalidArgument');
  });
});
