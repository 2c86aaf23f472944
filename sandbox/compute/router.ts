// The Compute Engine v1 routes the sandbox serves, as a table of method + path template -> handler.
// Paths are relative to /compute/v1.
import { createHash } from 'node:crypto';
import { unreachableScopes } from '../chaos/zone-api';
import type { ApiRequest, Handler } from './api';
import type { Cloud } from './cloud';
import * as disks from './disks';
import { GceError, invalidField } from './gce-error';
import * as geo from './geography';
import * as instances from './instances';
import * as net from './networking';
import * as ops from './operations';
import * as projects from './projects';

type Method = 'GET' | 'POST' | 'DELETE' | 'PATCH';
type Route = { method: Method; pattern: RegExp; keys: string[]; handler: Handler; mutating: boolean };

function route(method: Method, template: string, handler: Handler, opts: { mutating?: boolean } = {}): Route {
  const keys: string[] = [];
  const source = template.replace(/\{(\w+)\}/g, (_, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { method, pattern: new RegExp(`^${source}$`), keys, handler, mutating: opts.mutating ?? method !== 'GET' };
}

const P = '/projects/{project}';
const Z = `${P}/zones/{zone}`;
const R = `${P}/regions/{region}`;
const G = `${P}/global`;

const ROUTES: Route[] = [
  route('GET', P, projects.getProject),
  route('POST', `${P}/setCommonInstanceMetadata`, projects.setCommonInstanceMetadata),

  route('GET', `${P}/zones`, geo.listZones),
  route('GET', Z, geo.getZone),
  route('GET', `${P}/regions`, geo.listRegions),
  route('GET', R, geo.getRegion),
  route('GET', `${G}/networks`, geo.listNetworks),
  route('GET', `${G}/networks/{network}`, geo.getNetwork),
  route('GET', `${R}/subnetworks`, geo.listSubnetworks),
  route('GET', `${R}/subnetworks/{subnetwork}`, geo.getSubnetwork),
  route('GET', `${P}/aggregated/subnetworks`, geo.aggregatedSubnetworks),

  route('GET', `${P}/aggregated/instances`, instances.aggregatedInstances),
  route('GET', `${Z}/instances`, instances.listInstances),
  route('POST', `${Z}/instances`, instances.insertInstance),
  route('GET', `${Z}/instances/{instance}`, instances.getInstance),
  route('DELETE', `${Z}/instances/{instance}`, instances.deleteInstance),
  route('POST', `${Z}/instances/{instance}/stop`, instances.stopInstance),
  route('POST', `${Z}/instances/{instance}/start`, instances.startInstance),
  route('POST', `${Z}/instances/{instance}/reset`, instances.resetInstance),
  route('POST', `${Z}/instances/{instance}/setMetadata`, instances.setInstanceMetadata),
  route('POST', `${Z}/instances/{instance}/setTags`, instances.setInstanceTags),
  route('POST', `${Z}/instances/{instance}/addAccessConfig`, instances.addAccessConfig),
  route('POST', `${Z}/instances/{instance}/deleteAccessConfig`, instances.deleteAccessConfig),
  route('POST', `${Z}/instances/{instance}/setDeletionProtection`, instances.setDeletionProtection),
  route('POST', `${Z}/instances/{instance}/setDiskAutoDelete`, instances.setDiskAutoDelete),
  route('POST', `${Z}/instances/{instance}/setMachineType`, instances.setMachineType),
  route('POST', `${Z}/instances/{instance}/setMachineResources`, instances.setMachineResources),
  route('GET', `${Z}/instances/{instance}/getGuestAttributes`, instances.getGuestAttributes),

  route('GET', `${P}/aggregated/disks`, disks.aggregatedDisks),
  route('GET', `${Z}/disks`, disks.listDisks),
  route('POST', `${Z}/disks`, disks.insertDisk),
  route('GET', `${Z}/disks/{disk}`, disks.getDisk),
  route('DELETE', `${Z}/disks/{disk}`, disks.deleteDisk),

  route('GET', `${P}/aggregated/addresses`, net.aggregatedAddresses),
  route('GET', `${R}/addresses`, net.listAddresses),
  route('POST', `${R}/addresses`, net.insertAddress),
  route('GET', `${R}/addresses/{address}`, net.getAddress),
  route('DELETE', `${R}/addresses/{address}`, net.deleteAddress),

  route('GET', `${P}/aggregated/targetPools`, net.aggregatedTargetPools),
  route('GET', `${R}/targetPools`, net.listTargetPools),
  route('POST', `${R}/targetPools`, net.insertTargetPool),
  route('GET', `${R}/targetPools/{targetPool}`, net.getTargetPool),
  route('DELETE', `${R}/targetPools/{targetPool}`, net.deleteTargetPool),
  route('POST', `${R}/targetPools/{targetPool}/addInstance`, net.addTargetPoolInstance),
  route('POST', `${R}/targetPools/{targetPool}/removeInstance`, net.removeTargetPoolInstance),

  route('GET', `${P}/aggregated/forwardingRules`, net.aggregatedForwardingRules),
  route('GET', `${R}/forwardingRules`, net.listForwardingRules),
  route('POST', `${R}/forwardingRules`, net.insertForwardingRule),
  route('GET', `${R}/forwardingRules/{forwardingRule}`, net.getForwardingRule),
  route('DELETE', `${R}/forwardingRules/{forwardingRule}`, net.deleteForwardingRule),

  route('GET', `${G}/firewalls`, net.listFirewalls),
  route('POST', `${G}/firewalls`, net.insertFirewall),
  route('GET', `${G}/firewalls/{firewall}`, net.getFirewall),
  route('DELETE', `${G}/firewalls/{firewall}`, net.deleteFirewall),
  route('PATCH', `${G}/firewalls/{firewall}`, net.patchFirewall),

  route('GET', `${Z}/operations`, ops.listOperations),
  route('GET', `${Z}/operations/{operation}`, ops.getOperation),
  route('POST', `${Z}/operations/{operation}/wait`, ops.waitOperation, { mutating: false }),
  route('DELETE', `${Z}/operations/{operation}`, ops.deleteOperation, { mutating: false }),
  route('GET', `${R}/operations`, ops.listOperations),
  route('GET', `${R}/operations/{operation}`, ops.getOperation),
  route('POST', `${R}/operations/{operation}/wait`, ops.waitOperation, { mutating: false }),
  route('DELETE', `${R}/operations/{operation}`, ops.deleteOperation, { mutating: false }),
  route('GET', `${G}/operations`, ops.listOperations),
  route('GET', `${G}/operations/{operation}`, ops.getOperation),
  route('POST', `${G}/operations/{operation}/wait`, ops.waitOperation, { mutating: false }),
  route('DELETE', `${G}/operations/{operation}`, ops.deleteOperation, { mutating: false }),
];

export type ApiAnswer = { status: number; body: unknown };

/** Answers one request under /compute/v1 (`path` without that prefix). */
export async function handleComputeRequest(
  cloud: Cloud,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
  signal: AbortSignal,
): Promise<ApiAnswer> {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    try {
      r.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1] ?? '');
      });
      // GCE's idempotency: a mutation re-sent with the same requestId returns the first call's operation.
      // The requestId is tied to the call it came with, so a reuse for another call is refused.
      const requestId = query.get('requestId') ?? '';
      const project = params.project;
      const idempotent = r.mutating && requestId !== '' && project !== undefined;
      const requestKey = idempotent ? requestKeyOf(method, path, query, body) : '';
      if (idempotent) {
        checkRequestId(requestId);
        const earlier = cloud.findOperationByRequestId(project, requestId);
        if (earlier) {
          if (earlier.requestKey !== undefined && earlier.requestKey !== requestKey) {
            throw invalidField('requestId', requestId, 'The request id was already used for a different request.');
          }
          return { status: 200, body: earlier.op };
        }
      }
      const req: ApiRequest = { params, query, body, signal, unreachableScopes: unreachableScopes(cloud) };
      const result = await r.handler(cloud, req);
      if (idempotent && isOperation(result)) {
        cloud.recordRequest(project, result.name, requestId, requestKey);
        return { status: 200, body: { ...result, clientOperationId: requestId } };
      }
      return { status: 200, body: result };
    } catch (err) {
      if (err instanceof GceError) return { status: err.httpStatus, body: err.toJSON() };
      if (err instanceof URIError)
        return { status: 400, body: new GceError(400, 'invalid', `Invalid URL path ${path}`).toJSON() };
      throw err;
    }
  }
  const notFound = new GceError(
    404,
    'notFound',
    `The requested URL /compute/v1${path} was not found on this server (${method}).`,
  );
  return { status: 404, body: notFound.toJSON() };
}

// A UUID (any version), not the nil UUID: what GCE accepts as a requestId.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

function checkRequestId(requestId: string): void {
  if (!UUID.test(requestId) || requestId === NIL_UUID) {
    throw invalidField(
      'requestId',
      requestId,
      `The request id must be a valid UUID with the exception that zero UUID is not supported (${NIL_UUID}).`,
    );
  }
}

/** The call a requestId came with: method, path, query (without requestId and the client's `$` options) and body. */
export function requestKeyOf(method: string, path: string, query: URLSearchParams, body: unknown): string {
  const params = [...query.entries()]
    .filter(([k]) => k !== 'requestId' && !k.startsWith('$'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const bodyHash = createHash('sha256')
    .update(JSON.stringify(body ?? null))
    .digest('base64url');
  return `${method} ${path}?${params} ${bodyHash}`;
}

function isOperation(value: unknown): value is { kind: 'compute#operation'; name: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'kind' in value &&
    value.kind === 'compute#operation' &&
    'name' in value &&
    typeof value.name === 'string'
  );
}
