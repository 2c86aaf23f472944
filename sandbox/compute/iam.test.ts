import { describe, expect, it } from 'vitest';
import {
  computeRefusal,
  handleIamControl,
  handleResourceManagerRequest,
  parseDeniedPermissions,
  permissionsOfComputeCall,
  SandboxIam,
} from './iam';

const TEST = '/v1/projects/quorum-prod:testIamPermissions';

describe('sandbox IAM: Resource Manager testIamPermissions', () => {
  const iam = new SandboxIam(['compute.instances.create']);

  it('answers the subset held, leaving the field out when it is empty', () => {
    expect(
      handleResourceManagerRequest(iam, 'POST', TEST, {
        permissions: ['compute.instances.get', 'compute.instances.create'],
      }),
    ).toEqual({
      status: 200,
      body: { permissions: ['compute.instances.get'] },
    });
    expect(handleResourceManagerRequest(iam, 'POST', TEST, { permissions: ['compute.instances.create'] })).toEqual({
      status: 200,
      body: {},
    });
    expect(handleResourceManagerRequest(iam, 'POST', TEST, {})).toEqual({ status: 200, body: {} });
  });

  it.each([
    {
      what: 'more than 100',
      body: { permissions: Array.from({ length: 101 }, (_, i) => `compute.p${i}.get`) },
      status: 400,
      message: /maximum of 100/,
    },
    { what: 'a wildcard', body: { permissions: ['compute.*'] }, status: 400, message: /wildcards/ },
    {
      what: 'a malformed name',
      body: { permissions: ['compute.instances'] },
      status: 400,
      message: /Permission compute.instances is not valid for this resource/,
    },
    {
      what: 'an unknown field',
      body: { permission: ['compute.instances.get'] },
      status: 400,
      message: /Unknown name "permission"/,
    },
  ])('refuses $what with INVALID_ARGUMENT', ({ body, status, message }) => {
    const answer = handleResourceManagerRequest(iam, 'POST', TEST, body);
    expect(answer?.status).toBe(status);
    expect(answer?.body).toMatchObject({
      error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringMatching(message) as unknown },
    });
  });

  it('answers a malformed project as one the caller may not see, other methods and paths as Google does', () => {
    expect(handleResourceManagerRequest(iam, 'POST', '/v1/projects/X:testIamPermissions', {})?.body).toMatchObject({
      error: { code: 403, status: 'PERMISSION_DENIED' },
    });
    expect(handleResourceManagerRequest(iam, 'GET', TEST, undefined)?.status).toBe(405);
    expect(handleResourceManagerRequest(iam, 'POST', '/v1/projects/quorum-prod:getIamPolicy', {})?.status).toBe(404);
    expect(handleResourceManagerRequest(iam, 'POST', '/compute/v1/projects/p', {})).toBeNull();
  });
});

