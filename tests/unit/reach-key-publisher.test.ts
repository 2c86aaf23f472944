// Quorum's SSH key published in instance metadata through the real Compute client (GceCompute on
// @google-cloud/compute) against the sandbox's Compute emulator, started in-process with VMs that do nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GceClients, GceCompute } from '@/lib/adapters/gce/gce-compute';
import { KeyPublisher } from '@/lib/adapters/reach/key-publisher';
import { parseSshKeyLine } from '@/lib/adapters/reach/ssh-keys';
import type { ComputePort, MetadataItem } from '@/lib/ports/compute';
import { ReachError, type ReachTarget } from '@/lib/ports/reach';
import { idleComputeEmulator } from '@/tests/support/idle-vm-host';

const PROJECT = 'reach-project';
const ZONE = 'europe-west1-b';
const HOUR = 3_600_000;
const KEY = { type: 'ssh-ed25519', key: 'AAAAC3NzaC1lZDI1NTE5AAAAIGn6Yt0kVxqV9d2g7lq1u2c1yFZP0Z0m1v0o3Qb8Xw1Q' };
const ALICE = 'alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7Qh7b0aXo0d3Uu6vZxW0l8j9fZc5Vb7m5Zc1f9p0Yx alice@laptop';

let clients: GceClients;
let compute: GceCompute;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ clients, compute, close } = await idleComputeEmulator(61, { prefix: 'quorum-reach-keys-' }));
});

afterAll(() => close());

let serial = 0;
async function newInstance(metadata: MetadataItem[]): Promise<ReachTarget> {
  const name = `reach-master-${++serial}`;
  await compute.insertInstance({
    project: PROJECT,
    zone: ZONE,
    name,
    machineType: 'n1-standard-1',
    tags: ['reach-master'],
    metadata,
    externalIp: 'ephemeral',
  });
  const info = await compute.getInstance(PROJECT, ZONE, name);
  if (info === null) throw new Error(`${name} vanished`);
  return {
    project: PROJECT,
    zone: ZONE,
    instance: name,
    instanceId: `id-${name}`,
    internalIp: info.internalIp,
    externalIp: info.externalIp,
  };
}

async function metadataOf(t: ReachTarget): Promise<Record<string, string>> {
  const info = await compute.getInstance(t.project, t.zone, t.instance);
  return info?.metadata ?? {};
}

function publisher(
  over: {
    compute?: Pick<ComputePort, 'getInstance' | 'setInstanceMetadata' | 'getProjectMetadata'>;
    now?: () => number;
    recheckMs?: number;
  } = {},
) {
  return new KeyPublisher({
    compute: over.compute ?? compute,
    user: 'quorum',
    key: KEY,
    ttlMs: 24 * HOUR,
    renewBeforeMs: 6 * HOUR,
    recheckMs: over.recheckMs ?? 60_000,
    ...(over.now ? { now: over.now } : {}),
  });
}

const quorumLines = (sshKeys: string | undefined) => (sshKeys ?? '').split('\n').filter((l) => l.includes(KEY.key));

