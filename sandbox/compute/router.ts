// The Compute Engine v1 routes the sandbox serves, as a table of method + path template -> handler.
// Paths are relative to /compute/v1.
import type { ApiRequest, Handler } from './api';
import type { Cloud } from './cloud';
import * as disks from './disks';
import { GceError } from './gce-error';
import * as geo from './geography';
import * as instances from './instances';
import * as net from './networking';
import * as ops from './operations';

type Method = 'GET' | 'POST' | 'DELETE';
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
      // GCE's idempotency: a mutation re-sent with the same requestId returns the first operation.
      const requestId = query.get('requestId');
      const project = params.project;
      if (r.mutating && requestId && project) {
        const earlier = cloud.findOperationByRequestId(project, requestId);
        if (earlier) return { status: 200, body: earlier };
      }
      const req: ApiRequest = { params, query, body, signal };
      return { status: 200, body: await r.handler(cloud, req) };
    } catch (err) {
      if (err instanceof GceError) return { status: err.httpStatus, body: err.toJSON() };
      if (err instanceof URIError) return { status: 400, body: new GceError(400, 'invalid', `Invalid URL path ${path}`).toJSON() };
      throw err;
    }
  }
  const notFound = new GceError(404, 'notFound', `The requested URL /compute/v1${path} was not found on this server (${method}).`);
  return { status: 404, body: notFound.toJSON() };
}