describe('sandbox IAM: Compute refuses what it denies', () => {
  const insert = {
    name: 'prod-master-abc',
    disks: [
      { boot: true, initializeParams: { sourceImage: 'projects/cos-cloud/global/images/cos-stable' } },
      { source: 'projects/quorum-prod/zones/europe-west1-b/disks/prod-master-abc-pd' },
    ],
    networkInterfaces: [
      { subnetwork: 'regions/europe-west1/subnetworks/default', accessConfigs: [{ type: 'ONE_TO_ONE_NAT' }] },
    ],
    metadata: { items: [{ key: 'kube-env', value: 'x' }] },
    tags: { items: ['prod-master'] },
    serviceAccounts: [{ email: 'sa@quorum-prod.iam.gserviceaccount.com', scopes: [] }],
  };
  const path = '/projects/quorum-prod/zones/europe-west1-b/instances';

  it("instances.insert needs what Compute's required-permissions page lists for what the body asks", () => {
    expect(permissionsOfComputeCall('POST', path, insert).map((n) => n.permission)).toEqual([
      'compute.instances.create',
      'compute.disks.create',
      'compute.disks.use',
      'compute.subnetworks.use',
      'compute.subnetworks.useExternalIp',
      'compute.instances.setMetadata',
      'compute.instances.setTags',
      'compute.instances.setServiceAccount',
      'iam.serviceAccounts.actAs',
    ]);
  });

  it("a denied permission: GCE's 403 forbidden, one error per missing permission", () => {
    const iam = new SandboxIam(['compute.instances.create', 'iam.serviceAccounts.actAs']);
    expect(computeRefusal(iam, 'POST', path, insert)).toEqual({
      status: 403,
      body: {
        error: {
          code: 403,
          message:
            "Required 'compute.instances.create' permission for 'projects/quorum-prod/zones/europe-west1-b/instances/prod-master-abc'",
          errors: [
            {
              message:
                "Required 'compute.instances.create' permission for 'projects/quorum-prod/zones/europe-west1-b/instances/prod-master-abc'",
              domain: 'global',
              reason: 'forbidden',
            },
            {
              message:
                "Required 'iam.serviceAccounts.actAs' permission for 'projects/-/serviceAccounts/sa@quorum-prod.iam.gserviceaccount.com'",
              domain: 'global',
              reason: 'forbidden',
            },
          ],
        },
      },
    });
    expect(computeRefusal(iam, 'GET', `${path}/prod-master-abc`, undefined)).toBeNull();
    expect(
      computeRefusal(
        new SandboxIam(['compute.zoneOperations.get']),
        'POST',
        '/projects/quorum-prod/zones/europe-west1-b/operations/op-1/wait',
        undefined,
      )?.status,
    ).toBe(403);
  });

  it('the control replaces the denied set; the env list parses', () => {
    const iam = new SandboxIam();
    expect(handleIamControl(iam, 'POST', '/sandbox/v1/chaos/iam', { denied: ['compute.disks.create'] })).toEqual({
      status: 200,
      body: { denied: ['compute.disks.create'], resourceManagerApi: 'enabled' },
    });
    expect(iam.holds('compute.disks.create')).toBe(false);
    expect(handleIamControl(iam, 'POST', '/sandbox/v1/chaos/iam', { denied: ['nope'] })?.status).toBe(400);
    expect(handleIamControl(iam, 'POST', '/sandbox/v1/chaos/iam', { resourceManagerApi: 'off' })?.status).toBe(400);
    expect(handleIamControl(iam, 'GET', '/sandbox/v1/chaos/iam', undefined)?.body).toEqual({
      denied: ['compute.disks.create'],
      resourceManagerApi: 'enabled',
    });
    expect(parseDeniedPermissions(' compute.a.b, iam.c.d ')).toEqual(['compute.a.b', 'iam.c.d']);
  });

  it('with the Resource Manager API disabled, testIamPermissions answers SERVICE_DISABLED; Compute and the denied set are untouched', () => {
    const iam = new SandboxIam(['compute.disks.create']);
    expect(handleIamControl(iam, 'POST', '/sandbox/v1/chaos/iam', { resourceManagerApi: 'disabled' })?.body).toEqual({
      denied: ['compute.disks.create'],
      resourceManagerApi: 'disabled',
    });
    const answer = handleResourceManagerRequest(iam, 'POST', '/v1/projects/quorum-prod:testIamPermissions', {
      permissions: ['compute.instances.get'],
    });
    expect(answer?.status).toBe(403);
    expect(answer?.body).toMatchObject({
      error: {
        code: 403,
        status: 'PERMISSION_DENIED',
        details: [{ reason: 'SERVICE_DISABLED', metadata: { service: 'cloudresourcemanager.googleapis.com' } }],
      },
    });
    expect(JSON.stringify(answer?.body)).toContain(
      'Cloud Resource Manager API has not been used in project quorum-prod before or it is disabled',
    );
    expect(iam.holds('compute.instances.get')).toBe(true);
    handleIamControl(iam, 'POST', '/sandbox/v1/chaos/iam', { resourceManagerApi: 'enabled' });
    expect(
      handleResourceManagerRequest(iam, 'POST', '/v1/projects/quorum-prod:testIamPermissions', {
        permissions: ['compute.instances.get'],
      })?.status,
    ).toBe(200);
  });
});
