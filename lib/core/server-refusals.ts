// The refusals the server gives before or beside the planner (who calls, how often, a plan that changed since its
// preview, a request that names what is not there, accounts, a new cluster's name), each with the params that word
// it in the reader's language (messages/<locale>/plans.json: `serverRefusals.<code>`, or `serverRefusals.<refusal>`
// for those whose params name their `refusal`). The English sentence stays the record: the audit log keeps it.
import type { DomainErrorCode } from './errors';
import { partParams } from './findings/params';
import type { PasswordProblem } from './password-policy';
import { permissionRefusalMessage, type MissingPermission, type PermissionUse } from './permissions';
import type { PlanParams } from './planner';
import { ROLE_DUTIES, type Role } from './roles';

export type ServerRefusal = {
  code: DomainErrorCode;
  message: string;
  params: PlanParams;
};

/** A permission use as an ICU select keyword (no dash): the catalog's `parts.uses`. */
const USE_WORD: Record<PermissionUse, string> = {
  observe: 'observe',
  ssh: 'ssh',
  operate: 'operate',
  'load-balancer': 'loadBalancer',
  create: 'create',
};

/** A refusal worded by `serverRefusals.<name>` (its code is shared with others, so the code cannot pick the words). */
function named(code: DomainErrorCode, name: string, message: string, params: PlanParams = {}): ServerRefusal {
  return { code, message, params: { refusal: name, ...params } };
}