describe('KeyPublisher against the Compute emulator', () => {
  it("adds Google's form of Quorum's key and keeps every other item and every other user's key", async () => {
    const t = await newInstance([
      { key: 'kube-env', value: 'KUBERNETES_MASTER_NAME: "203.0.113.9"\n' },
      { key: 'ssh-keys', value: ALICE },
      { key: 'startup-script', value: '#!/bin/sh\necho hi' },
    ]);
    const before = Date.now();
    const published = await publisher().ensure(t);
    expect(published.wrote).toBe(true);

    const md = await metadataOf(t);
    expect(md['kube-env']).toBe('KUBERNETES_MASTER_NAME: "203.0.113.9"\n');
    expect(md['startup-script']).toBe('#!/bin/sh\necho hi');
    const lines = (md['ssh-keys'] ?? '').split('\n');
    expect(lines[0]).toBe(ALICE);
    expect(lines).toHaveLength(2);
    const ours = parseSshKeyLine(lines[1] ?? '');
    expect(ours).toMatchObject({ user: 'quorum', type: KEY.type, key: KEY.key, googleForm: true });
    expect(lines[1]).toMatch(/ google-ssh \{"userName":"quorum","expireOn":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\}$/);
    const validFor = (ours?.expireOn?.getTime() ?? 0) - before;
    expect(validFor).toBeGreaterThan(23.9 * HOUR);
    expect(validFor).toBeLessThanOrEqual(24 * HOUR + 60_000);
  });

  it('adds an ssh-keys item to an instance that has none, and writes nothing while the key is fresh', async () => {
    const t = await newInstance([{ key: 'kube-env', value: 'X: "1"\n' }]);
    const p = publisher({ recheckMs: 0 });
    expect((await p.ensure(t)).wrote).toBe(true);
    const fingerprint = (await compute.getInstance(PROJECT, ZONE, t.instance))?.metadataFingerprint;
    expect(quorumLines((await metadataOf(t))['ssh-keys'])).toHaveLength(1);
    // Read again (recheckMs 0), found fresh: no write, so the fingerprint stays.
    expect((await p.ensure(t)).wrote).toBe(false);
    expect((await compute.getInstance(PROJECT, ZONE, t.instance))?.metadataFingerprint).toBe(fingerprint);
  });

  it('renews the key before it expires, replacing its own line only', async () => {
    const t = await newInstance([{ key: 'ssh-keys', value: ALICE }]);
    let now = Date.now();
    const p = publisher({ now: () => now, recheckMs: 0 });
    const first = await p.ensure(t);
    now += 17 * HOUR; // 7 h left: more than the 6 h margin
    expect((await p.ensure(t)).wrote).toBe(false);
    now += 2 * HOUR; // 5 h left: renewed
    const renewed = await p.ensure(t);
    expect(renewed.wrote).toBe(true);
    expect((renewed.expireOn?.getTime() ?? 0) - (first.expireOn?.getTime() ?? 0)).toBeGreaterThanOrEqual(
      19 * HOUR - 1_000,
    );
    const md = await metadataOf(t);
    expect(quorumLines(md['ssh-keys'])).toHaveLength(1);
    expect(parseSshKeyLine(quorumLines(md['ssh-keys'])[0] ?? '')?.expireOn?.toISOString()).toBe(
      renewed.expireOn?.toISOString().replace(/\.\d{3}Z$/, '.000Z'),
    );
    expect((md['ssh-keys'] ?? '').split('\n')[0]).toBe(ALICE);
  });

  it('puts its key back when someone removed it (read again after recheckMs)', async () => {
    const t = await newInstance([{ key: 'ssh-keys', value: ALICE }]);
    const p = publisher({ recheckMs: 0 });
    await p.ensure(t);
    const info = await compute.getInstance(PROJECT, ZONE, t.instance);
    await compute.setInstanceMetadata(
      PROJECT,
      ZONE,
      t.instance,
      [{ key: 'ssh-keys', value: ALICE }],
      info?.metadataFingerprint ?? '',
    );
    expect((await p.ensure(t)).wrote).toBe(true);
    expect(quorumLines((await metadataOf(t))['ssh-keys'])).toHaveLength(1);
  });

  it("re-reads and retries when another writer changed the metadata in between (412 conditionNotMet), keeping the other writer's change", async () => {
    const t = await newInstance([{ key: 'ssh-keys', value: ALICE }]);
    let raced = 0;
    let refusals = 0;
    // The real Compute client; just before Quorum's first write, another writer really writes the metadata.
    const racing: Pick<ComputePort, 'getInstance' | 'setInstanceMetadata' | 'getProjectMetadata'> = {
      getInstance: (...a) => compute.getInstance(...a),
      getProjectMetadata: (...a) => compute.getProjectMetadata(...a),
      setInstanceMetadata: async (project, zone, name, items, fingerprint) => {
        if (raced++ === 0) {
          const current = await compute.getInstance(project, zone, name);
          const theirs = Object.entries(current?.metadata ?? {}).map(([key, value]) => ({ key, value }));
          await compute.setInstanceMetadata(
            project,
            zone,
            name,
            [...theirs, { key: 'added-meanwhile', value: 'yes' }],
            current?.metadataFingerprint ?? '',
          );
        }
        try {
          await compute.setInstanceMetadata(project, zone, name, items, fingerprint);
        } catch (e) {
          refusals++;
          throw e;
        }
      },
    };
    expect((await publisher({ compute: racing }).ensure(t)).wrote).toBe(true);
    expect(refusals).toBe(1);
    const md = await metadataOf(t);
    expect(md['added-meanwhile']).toBe('yes');
    expect((md['ssh-keys'] ?? '').split('\n')).toEqual([ALICE, expect.stringContaining(KEY.key)]);
  });

  it('refuses instances with OS Login on, saying so, and writes nothing', async () => {
    const t = await newInstance([
      { key: 'enable-oslogin', value: 'TRUE' },
      { key: 'ssh-keys', value: ALICE },
    ]);
    const err = await publisher()
      .ensure(t)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReachError);
    expect(err).toMatchObject({
      code: 'OsLoginUnsupported',
      accessProblem: true,
      message: expect.stringContaining('Quorum does not support OS Login yet'),
    });
    expect((await metadataOf(t))['ssh-keys']).toBe(ALICE);
  });

  it("follows the project's enable-oslogin unless the instance says otherwise, as the guest agent does", async () => {
    // As an operator would turn it on: projects.setCommonInstanceMetadata with the current fingerprint.
    const setProjectMetadata = async (items: MetadataItem[]) => {
      const [p] = await clients.projects.get({ project: PROJECT });
      const [op] = await clients.projects.setCommonInstanceMetadata({
        project: PROJECT,
        metadataResource: { fingerprint: p.commonInstanceMetadata?.fingerprint ?? null, items },
      });
      await clients.globalOperations.wait({ project: PROJECT, operation: String(op.latestResponse.name) });
    };
    await setProjectMetadata([{ key: 'enable-oslogin', value: 'TRUE' }]);
    try {
      const inherits = await newInstance([{ key: 'ssh-keys', value: ALICE }]);
      await expect(publisher().ensure(inherits)).rejects.toMatchObject({ code: 'OsLoginUnsupported' });
      expect((await metadataOf(inherits))['ssh-keys']).toBe(ALICE);
      const optedOut = await newInstance([{ key: 'enable-oslogin', value: 'FALSE' }]);
      expect((await publisher().ensure(optedOut)).wrote).toBe(true);
    } finally {
      await setProjectMetadata([]);
    }
  });

  it('reports a missing instance as KeyNotPublished', async () => {
    const t: ReachTarget = {
      project: PROJECT,
      zone: ZONE,
      instance: 'never-made',
      instanceId: '1',
      internalIp: null,
      externalIp: null,
    };
    await expect(publisher().ensure(t)).rejects.toMatchObject({ code: 'KeyNotPublished', accessProblem: true });
  });
});
