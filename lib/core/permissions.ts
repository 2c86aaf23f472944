// The IAM permissions Quorum's identity uses on Compute Engine, by what it does with them, and the predefined
// role that grants each. The one list: the preflight tests it (Resource Manager's testIamPermissions), the
// Settings page and refusals quote it, and the README's table is checked against it (permissions.test.ts).
import type { PlanStep, StepKind } from './planner';

export const PERMISSION_USES = ['observe', 'ssh', 'operate', 'load-balancer', 'create'] as const;
export type PermissionUse = (typeof PERMISSION_USES)[number];

type Grant = { role: string; permissions: readonly string[] };
type UseSpec = { use: PermissionUse; title: string; grants: readonly Grant[] };

const VIEWER = 'roles/compute.viewer';
const INSTANCE_ADMIN = 'roles/compute.instanceAdmin.v1';

/** In the README's order; `title` is the table's first column word for word. */
export const PERMISSIONS_BY_USE: readonly UseSpec[] = [
  {
    use: 'observe',
    title: 'observe (fleet, cluster pages, previews)',
    grants: [
      {
        role: VIEWER,
        permissions: [
          'compute.instances.list',
          'compute.instances.get',
          'compute.regions.list',
          'compute.regions.get',
          'compute.disks.get',
          'compute.subnetworks.get',
          'compute.addresses.list',
          'compute.addresses.get',
          'compute.forwardingRules.get',
          'compute.targetPools.get',
          'compute.firewalls.get',
          'compute.projects.get',
          'compute.instances.getGuestAttributes',
        ],
      },
    ],
  },
  {
    use: 'ssh',
    title: "SSH into masters (publishing Quorum's key)",
    grants: [{ role: INSTANCE_ADMIN, permissions: ['compute.instances.setMetadata', 'compute.zoneOperations.get'] }],
  },
  {
    use: 'operate',
    title: 'operate (add, remove, replace, start and reset replicas)',
    grants: [
      {
        role: INSTANCE_ADMIN,
        permissions: [
          'compute.instances.create',
          'compute.instances.delete',
          'compute.instances.setMetadata',
          'compute.instances.setTags',
          'compute.instances.setLabels',
          'compute.instances.setServiceAccount',
          'compute.instances.start',
          'compute.instances.reset',
          'compute.disks.create',
          'compute.disks.delete',
          'compute.disks.use',
          'compute.images.useReadOnly',
          'compute.subnetworks.use',
          'compute.subnetworks.useExternalIp',
          'compute.zoneOperations.get',
          // finding a mutation's Operation by its requestId after a restart (awaitZoneMutation)
          'compute.zoneOperations.list',
        ],
      },
      { role: 'roles/iam.serviceAccountUser', permissions: ['iam.serviceAccounts.actAs'] },
    ],
  },
  {
    use: 'load-balancer',
    title: 'load balancer (1 -> 3 and back)',
    grants: [
      {
        role: 'roles/compute.loadBalancerAdmin',
        permissions: [
          'compute.targetPools.create',
          'compute.targetPools.delete',
          'compute.targetPools.addInstance',
          'compute.targetPools.removeInstance',
          'compute.targetPools.use',
          'compute.forwardingRules.create',
          'compute.forwardingRules.delete',
          'compute.addresses.use',
          'compute.regionOperations.get',
        ],
      },
      {
        role: INSTANCE_ADMIN,
        permissions: ['compute.instances.addAccessConfig', 'compute.instances.deleteAccessConfig'],
      },
    ],
  },
  {
    use: 'create',
    title: 'create a cluster (sandbox only: on `gce` the wizard gives the kube-up command)',
    grants: [
      {
        role: 'roles/compute.securityAdmin',
        permissions: ['compute.firewalls.create', 'compute.networks.updatePolicy'],
      },
      {
        role: 'roles/compute.networkAdmin',
        permissions: ['compute.addresses.create', 'compute.addresses.delete', 'compute.globalOperations.get'],
      },
    ],
  },
];

export const USE_LABELS: Record<PermissionUse, string> = {
  observe: 'observe',
  ssh: 'SSH into masters',
  operate: 'operate',
  'load-balancer': 'load balancer',
  create: 'create a cluster',
};

/** Every permission Quorum uses, once, sorted: what the preflight asks Resource Manager about. */
export function quorumPermissions(): string[] {
  return [...new Set(PERMISSIONS_BY_USE.flatMap((u) => u.grants.flatMap((g) => g.permissions)))].sort();
}