export const serverRefusals = {
  signInFirst: (): ServerRefusal => ({
    code: 'Unauthenticated',
    message: 'Sign in first; nothing was changed.',
    params: {},
  }),
  passwordChangeRequired: (): ServerRefusal => ({
    code: 'PasswordChangeRequired',
    message: 'Set a password of your own first (on your account page); nothing was changed.',
    params: {},
  }),
  /** The caller's role is below the one the action takes. */
  roleTooLow: (role: Role, needed: Role): ServerRefusal => ({
    code: 'Forbidden',
    message: `Your role (${role}) may not do this: it takes the ${needed} role, which ${ROLE_DUTIES[needed]}. Nothing was changed; ask an admin.`,
    params: { variant: 'role', role, needed },
  }),
  /** A change run past a missing verified backup: only an admin may. */
  backupOverrideNeedsAdmin: (): ServerRefusal => ({
    code: 'Forbidden',
    message:
      'Running a change without a verified backup takes the admin role; nothing was changed. Ask an admin, or fix the backup and run it again.',
    params: { variant: 'backupOverride' },
  }),
  tooManyChanges: (retryAfterSeconds: number): ServerRefusal => ({
    code: 'RateLimited',
    message: `Too many changes in a short time; nothing was changed. Try again in ${retryAfterSeconds} s.`,
    params: { what: 'changes', retryAfterSeconds },
  }),
  tooManyPreviews: (retryAfterSeconds: number): ServerRefusal => ({
    code: 'RateLimited',
    message: `Too many plan previews in a short time; try again in ${retryAfterSeconds} s.`,
    params: { what: 'previews', retryAfterSeconds },
  }),
  /**
   * `summary`: the new plan's summary, for the record. The page shows the new plan itself in place of the old, so its
   * words (`serverRefusals.PlanChanged`) leave the summary out.
   */
  planChanged: (summary: string): ServerRefusal => ({
    code: 'PlanChanged',
    message: `The cluster changed since the preview, so the plan did too (now: ${summary}). Nothing ran: review the new plan and confirm again.`,
    params: {},
  }),
  /** A request the action's schema refuses (the fields say what). */
  invalidRequest: (): ServerRefusal =>
    named('InvalidInput', 'invalidRequest', 'The request is not valid; nothing was changed.'),
  /** Something the server did not expect (a bug): the log has it, the caller gets no details. */
  serverFault: (): ServerRefusal =>
    named(
      'ProviderUnavailable',
      'serverFault',
      'Something went wrong on the server; nothing was changed. Details are in the server log.',
    ),
  unknownClusterId: (): ServerRefusal => named('InvalidInput', 'unknownClusterId', 'Unknown cluster id.'),
  /** An id naming no cluster Quorum watches: the same words for a made-up id and another project's. */
  unknownCluster: (id: string): ServerRefusal =>
    named(
      'NotFound',
      'unknownCluster',
      `No cluster ${id} among the clusters Quorum watches: its project is not one of Quorum's, or no master, forwarding rule or static address of it was found there.`,
      { id },
    ),
  clusterGone: (cluster: string, region: string): ServerRefusal =>
    named('NotFound', 'clusterGone', `No cluster ${cluster} in ${region}.`, { cluster, region }),
  noSuchOperation: (): ServerRefusal => named('NotFound', 'noSuchOperation', 'No such operation.'),
  /** The name typed to confirm is not the cluster's: `which` is an existing cluster or the one to create. */
  confirmName: (name: string, which: 'cluster' | 'newCluster'): ServerRefusal =>
    named(
      'InvalidInput',
      'confirmName',
      which === 'cluster'
        ? `Type the cluster name ${name} to confirm; nothing was changed.`
        : `Type the new cluster's name ${name} to confirm; nothing was changed.`,
      { name, which },
    ),

  // Accounts (the users and account pages).
  /** The password policy's refusal (lib/core/password-policy.ts). */
  weakPassword: (problem: PasswordProblem): ServerRefusal =>
    named('WeakPassword', 'weakPassword', `${problem.message} Nothing was changed.`, { ...problem.params }),
  accountExists: (email: string): ServerRefusal =>
    named('AlreadyExists', 'accountExists', `An account for ${email} exists already; nothing was changed.`, { email }),
  /** What the sign-in library refused a new account for, in its words. */
  accountRefused: (reason: string): ServerRefusal =>
    named('InvalidInput', 'accountRefused', `${reason}; nothing was changed.`, { reason }),
  noSuchAccount: (): ServerRefusal => named('NotFound', 'noSuchAccount', 'No such account; nothing was changed.'),
  lastAdmin: (email: string): ServerRefusal =>
    named(
      'LastAdmin',
      'lastAdmin',
      `${email} is the last admin; make another account admin first. Nothing was changed.`,
      { email },
    ),
  ownAccount: (change: 'disable' | 'delete'): ServerRefusal =>
    named(
      'InvalidInput',
      'ownAccount',
      `You cannot ${change} your own account; another admin can. Nothing was changed.`,
      { change },
    ),

  // Webhooks (Settings).
  tooManyWebhooks: (max: number): ServerRefusal =>
    named(
      'InvalidInput',
      'tooManyWebhooks',
      `There are ${max} webhooks already, the most Quorum posts to; delete one first. Nothing was changed.`,
      { max },
    ),
  noSuchWebhook: (): ServerRefusal =>
    named('NotFound', 'noSuchWebhook', 'No such webhook (deleted meanwhile?); nothing was changed.'),

  // A new cluster (the create-cluster wizard).
  projectNotManaged: (project: string, projects: readonly string[]): ServerRefusal =>
    named('NotFound', 'projectNotManaged', `${project} is not a project Quorum manages (${projects.join(', ')}).`, {
      project,
      projects: [...projects],
    }),
  zoneInNoRegion: (zone: string, project: string, regions: readonly string[]): ServerRefusal =>
    named(
      'InvalidInput',
      'zoneInNoRegion',
      `${zone} is in no region of ${project}; its regions are ${regions.join(', ')}.`,
      { zone, project, regions: [...regions] },
    ),
  nameTaken: (name: string, existing: readonly { name: string; zone: string }[]): ServerRefusal =>
    named(
      'AlreadyExists',
      'nameTaken',
      `The name ${name} is taken: ${existing.map((i) => `${i.name} in ${i.zone}`).join(', ')} already ${existing.length === 1 ? 'exists' : 'exist'}. Pick another name.`,
      { name, count: existing.length, ...partParams('taken', existing) },
    ),
  diskExists: (name: string, zone: string): ServerRefusal =>
    named(
      'AlreadyExists',
      'diskExists',
      `A data disk ${name}-pd already exists in ${zone} and may hold an old cluster's etcd data; delete it or pick another name.`,
      { name, zone },
    ),
  addressInUse: (name: string, address: string, users: readonly string[]): ServerRefusal =>
    named(
      'AlreadyExists',
      'addressInUse',
      `The static address ${name}-ip (${address}) is in use by ${users.join(', ')}; pick another name.`,
      { name, address, users: [...users] },
    ),
  /** Quorum's identity lacks permissions a change needs (the preflight's answer, lib/core/permissions.ts). */
  permissionsMissing: (project: string, missing: readonly MissingPermission[]): ServerRefusal | null => {
    const message = permissionRefusalMessage(project, missing);
    if (message === null) return null;
    const uses: Record<string, string> = {};
    missing.forEach((m, i) =>
      m.uses.forEach((use, j) => {
        uses[`missing.${i}.uses.${j}.use`] = USE_WORD[use];
      }),
    );
    return named('PermissionMissing', 'permissionsMissing', message, {
      project,
      count: missing.length,
      ...partParams(
        'missing',
        missing.map((m) => ({ permission: m.permission, roles: [...m.roles] })),
      ),
      ...uses,
    });
  },
  /** Resource Manager could not say which permissions Quorum holds: nothing changes until it can. */
  permissionsUnchecked: (project: string, error: string): ServerRefusal => {
    const answer = error.replace(/\.?$/, '.');
    return named(
      'PermissionMissing',
      'permissionsUnchecked',
      `Quorum could not check its own permissions in project ${project}, so it changes nothing there until it can. Resource Manager answered: ${answer} Enable the Cloud Resource Manager API in that project (Quorum asks it with projects.testIamPermissions, which needs no role), then plan again; Settings shows the check.`,
      { project, answer },
    );
  },
  /** On Compute Engine a master boots from kube-up's scripts: Quorum names the command instead. */
  kubeUpOnly: (command: string): ServerRefusal =>
    named(
      'Unsupported',
      'kubeUpOnly',
      `A master on Compute Engine boots from kube-up's scripts (user-data, configure-sh), which Quorum does not ship; create the cluster with: ${command}`,
      { command },
    ),
};
