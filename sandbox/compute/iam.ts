// The caller's IAM in the sandbox: every permission is granted except a configurable denied set
// (SANDBOX_DENIED_PERMISSIONS at start, POST /sandbox/v1/chaos/iam later). Two things read it, as on Google:
//
// - Cloud Resource Manager v1 `projects.testIamPermissions`
//     POST /v1/projects/<projectId>:testIamPermissions  {"permissions": [...]}  ->  {"permissions": [held subset]}
//   at most 100 permissions, no wildcards, each a well-formed permission name; errors in Google's
//   `{error: {code, message, status}}` shape.
// - Compute Engine: a call that needs a denied permission is refused before it does anything, with GCE's
//   403 body, one `errors[]` entry per missing permission:
//     Required 'compute.instances.create' permission for 'projects/p/zones/z/instances/i'   (reason forbidden)
//   The permissions per method are those Compute's REST reference and "required permissions" pages name,
//   including the conditional ones of instances.insert (disks, image, subnetwork, metadata, tags, labels,
//   service account).
//
// The control (sandbox only, like the chaos controls; works with any VM host):
//   GET  /sandbox/v1/chaos/iam                          -> {"denied": [...], "resourceManagerApi": "enabled"}
//   POST /sandbox/v1/chaos/iam  {"denied": [...]}       -> the same   (replaces the set; [] grants all)
//   POST /sandbox/v1/chaos/iam  {"resourceManagerApi": "disabled"}   the project's Cloud Resource Manager API is
//        off: testIamPermissions answers Google's 403 SERVICE_DISABLED (Compute is not affected), until "enabled".
// Not persisted: a restart goes back to SANDBOX_DENIED_PERMISSIONS and an enabled API.
import { z } from 'zod';

export type IamAnswer = { status: number; body: unknown };

export type ApiState = 'enabled' | 'disabled';

export class SandboxIam {
  private denied: Set<string>;
  /** Whether the Cloud Resource Manager API is enabled in the projects (a project that never enabled it answers 403). */
  resourceManagerApi: ApiState = 'enabled';

  constructor(denied: Iterable<string> = []) {
    this.denied = new Set(denied);
  }

  deniedPermissions(): string[] {
    return [...this.denied].sort();
  }

  setDenied(permissions: Iterable<string>): void {
    this.denied = new Set(permissions);
  }

  holds(permission: string): boolean {
    return !this.denied.has(permission);
  }
}

/** `SANDBOX_DENIED_PERMISSIONS`: a comma or whitespace separated list. */
export function parseDeniedPermissions(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter((p) => p !== '');
}

// --- Resource Manager --------------------------------------------------------------------------------------

const TEST_PATH = /^\/v1\/projects\/([^/:]+):testIamPermissions$/;
// Google's project ids: 6 to 30 lowercase letters, digits and hyphens, starting with a letter.
const PROJECT_ID = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
// service.resource.verb, as every IAM permission is named.
const PERMISSION = /^[a-z][a-z0-9]*\.[a-zA-Z][a-zA-Z0-9]*\.[a-zA-Z][a-zA-Z0-9]*$/;
const MAX_PERMISSIONS = 100;

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
};

function googleError(code: number, message: string): IamAnswer {
  return { status: code, body: { error: { code, message, status: STATUS[code] ?? 'UNKNOWN' } } };
}

/** What Google answers when the project has not enabled the API (an ErrorInfo with reason SERVICE_DISABLED). */
function serviceDisabled(project: string): IamAnswer {
  const service = 'cloudresourcemanager.googleapis.com';
  const message = `Cloud Resource Manager API has not been used in project ${project} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/${service}/overview?project=${project} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`;
  const details = [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'SERVICE_DISABLED',
      domain: 'googleapis.com',
      metadata: { service, consumer: `projects/${project}` },
    },
  ];
  return { status: 403, body: { error: { code: 403, message, status: 'PERMISSION_DENIED', details } } };
}

const testBody = z.object({ permissions: z.array(z.string()).optional() }).strict();

