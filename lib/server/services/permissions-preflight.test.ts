import { describe, expect, it } from 'vitest';
import { quorumPermissions } from '@/lib/core/permissions';
import type { IamPort } from '@/lib/ports/iam';
import { ProviderError } from '@/lib/ports/provider-error';
import { permissionRefusal, PermissionsPreflight } from './permissions-preflight';

/** Holds everything but `denied`; counts the calls; fails every call while `down`. */
class FakeIam implements IamPort {
  calls = 0;
  denied: string[] = [];
  down = false;
  async heldPermissions(_project: string, permissions: readonly string[]): Promise<string[]> {
    this.calls += 1;
    await Promise.resolve();
    if (this.down)
      throw new ProviderError(
        'Forbidden',
        'projects.testIamPermissions p: Cloud Resource Manager API has not been used in project p',
        { httpStatus: 403 },
      );
    return permissions.filter((p) => !this.denied.includes(p));
  }
}

function setUp() {
  const iam = new FakeIam();
  let now = Date.parse('2026-12-02T10:00:00Z');
  const clock = { now: () => new Date(now) };
  const preflight = new PermissionsPreflight(iam, ['p'], clock);
  return { iam, preflight, advance: (ms: number) => (now += ms) };
}

describe('PermissionsPreflight', () => {
  it('asks once per project for every permission, keeps the answer for maxAge, shares a call in flight', async () => {
    const { iam, preflight, advance } = setUp();
    iam.denied = ['compute.instances.create'];
    const [a, b] = await Promise.all([preflight.project('p', 0), preflight.project('p', 0)]);
    expect(iam.calls).toBe(1);
    expect(a).toBe(b);
    expect(a.missing.map((m) => m.permission)).toEqual(['compute.instances.create']);
    advance(5_000);
    await preflight.report(10_000);
    expect(iam.calls).toBe(1);
    advance(6_000);
    iam.denied = [];
    expect((await preflight.report(10_000))[0]?.missing).toEqual([]);
    expect(iam.calls).toBe(2);
    expect(quorumPermissions().length).toBeLessThanOrEqual(100);
  });

  it('refuses a change whose steps need a missing permission, lets one through that does not', async () => {
    const { iam, preflight } = setUp();
    iam.denied = ['compute.targetPools.addInstance'];
    const refusal = await permissionRefusal(preflight, 'p', [
      { kind: 'create-instance' },
      { kind: 'add-to-target-pool' },
    ]);
    expect(refusal?.code).toBe('PermissionMissing');
    expect(refusal?.message).toContain(
      'compute.targetPools.addInstance (load balancer; granted by roles/compute.loadBalancerAdmin)',
    );
    expect(await permissionRefusal(preflight, 'p', [{ kind: 'remove-member' }, { kind: 'verify' }])).toBeNull();
  });

  it('when Resource Manager cannot answer: the error is kept and shown, and no change runs until it answers', async () => {
    const { iam, preflight } = setUp();
    iam.down = true;
    const [answer] = await preflight.report(0);
    expect(answer).toMatchObject({
      project: 'p',
      missing: [],
      error: expect.stringContaining('Cloud Resource Manager API has not been used') as unknown,
    });
    const refusal = await permissionRefusal(preflight, 'p', [{ kind: 'remove-member' }]);
    expect(refusal?.code).toBe('PermissionMissing');
    expect(refusal?.message).toMatch(
      /^Quorum could not check its own permissions in project p, so it changes nothing there until it can\. Resource Manager answered: .*Cloud Resource Manager API has not been used.* Enable the Cloud Resource Manager API/,
    );
    iam.down = false;
    expect(await permissionRefusal(preflight, 'p', [{ kind: 'remove-member' }])).toBeNull();
  });
});
