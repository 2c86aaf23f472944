// Sandbox fault injection for Compute Engine calls: "the next N calls of method M (optionally in zone Z) fail
// with E", E one of the failures Google documents (lib/adapters/gce/gce-error-fixtures.ts has the bodies):
//
//   rateLimited         429, reason rateLimitExceeded (the per-minute API quota)
//   rateLimitExceeded   403, reason rateLimitExceeded, domain usageLimits
//   backendError        503, reason backendError
//   resourceNotReady    400, reason resourceNotReady
//   QUOTA_EXCEEDED      403 quotaExceeded as an HTTP answer, or a failed Operation with quotaInfo
//   ZONE_RESOURCE_POOL_EXHAUSTED   a stockout: by default a failed Operation (as Google reports it on insert)
//
// `as: 'operation'` accepts the call (an Operation is returned, nothing is applied) and fails the Operation;
// `answerLost: true` applies the call and then answers with the error (the answer lost on the way back), so a
// client that retries with the same requestId must get the first Operation, not a second resource. Sandbox only,
// like the other chaos controls; not persisted. Works with any VM host.
//
//   POST   /sandbox/v1/chaos/compute-faults   { method: "instances.insert", zone?, count, error, as?, answerLost?, quota? }
//   GET    /sandbox/v1/chaos/compute-faults   { pending: [...], fired: [...] }
//   DELETE /sandbox/v1/chaos/compute-faults   clears both
import { z } from 'zod';
import type { Cloud } from '../compute/cloud';
import { GceError } from '../compute/gce-error';
import { zonalLink, regionalLink, globalLink } from '../compute/links';
import { requestKeyOf } from '../compute/router';

export type FaultAnswer = { status: number; body: unknown };

export const COMPUTE_FAULT_ERRORS = [
  'rateLimited',
  'rateLimitExceeded',
  'backendError',
  'resourceNotReady',
  'QUOTA_EXCEEDED',
  'ZONE_RESOURCE_POOL_EXHAUSTED',
] as const;

const faultSchema = z.object({
  /** `<collection>.<method>` as in Google's API reference: `instances.insert`, `disks.delete`, `zoneOperations.wait`. */
  method: z.string().regex(/^[a-zA-Z]+\.[a-zA-Z]+$/),
  zone: z.string().min(1).optional(),
  count: z.number().int().min(1).max(100).default(1),
  error: z.enum(COMPUTE_FAULT_ERRORS),
  as: z.enum(['http', 'operation']).optional(),
  answerLost: z.boolean().default(false),
  /** QUOTA_EXCEEDED: the quota named (default CPUS, SSD_TOTAL_GB for disks). */
  quota: z
    .string()
    .regex(/^[A-Z_]+$/)
    .optional(),
});
type Fault = z.infer<typeof faultSchema>;
type Fired = {
  method: string;
  zone: string | null;
  error: Fault['error'];
  as: 'http' | 'operation';
  answerLost: boolean;
  requestId: string | null;
  at: string;
};

const PATH = '/sandbox/v1/chaos/compute-faults';
const faults = new WeakMap<Cloud, { pending: Fault[]; fired: Fired[] }>();

function stateOf(cloud: Cloud) {
  let s = faults.get(cloud);
  if (!s) {
    s = { pending: [], fired: [] };
    faults.set(cloud, s);
  }
  return s;
}

/** The control endpoint; null for any other path. */
export function handleComputeFaults(cloud: Cloud, method: string, path: string, body: unknown): FaultAnswer | null {
  if (path !== PATH) return null;
  const s = stateOf(cloud);
  if (method === 'GET') return { status: 200, body: { pending: s.pending, fired: s.fired } };
  if (method === 'DELETE') {
    s.pending = [];
    s.fired = [];
    return { status: 200, body: { pending: [], fired: [] } };
  }
  if (method !== 'POST')
    return {
      status: 405,
      body: new GceError(405, 'methodNotAllowed', `Use GET, POST or DELETE for ${path}.`).toJSON(),
    };
  const parsed = faultSchema.safeParse(body);
  if (!parsed.success)
    return {
      status: 400,
      body: new GceError(400, 'invalid', `Invalid fault: ${parsed.error.issues[0]?.message ?? 'invalid'}`).toJSON(),
    };
  if (parsed.data.zone !== undefined) {
    try {
      cloud.requireZone(parsed.data.zone);
    } catch (err) {
      if (err instanceof GceError) return { status: err.httpStatus, body: err.toJSON() };
      throw err;
    }
  }
  s.pending.push(parsed.data);
  return { status: 200, body: { pending: s.pending, fired: s.fired } };
}