/** Answers Resource Manager v1 paths (under /v1/projects/); null for any other path. */
export function handleResourceManagerRequest(
  iam: SandboxIam,
  method: string,
  path: string,
  body: unknown,
): IamAnswer | null {
  if (!path.startsWith('/v1/projects/')) return null;
  const m = TEST_PATH.exec(path);
  if (!m) return googleError(404, `The requested URL ${path} was not found on this server.`);
  if (method !== 'POST') return googleError(405, `Method ${method} is not allowed for ${path}.`);
  const project = decodeURIComponent(m[1] ?? '');
  // Google answers an unknown or malformed project as one the caller may not see.
  if (!PROJECT_ID.test(project)) return googleError(403, 'The caller does not have permission');
  if (iam.resourceManagerApi === 'disabled') return serviceDisabled(project);
  const parsed = testBody.safeParse(body ?? {});
  if (!parsed.success) {
    const unknown = parsed.error.issues.find((i) => i.code === 'unrecognized_keys');
    const name = unknown && 'keys' in unknown ? String(unknown.keys[0]) : 'permissions';
    return googleError(
      400,
      unknown
        ? `Invalid JSON payload received. Unknown name "${name}": Cannot find field.`
        : "Invalid JSON payload received. Invalid value at 'permissions'.",
    );
  }
  const asked = parsed.data.permissions ?? [];
  if (asked.length > MAX_PERMISSIONS) {
    return googleError(
      400,
      `The number of permissions in the request (${asked.length}) exceeds the maximum of ${MAX_PERMISSIONS}.`,
    );
  }
  for (const p of asked) {
    if (p.includes('*'))
      return googleError(400, `Permissions ('${p}') with wildcards (such as '*' or 'storage.*') are not allowed.`);
    if (!PERMISSION.test(p)) return googleError(400, `Permission ${p} is not valid for this resource.`);
  }
  const held = [...new Set(asked)].filter((p) => iam.holds(p));
  // proto3 JSON: an empty repeated field is left out.
  return { status: 200, body: held.length > 0 ? { permissions: held } : {} };
}

// --- the control -------------------------------------------------------------------------------------------

const controlBody = z
  .object({
    denied: z.array(z.string().regex(PERMISSION)).max(1000).optional(),
    resourceManagerApi: z.enum(['enabled', 'disabled']).optional(),
  })
  .strict();

/** GET/POST /sandbox/v1/chaos/iam; null for any other path. */
export function handleIamControl(iam: SandboxIam, method: string, path: string, body: unknown): IamAnswer | null {
  if (path !== '/sandbox/v1/chaos/iam') return null;
  if (method === 'POST') {
    const parsed = controlBody.safeParse(body);
    if (!parsed.success)
      return googleError(
        400,
        `Expected {"denied": ["service.resource.verb", ...], "resourceManagerApi": "enabled" | "disabled"} (each optional): ${parsed.error.issues[0]?.message ?? 'invalid body'}`,
      );
    if (parsed.data.denied) iam.setDenied(parsed.data.denied);
    if (parsed.data.resourceManagerApi) iam.resourceManagerApi = parsed.data.resourceManagerApi;
  } else if (method !== 'GET') {
    return googleError(405, `Use GET or POST for ${path}.`);
  }
  return { status: 200, body: { denied: iam.deniedPermissions(), resourceManagerApi: iam.resourceManagerApi } };
}

// --- Compute Engine ----------------------------------------------------------------------------------------

type Needed = { permission: string; resource: string };
type Params = Record<string, string>;
type Body = Record<string, unknown>;
type Rule = { method: string; pattern: RegExp; keys: string[]; needs: (p: Params, body: Body) => Needed[] };

function rule(method: string, template: string, needs: Rule['needs']): Rule {
  const keys: string[] = [];
  const source = template.replace(/\{(\w+)\}/g, (_, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { method, pattern: new RegExp(`^${source}$`), keys, needs };
}

const P = '/projects/{project}';
const Z = `${P}/zones/{zone}`;
const R = `${P}/regions/{region}`;
const G = `${P}/global`;

const project = (p: Params) => `projects/${p.project ?? ''}`;
const zonal = (p: Params, kind: string, name: string) => `${project(p)}/zones/${p.zone ?? ''}/${kind}/${name}`;
const regional = (p: Params, kind: string, name: string) => `${project(p)}/regions/${p.region ?? ''}/${kind}/${name}`;
const global = (p: Params, kind: string, name: string) => `${project(p)}/global/${kind}/${name}`;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): Body[] =>
  Array.isArray(v) ? v.filter((x): x is Body => typeof x === 'object' && x !== null) : [];
const obj = (v: unknown): Body => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Body) : {});
const last = (link: string) => link.split('/').pop() ?? '';