/** A permission Quorum lacks: what it is needed for and the predefined role that grants it (per use). */
export type MissingPermission = { permission: string; uses: PermissionUse[]; roles: string[] };

/** One project's answer: what Quorum lacks there, or why it could not be asked. */
export type ProjectPermissions = {
  project: string;
  checkedAt: string;
  /** Every permission of every use Quorum lacks, with its uses and roles; empty when all are held. */
  missing: MissingPermission[];
  /** Set when Resource Manager could not answer; `missing` is then empty and says nothing. */
  error: string | null;
};

/** The permissions of `uses` not in `granted`, each with the uses that need it and the roles that grant it. */
export function missingPermissions(
  granted: Iterable<string>,
  uses: readonly PermissionUse[] = PERMISSION_USES,
): MissingPermission[] {
  const have = new Set(granted);
  const byPermission = new Map<string, MissingPermission>();
  for (const spec of PERMISSIONS_BY_USE) {
    if (!uses.includes(spec.use)) continue;
    for (const grant of spec.grants) {
      for (const permission of grant.permissions) {
        if (have.has(permission)) continue;
        const entry = byPermission.get(permission) ?? { permission, uses: [], roles: [] };
        if (!entry.uses.includes(spec.use)) entry.uses.push(spec.use);
        if (!entry.roles.includes(grant.role)) entry.roles.push(grant.role);
        byPermission.set(permission, entry);
      }
    }
  }
  return [...byPermission.values()].sort((a, b) =>
    a.permission < b.permission ? -1 : a.permission > b.permission ? 1 : 0,
  );
}

// What each step of a plan does on Compute Engine. etcd and the API server are reached through SSH, whose key
// is published in instance metadata, so a step that talks to etcd needs the ssh use.
const STEP_USE: Record<StepKind, PermissionUse> = {
  'snapshot-etcd': 'ssh',
  'move-first-replica-to-ephemeral-ip': 'load-balancer',
  'create-target-pool': 'load-balancer',
  'create-forwarding-rule': 'load-balancer',
  'await-cluster-address': 'load-balancer',
  'pick-name': 'operate',
  'issue-certificates': 'operate',
  'add-learner': 'ssh',
  'create-disk': 'operate',
  'create-instance': 'operate',
  'add-to-target-pool': 'load-balancer',
  'await-learner-catch-up': 'ssh',
  'promote-learner': 'ssh',
  'await-api-server': 'ssh',
  'resolve-replica': 'observe',
  'move-leadership': 'ssh',
  'remove-member': 'ssh',
  'remove-from-target-pool': 'load-balancer',
  'delete-instance': 'operate',
  'delete-disk': 'operate',
  'delete-forwarding-rule': 'load-balancer',
  'return-static-ip-to-last-replica': 'load-balancer',
  'delete-target-pool': 'load-balancer',
  'create-firewall-rules': 'create',
  'reserve-static-address': 'create',
  'issue-cluster-certificates': 'create',
  'await-etcd': 'ssh',
  'restart-instance': 'operate',
  'await-replica-rejoined': 'ssh',
  verify: 'ssh',
};

/** The uses a plan's steps need, observing always among them. */
export function usesOfSteps(steps: readonly Pick<PlanStep, 'kind'>[]): PermissionUse[] {
  const uses = new Set<PermissionUse>(['observe', ...steps.map((s) => STEP_USE[s.kind])]);
  return PERMISSION_USES.filter((u) => uses.has(u));
}

/** The words of a refusal for the permissions a change needs and lacks; null when nothing is missing. */
export function permissionRefusalMessage(project: string, missing: readonly MissingPermission[]): string | null {
  if (missing.length === 0) return null;
  const lines = missing.map(
    (m) => `${m.permission} (${m.uses.map((u) => USE_LABELS[u]).join(', ')}; granted by ${m.roles.join(' or ')})`,
  );
  return `Quorum's identity lacks ${missing.length === 1 ? 'a permission' : `${missing.length} permissions`} this change needs in project ${project}: ${lines.join('; ')}. Grant the role and try again; nothing was changed.`;
}

/** Resource Manager's testIamPermissions takes at most 100 permissions per call. */
export const TEST_IAM_PERMISSIONS_MAX = 100;

export function chunksForTestIamPermissions(permissions: readonly string[]): string[][] {
  const chunks: string[][] = [];
  for (let i = 0; i < permissions.length; i += TEST_IAM_PERMISSIONS_MAX)
    chunks.push(permissions.slice(i, i + TEST_IAM_PERMISSIONS_MAX));
  return chunks;
}
