// The admin's way out of a changed host key (trustHostKeyAction), against the seeded sandbox: who may call it,
// what input it refuses, and that a fingerprint other than the one the replica presents changes nothing (the
// pin stays, the refusal is audited with actor and source). Trusting a really replaced key is covered by
// tests/integration/reach-ssh.test.ts (the reach) and e2e/f-access.spec.ts (the page).
// Run under the lock: flock /tmp/quorum-heavy.lock npx vitest run --project integration tests/integration/trust-host-key-action.test.ts
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { trustHostKeyAction } from '@/lib/actions/trust-host-key-action';
import type { Role } from '@/lib/core/roles';
import { clusterId } from '@/lib/core/topology';
import { setCallerResolverForTests } from '@/lib/server/auth/caller';
import { container } from '@/lib/server/container';
import { PROD, warmUpAccess } from './support';
import { restoreActionEnv } from './action-env';

// Before any import is evaluated: the actions' container reads process.env (action-env.ts).
const { dataDir, savedEnv } = await vi.hoisted(async () =>
  (await import('./action-env')).pointActionsAtSandbox('quorum-trust-host-key-'),
);

const PROD_ID = clusterId(PROD);
let replica: { name: string; zone: string; id: string };
let pinned: string;
let calls = 0;

function actAs(role: Role | null): void {
  calls += 1;
  // A fresh user id per call: the per-user rate limit on mutations must not answer instead of the action.
  const n = calls;
  setCallerResolverForTests(async () =>
    role === null
      ? null
      : { userId: `trust-${n}`, email: `${role}@example.test`, name: role, role, source: '203.0.113.7' },
  );
}

const input = (over: Record<string, unknown> = {}) => ({
  clusterId: PROD_ID,
  replica: replica.name,
  zone: replica.zone,
  pinnedFingerprint: pinned,
  presentedFingerprint: `SHA256:${'q'.repeat(43)}`,
  ...over,
});

beforeAll(async () => {
  const c = container();
  // Observing prod pins every replica's host key in this test's own store (trust on first use).
  await warmUpAccess(c);
  const instances = await c.compute.listInstances(PROD.project, '^prod-master(-[a-z0-9]{3})?$');
  const first = instances.find((i) => i.status === 'RUNNING');
  if (!first) throw new Error('no running prod replica');
  replica = { name: first.name, zone: first.zone, id: first.id };
  const pin = await c.store.hostKeyPin(first.id);
  if (!pin) throw new Error(`no host key pinned for ${first.name}`);
  pinned = pin.fingerprint;
}, 120_000);

afterAll(async () => {
  setCallerResolverForTests(undefined);
  await container().close();
  restoreActionEnv({ dataDir, savedEnv });
});

describe('trustHostKeyAction', () => {
  it.each([
    [null, 'Unauthenticated'],
    ['viewer', 'Forbidden'],
    ['operator', 'Forbidden'],
  ] as const)('refuses %s: %s, and the pin stays', async (role, code) => {
    actAs(role);
    expect(await trustHostKeyAction(input({ presentedFingerprint: pinned }))).toMatchObject({ ok: false, code });
    expect((await container().store.hostKeyPin(replica.id))?.fingerprint).toBe(pinned);
  });

  it.each([
    ['a fingerprint that is not SHA256', { presentedFingerprint: 'MD5:aa:bb:cc' }],
    ['a truncated fingerprint', { pinnedFingerprint: 'SHA256:abc' }],
    ['a replica name that is no Compute name', { replica: '../prod-master' }],
    ['a zone that is no zone', { zone: 'europe west1' }],
    ['no cluster id', { clusterId: 'not-a-cluster' }],
  ])('refuses %s as InvalidInput', async (_, over) => {
    actAs('admin');
    expect(await trustHostKeyAction(input(over))).toMatchObject({ ok: false, code: 'InvalidInput' });
  });

  it('refuses a zone outside the region and a name that is not a replica of the cluster', async () => {
    actAs('admin');
    expect(await trustHostKeyAction(input({ zone: 'us-central1-b' }))).toMatchObject({
      ok: false,
      code: 'ZoneOutsideRegion',
    });
    actAs('admin');
    expect(await trustHostKeyAction(input({ replica: 'staging-master' }))).toMatchObject({
      ok: false,
      code: 'NotFound',
    });
  });

  it('refuses a presented fingerprint other than the one the replica presents: nothing trusted, the refusal audited with actor and source', async () => {
    actAs('admin');
    const result = await trustHostKeyAction(input());
    expect(result).toMatchObject({ ok: false, code: 'HostKeyMismatch' });
    if (result.ok) throw new Error('trusted');
    // The replica's real key is named, so the admin can compare it with the VM's.
    expect(result.message).toContain(`${replica.name} now presents ${pinned}`);
    expect(result.message).toContain('nothing was trusted');
    const pin = await container().store.hostKeyPin(replica.id);
    expect(pin).toMatchObject({ fingerprint: pinned });
    expect(pin?.source).not.toBe('admin');
    const [entry] = await container().store.listAudit({ action: 'ssh.trust-host-key' }, 1);
    expect(entry).toMatchObject({
      actor: 'admin@example.test',
      source: '203.0.113.7',
      outcome: 'refused',
      clusterId: PROD_ID,
    });
    expect(entry?.detail).toMatchObject({
      code: 'HostKeyMismatch',
      reason: 'PresentedKeyDiffers',
      replica: replica.name,
      nowPresented: pinned,
    });
  });

  it('refuses a pin the admin did not see (changed meanwhile): nothing trusted', async () => {
    actAs('admin');
    expect(
      await trustHostKeyAction(input({ pinnedFingerprint: `SHA256:${'z'.repeat(43)}`, presentedFingerprint: pinned })),
    ).toMatchObject({ ok: false, code: 'HostKeyMismatch' });
    expect((await container().store.hostKeyPin(replica.id))?.fingerprint).toBe(pinned);
  });
});