/** A resource path (`projects/...`) out of a full or partial URL, or null when it is in another project. */
function inProject(p: Params, link: string): string | null {
  const at = link.indexOf('projects/');
  const path = at >= 0 ? link.slice(at) : `${project(p)}/${link}`;
  return path.startsWith(`${project(p)}/`) ? path : null;
}

function on(permission: string, resource: string): Needed {
  return { permission, resource };
}

// What instances.insert needs beyond compute.instances.create (Compute's "Required permissions" for creating a VM).
function insertInstanceNeeds(p: Params, body: Body): Needed[] {
  const name = str(body.name);
  const needs = [on('compute.instances.create', zonal(p, 'instances', name))];
  for (const disk of arr(body.disks)) {
    const init = obj(disk.initializeParams);
    if (Object.keys(init).length > 0) {
      needs.push(on('compute.disks.create', zonal(p, 'disks', str(init.diskName) || name)));
      const image = inProject(p, str(init.sourceImage));
      // Public images (cos-cloud, debian-cloud...) are readable by every authenticated user.
      if (str(init.sourceImage) !== '' && image) needs.push(on('compute.images.useReadOnly', image));
    } else if (str(disk.source) !== '') {
      needs.push(on('compute.disks.use', inProject(p, str(disk.source)) ?? str(disk.source)));
    }
  }
  for (const nic of arr(body.networkInterfaces)) {
    const subnetwork = str(nic.subnetwork) || `regions/${(p.zone ?? '').replace(/-[a-z]$/, '')}/subnetworks/default`;
    const subnet = inProject(p, subnetwork) ?? subnetwork;
    needs.push(on('compute.subnetworks.use', subnet));
    for (const ac of arr(nic.accessConfigs)) {
      needs.push(on('compute.subnetworks.useExternalIp', subnet));
      if (str(ac.natIP) !== '')
        needs.push(
          on(
            'compute.addresses.use',
            `${project(p)}/regions/${(p.zone ?? '').replace(/-[a-z]$/, '')}/addresses/${str(ac.natIP)}`,
          ),
        );
    }
  }
  const instance = zonal(p, 'instances', name);
  if (arr(obj(body.metadata).items).length > 0) needs.push(on('compute.instances.setMetadata', instance));
  if (Array.isArray(obj(body.tags).items) && (obj(body.tags).items as unknown[]).length > 0)
    needs.push(on('compute.instances.setTags', instance));
  if (Object.keys(obj(body.labels)).length > 0) needs.push(on('compute.instances.setLabels', instance));
  for (const sa of arr(body.serviceAccounts)) {
    needs.push(on('compute.instances.setServiceAccount', instance));
    needs.push(on('iam.serviceAccounts.actAs', `projects/-/serviceAccounts/${str(sa.email) || 'default'}`));
  }
  return needs;
}

const simple = (permission: string, resource: (p: Params) => string) => (p: Params) => [on(permission, resource(p))];
const inst = (verb: string) => simple(`compute.instances.${verb}`, (p) => zonal(p, 'instances', p.instance ?? ''));

