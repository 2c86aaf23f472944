import { describe, expect, it } from 'vitest';
import {
  chunksForTestIamPermissions,
  missingPermissions,
  permissionRefusalMessage,
  quorumPermissions,
  TEST_IAM_PERMISSIONS_MAX,
  usesOfSteps,
} from './permissions';

describe('the permissions Quorum uses', () => {
  it('are asked about once each, within one testIamPermissions call', () => {
    const all = quorumPermissions();
    expect(new Set(all).size).toBe(all.length);
    expect(all).toContain('iam.serviceAccounts.actAs');
    expect(chunksForTestIamPermissions(all)).toEqual([all]);
    const many = Array.from({ length: 2 * TEST_IAM_PERMISSIONS_MAX + 1 }, (_, i) => `compute.p${i}.get`);
    expect(chunksForTestIamPermissions(many).map((c) => c.length)).toEqual([100, 100, 1]);
  });

  it.each([
    { denied: [], uses: undefined, missing: [] },
    {
      denied: ['compute.instances.create'],
      uses: undefined,
      missing: [
        { permission: 'compute.instances.create', uses: ['operate'], roles: ['roles/compute.instanceAdmin.v1'] },
      ],
    },
    // needed by two uses, granted by the same role in both
    {
      denied: ['compute.instances.setMetadata'],
      uses: undefined,
      missing: [
        {
          permission: 'compute.instances.setMetadata',
          uses: ['ssh', 'operate'],
          roles: ['roles/compute.instanceAdmin.v1'],
        },
      ],
    },
    {
      denied: ['iam.serviceAccounts.actAs'],
      uses: ['operate'],
      missing: [
        { permission: 'iam.serviceAccounts.actAs', uses: ['operate'], roles: ['roles/iam.serviceAccountUser'] },
      ],
    },
    // not needed by the uses asked about
    { denied: ['compute.firewalls.create'], uses: ['observe', 'ssh', 'operate'], missing: [] },
  ] as const)('missing when $denied is denied, for $uses', ({ denied, uses, missing }) => {
    const granted = quorumPermissions().filter((p) => !(denied as readonly string[]).includes(p));
    expect(missingPermissions(granted, uses)).toEqual(missing);
  });

  it('uses of a plan: observing always, then what its steps do', () => {
    expect(usesOfSteps([])).toEqual(['observe']);
    expect(usesOfSteps([{ kind: 'create-instance' }, { kind: 'add-learner' }, { kind: 'add-to-target-pool' }])).toEqual(
      ['observe', 'ssh', 'operate', 'load-balancer'],
    );
    expect(usesOfSteps([{ kind: 'remove-member' }, { kind: 'verify' }])).toEqual(['observe', 'ssh']);
    expect(usesOfSteps([{ kind: 'create-firewall-rules' }])).toEqual(['observe', 'create']);
  });

  it('a refusal names each permission, what it is for and the role', () => {
    expect(permissionRefusalMessage('p', [])).toBeNull();
    const message = permissionRefusalMessage(
      'p',
      missingPermissions(
        quorumPermissions().filter((x) => x !== 'compute.instances.create' && x !== 'compute.targetPools.addInstance'),
      ),
    );
    expect(message).toContain('2 permissions');
    expect(message).toContain('compute.instances.create (operate; granted by roles/compute.instanceAdmin.v1)');
    expect(message).toContain(
      'compute.targetPools.addInstance (load balancer; granted by roles/compute.loadBalancerAdmin)',
    );
    expect(message).toContain('nothing was changed');
  });
});