type Call = { method: string; project: string; zone: string | null; region: string | null; name: string | null };

/** What Google's API reference calls a request (`instances.insert`), from its HTTP method and path under /compute/v1. */
export function computeCallOf(httpMethod: string, path: string, body: unknown): Call | null {
  const m =
    /^\/projects\/([^/]+)(?:\/(zones|regions)\/([^/]+)|\/(global|aggregated))?(?:\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?)?$/.exec(
      path,
    );
  if (!m) return null;
  const [, project = '', scopeKind, scopeName, special, collection, name, verb] = m;
  const zone = scopeKind === 'zones' ? (scopeName ?? null) : null;
  const region = scopeKind === 'regions' ? (scopeName ?? null) : null;
  if (collection === undefined)
    return scopeKind
      ? { method: `${scopeKind}.get`, project, zone, region, name: scopeName ?? null }
      : { method: 'projects.get', project, zone, region, name: null };
  if (collection === 'operations') {
    const prefix = zone ? 'zoneOperations' : region ? 'regionOperations' : 'globalOperations';
    return {
      method: `${prefix}.${verb ?? (name ? (httpMethod === 'DELETE' ? 'delete' : 'get') : 'list')}`,
      project,
      zone,
      region,
      name: name ?? null,
    };
  }
  if (special === 'aggregated') return { method: `${collection}.aggregatedList`, project, zone, region, name: null };
  if (name === undefined) {
    const bodyName =
      typeof body === 'object' && body !== null && 'name' in body && typeof body.name === 'string' ? body.name : null;
    return {
      method: `${collection}.${httpMethod === 'POST' ? 'insert' : 'list'}`,
      project,
      zone,
      region,
      name: bodyName,
    };
  }
  const plain = httpMethod === 'DELETE' ? 'delete' : httpMethod === 'PATCH' ? 'patch' : 'get';
  return { method: `${collection}.${verb ?? plain}`, project, zone, region, name };
}

function regionOf(call: Call): string {
  return call.region ?? call.zone?.replace(/-[a-z]$/, '') ?? 'global';
}

/** The HTTP answer Google gives for the fault. */
function httpError(f: Fault, call: Call): GceError {
  const where = call.zone ? `zones/${call.zone}` : call.region ? `regions/${call.region}` : 'global';
  switch (f.error) {
    case 'rateLimited':
      return new GceError(
        429,
        'rateLimitExceeded',
        `Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'compute.googleapis.com' for consumer 'project_number:${call.project}'.`,
      );
    case 'rateLimitExceeded':
      return new GceError(403, 'rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits');
    case 'backendError':
      return new GceError(
        503,
        'backendError',
        "Internal error. Please try again or contact Google Support. (Code: '-7214530913482069112')",
      );
    case 'resourceNotReady':
      return new GceError(
        400,
        'resourceNotReady',
        `The resource 'projects/${call.project}/${where}/${call.method.split('.')[0] ?? 'resources'}/${call.name ?? 'unknown'}' is not ready`,
      );
    case 'QUOTA_EXCEEDED':
      return new GceError(403, 'quotaExceeded', quotaMessage(f, call), 'usageLimits');
    case 'ZONE_RESOURCE_POOL_EXHAUSTED':
      return new GceError(503, 'ZONE_RESOURCE_POOL_EXHAUSTED', stockoutMessage(call));
  }
}

/** Google's metric of a few quotas (https://cloud.google.com/compute/resource-usage). */
const QUOTA_METRICS: Record<string, string> = {
  CPUS: 'cpus',
  SSD_TOTAL_GB: 'ssd_total_storage',
  DISKS_TOTAL_GB: 'disks_total_storage',
};