const RULES: Rule[] = [
  rule('GET', P, simple('compute.projects.get', project)),
  rule('POST', `${P}/setCommonInstanceMetadata`, simple('compute.projects.setCommonInstanceMetadata', project)),
  rule('GET', `${P}/zones`, simple('compute.zones.list', project)),
  rule(
    'GET',
    Z,
    simple('compute.zones.get', (p) => `${project(p)}/zones/${p.zone ?? ''}`),
  ),
  rule('GET', `${P}/regions`, simple('compute.regions.list', project)),
  rule(
    'GET',
    R,
    simple('compute.regions.get', (p) => `${project(p)}/regions/${p.region ?? ''}`),
  ),
  rule('GET', `${G}/networks`, simple('compute.networks.list', project)),
  rule(
    'GET',
    `${G}/networks/{network}`,
    simple('compute.networks.get', (p) => global(p, 'networks', p.network ?? '')),
  ),
  rule('GET', `${R}/subnetworks`, simple('compute.subnetworks.list', project)),
  rule(
    'GET',
    `${R}/subnetworks/{subnetwork}`,
    simple('compute.subnetworks.get', (p) => regional(p, 'subnetworks', p.subnetwork ?? '')),
  ),
  rule('GET', `${P}/aggregated/subnetworks`, simple('compute.subnetworks.list', project)),

  rule('GET', `${P}/aggregated/instances`, simple('compute.instances.list', project)),
  rule('GET', `${Z}/instances`, simple('compute.instances.list', project)),
  rule('POST', `${Z}/instances`, insertInstanceNeeds),
  rule('GET', `${Z}/instances/{instance}`, inst('get')),
  rule('DELETE', `${Z}/instances/{instance}`, inst('delete')),
  rule('POST', `${Z}/instances/{instance}/stop`, inst('stop')),
  rule('POST', `${Z}/instances/{instance}/start`, inst('start')),
  rule('POST', `${Z}/instances/{instance}/reset`, inst('reset')),
  rule('POST', `${Z}/instances/{instance}/setMetadata`, inst('setMetadata')),
  rule('POST', `${Z}/instances/{instance}/setTags`, inst('setTags')),
  rule('POST', `${Z}/instances/{instance}/addAccessConfig`, (p, body) => {
    const region = (p.zone ?? '').replace(/-[a-z]$/, '');
    const needs = [on('compute.instances.addAccessConfig', zonal(p, 'instances', p.instance ?? ''))];
    if (str(body.natIP) !== '')
      needs.push(on('compute.addresses.use', `${project(p)}/regions/${region}/addresses/${str(body.natIP)}`));
    return needs;
  }),
  rule('POST', `${Z}/instances/{instance}/deleteAccessConfig`, inst('deleteAccessConfig')),
  rule('POST', `${Z}/instances/{instance}/setDeletionProtection`, inst('setDeletionProtection')),
  rule('POST', `${Z}/instances/{instance}/setDiskAutoDelete`, inst('setDiskAutoDelete')),
  rule('POST', `${Z}/instances/{instance}/setMachineType`, inst('setMachineType')),
  rule('POST', `${Z}/instances/{instance}/setMachineResources`, inst('setMachineResources')),
  rule('GET', `${Z}/instances/{instance}/getGuestAttributes`, inst('getGuestAttributes')),

  rule('GET', `${P}/aggregated/disks`, simple('compute.disks.list', project)),
  rule('GET', `${Z}/disks`, simple('compute.disks.list', project)),
  rule('POST', `${Z}/disks`, (p, body) => {
    const needs = [on('compute.disks.create', zonal(p, 'disks', str(body.name)))];
    const image = inProject(p, str(body.sourceImage));
    if (str(body.sourceImage) !== '' && image) needs.push(on('compute.images.useReadOnly', image));
    return needs;
  }),
  rule(
    'GET',
    `${Z}/disks/{disk}`,
    simple('compute.disks.get', (p) => zonal(p, 'disks', p.disk ?? '')),
  ),
  rule(
    'DELETE',
    `${Z}/disks/{disk}`,
    simple('compute.disks.delete', (p) => zonal(p, 'disks', p.disk ?? '')),
  ),

  rule('GET', `${P}/aggregated/addresses`, simple('compute.addresses.list', project)),
  rule('GET', `${R}/addresses`, simple('compute.addresses.list', project)),
  rule('POST', `${R}/addresses`, (p, body) => [
    on('compute.addresses.create', regional(p, 'addresses', str(body.name))),
  ]),
  rule(
    'GET',
    `${R}/addresses/{address}`,
    simple('compute.addresses.get', (p) => regional(p, 'addresses', p.address ?? '')),
  ),
  rule(
    'DELETE',
    `${R}/addresses/{address}`,
    simple('compute.addresses.delete', (p) => regional(p, 'addresses', p.address ?? '')),
  ),

  rule('GET', `${P}/aggregated/targetPools`, simple('compute.targetPools.list', project)),
  rule('GET', `${R}/targetPools`, simple('compute.targetPools.list', project)),
  rule('POST', `${R}/targetPools`, (p, body) => [
    on('compute.targetPools.create', regional(p, 'targetPools', str(body.name))),
  ]),
  rule(
    'GET',
    `${R}/targetPools/{targetPool}`,
    simple('compute.targetPools.get', (p) => regional(p, 'targetPools', p.targetPool ?? '')),
  ),
  rule(
    'DELETE',
    `${R}/targetPools/{targetPool}`,
    simple('compute.targetPools.delete', (p) => regional(p, 'targetPools', p.targetPool ?? '')),
  ),
  rule(
    'POST',
    `${R}/targetPools/{targetPool}/addInstance`,
    simple('compute.targetPools.addInstance', (p) => regional(p, 'targetPools', p.targetPool ?? '')),
  ),
  rule(
    'POST',
    `${R}/targetPools/{targetPool}/removeInstance`,
    simple('compute.targetPools.removeInstance', (p) => regional(p, 'targetPools', p.targetPool ?? '')),
  ),

  rule('GET', `${P}/aggregated/forwardingRules`, simple('compute.forwardingRules.list', project)),
  rule('GET', `${R}/forwardingRules`, simple('compute.forwardingRules.list', project)),
  rule('POST', `${R}/forwardingRules`, (p, body) => {
    const needs = [on('compute.forwardingRules.create', regional(p, 'forwardingRules', str(body.name)))];
    const target = inProject(p, str(body.target));
    if (target && str(body.target) !== '') needs.push(on('compute.targetPools.use', target));
    if (str(body.IPAddress) !== '')
      needs.push(
        on('compute.addresses.use', `${project(p)}/regions/${p.region ?? ''}/addresses/${last(str(body.IPAddress))}`),
      );
    return needs;
  }),
  rule(
    'GET',
    `${R}/forwardingRules/{forwardingRule}`,
    simple('compute.forwardingRules.get', (p) => regional(p, 'forwardingRules', p.forwardingRule ?? '')),
  ),
  rule(
    'DELETE',
    `${R}/forwardingRules/{forwardingRule}`,
    simple('compute.forwardingRules.delete', (p) => regional(p, 'forwardingRules', p.forwardingRule ?? '')),
  ),

  rule('GET', `${G}/firewalls`, simple('compute.firewalls.list', project)),
  rule('POST', `${G}/firewalls`, (p, body) => [
    on('compute.firewalls.create', global(p, 'firewalls', str(body.name))),
    on('compute.networks.updatePolicy', global(p, 'networks', last(str(body.network)) || 'default')),
  ]),
  rule(
    'GET',
    `${G}/firewalls/{firewall}`,
    simple('compute.firewalls.get', (p) => global(p, 'firewalls', p.firewall ?? '')),
  ),
  rule(
    'DELETE',
    `${G}/firewalls/{firewall}`,
    simple('compute.firewalls.delete', (p) => global(p, 'firewalls', p.firewall ?? '')),
  ),
  rule(
    'PATCH',
    `${G}/firewalls/{firewall}`,
    simple('compute.firewalls.update', (p) => global(p, 'firewalls', p.firewall ?? '')),
  ),

  ...(['zone', 'region', 'global'] as const).flatMap((scope) => {
    const base = scope === 'zone' ? Z : scope === 'region' ? R : G;
    const perm = `compute.${scope === 'global' ? 'global' : scope}Operations`;
    const res = (p: Params) =>
      scope === 'zone'
        ? zonal(p, 'operations', p.operation ?? '')
        : scope === 'region'
          ? regional(p, 'operations', p.operation ?? '')
          : global(p, 'operations', p.operation ?? '');
    return [
      rule('GET', `${base}/operations`, simple(`${perm}.list`, project)),
      rule('GET', `${base}/operations/{operation}`, simple(`${perm}.get`, res)),
      rule('POST', `${base}/operations/{operation}/wait`, simple(`${perm}.get`, res)),
      rule('DELETE', `${base}/operations/{operation}`, simple(`${perm}.delete`, res)),
    ];
  }),
];

/** The permissions a Compute call (path under /compute/v1) needs, in the order Compute checks them; [] for an unknown route. */
export function permissionsOfComputeCall(method: string, computePath: string, body: unknown): Needed[] {
  for (const r of RULES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(computePath);
    if (!m) continue;
    const params: Params = {};
    try {
      r.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1] ?? '');
      });
    } catch {
      return [];
    }
    return r.needs(params, obj(body));
  }
  return [];
}

/** A Compute call that needs a permission the caller lacks, refused as GCE refuses it (403 forbidden); else null. */
export function computeRefusal(iam: SandboxIam, method: string, computePath: string, body: unknown): IamAnswer | null {
  const missing = permissionsOfComputeCall(method, computePath, body).filter((n) => !iam.holds(n.permission));
  if (missing.length === 0) return null;
  const errors = missing.map((n) => ({
    message: `Required '${n.permission}' permission for '${n.resource}'`,
    domain: 'global',
    reason: 'forbidden',
  }));
  return { status: 403, body: { error: { code: 403, message: errors[0]?.message ?? 'Forbidden', errors } } };
}