function quotaName(f: Fault, call: Call): string {
  return f.quota ?? (call.method.startsWith('disks.') ? 'SSD_TOTAL_GB' : 'CPUS');
}

function quotaMessage(f: Fault, call: Call): string {
  return `Quota '${quotaName(f, call)}' exceeded.  Limit: 24.0 in region ${regionOf(call)}.`;
}

function stockoutMessage(call: Call): string {
  return `The zone 'projects/${call.project}/zones/${call.zone ?? 'unknown'}' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.`;
}

/** The failed Operation's error (`error.errors[0]`) and httpErrorStatusCode for the fault. */
function operationFailure(f: Fault, call: Call): NonNullable<Parameters<Cloud['startOperation']>[0]['failure']> {
  if (f.error === 'ZONE_RESOURCE_POOL_EXHAUSTED')
    return { httpStatus: 503, code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: stockoutMessage(call) };
  if (f.error === 'QUOTA_EXCEEDED') {
    const quota = quotaName(f, call);
    return {
      httpStatus: 403,
      code: 'QUOTA_EXCEEDED',
      message: quotaMessage(f, call),
      errorDetails: [
        {
          quotaInfo: {
            metricName: `compute.googleapis.com/${QUOTA_METRICS[quota] ?? quota.toLowerCase()}`,
            limitName: `${quota.replaceAll('_', '-')}-per-project-region`,
            dimensions: { region: regionOf(call) },
            limit: 24,
          },
        },
      ],
    };
  }
  const e = httpError(f, call);
  return { httpStatus: e.httpStatus, code: e.operationCode, message: e.message };
}

/**
 * Answers a Compute call (path under /compute/v1) with an injected fault when one is pending for it; else
 * `handle`s it as usual.
 */
export async function withComputeFaults(
  cloud: Cloud,
  httpMethod: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
  handle: () => Promise<FaultAnswer>,
): Promise<FaultAnswer> {
  const s = faults.get(cloud);
  if (!s || s.pending.length === 0) return handle();
  const call = computeCallOf(httpMethod, path, body);
  const index = call
    ? s.pending.findIndex((f) => f.method === call.method && (f.zone === undefined || f.zone === call.zone))
    : -1;
  const fault = index === -1 ? undefined : s.pending[index];
  if (!call || !fault) return handle();
  fault.count--;
  if (fault.count <= 0) s.pending.splice(index, 1);
  const requestId = query.get('requestId');
  const as = fault.as ?? (fault.error === 'ZONE_RESOURCE_POOL_EXHAUSTED' ? 'operation' : 'http');
  s.fired.push({
    method: call.method,
    zone: call.zone,
    error: fault.error,
    as,
    answerLost: fault.answerLost,
    requestId,
    at: new Date().toISOString(),
  });

  if (fault.answerLost) {
    await handle();
    const e = httpError(fault, call);
    return { status: e.httpStatus, body: e.toJSON() };
  }
  if (as === 'http') {
    const e = httpError(fault, call);
    return { status: e.httpStatus, body: e.toJSON() };
  }
  // Accepted, then failed: an Operation that ends DONE with the error and applies nothing. A re-sent requestId
  // gets this same Operation back, as on Google.
  if (requestId) {
    const earlier = cloud.findOperationByRequestId(call.project, requestId);
    if (earlier) return { status: 200, body: earlier.op };
  }
  const scope = call.zone ? { zone: call.zone } : call.region ? { region: call.region } : { global: true as const };
  const collection = call.method.split('.')[0] ?? 'resources';
  const name = call.name ?? 'unknown';
  const selfLink = call.zone
    ? zonalLink(call.project, call.zone, collection, name)
    : call.region
      ? regionalLink(call.project, call.region, collection, name)
      : globalLink(call.project, collection, name);
  const op = cloud.startOperation({
    project: call.project,
    scope,
    operationType: call.method.split('.')[1] ?? 'unknown',
    target: { selfLink },
    failure: operationFailure(fault, call),
    ...(requestId ? { requestId } : {}),
  });
  if (requestId) cloud.recordRequest(call.project, op.name, requestId, requestKeyOf(httpMethod, path, query, body));
  return { status: 200, body: op };
}
