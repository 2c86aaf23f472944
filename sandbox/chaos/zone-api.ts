// Sandbox chaos "zone API down": Compute's control plane for one zone stops answering, while the VMs of
// the zone keep running (the opposite of a zone outage, where the guests are cut off and the API still
// answers). During it every zonal Compute call for the zone (instances, disks, zone operations, the zone
// itself) fails with 503 backendError, and an aggregatedList fails outright unless it sets
// returnPartialSuccess=true; then it answers with `unreachables: ["zones/<zone>"]` and the zone's scope
// carries the warning UNREACHABLE. Not persisted: a sandbox restart brings every zone's API back.
//
//   POST /sandbox/v1/chaos/zones/<zone>/api-down
//   POST /sandbox/v1/chaos/zones/<zone>/api-up
// Both answer { "zonesApiDown": [zone, ...] }.
import type { Cloud } from '../compute/cloud';
import { GceError } from '../compute/gce-error';

export type ZoneApiAnswer = { status: number; body: unknown };

const ZONE_API_ACTION = /^\/sandbox\/v1\/chaos\/zones\/([^/]+)\/(api-down|api-up)$/;
const ZONAL_PATH = /^\/projects\/[^/]+\/zones\/([^/]+)(?:\/|$)/;

/** Answers the two control endpoints; null for any other path (the other chaos controls take it). */
export function handleZoneApiChaos(cloud: Cloud, method: string, path: string): ZoneApiAnswer | null {
  const m = ZONE_API_ACTION.exec(path);
  if (!m) return null;
  if (method !== 'POST') {
    return { status: 405, body: new GceError(405, 'methodNotAllowed', `Use POST for ${path}.`).toJSON() };
  }
  let zone: string;
  try {
    zone = decodeURIComponent(m[1] ?? '');
    cloud.requireZone(zone);
  } catch (err) {
    if (err instanceof GceError) return { status: err.httpStatus, body: err.toJSON() };
    return { status: 400, body: new GceError(400, 'invalid', `Invalid URL path ${path}`).toJSON() };
  }
  if (m[2] === 'api-down') cloud.zonesApiDown.add(zone);
  else cloud.zonesApiDown.delete(zone);
  return { status: 200, body: { zonesApiDown: [...cloud.zonesApiDown].sort() } };
}

/** A zonal Compute call (path under /compute/v1) for a zone whose API is down, answered as GCE fails it; else null. */
export function zoneApiRefusal(cloud: Cloud, computePath: string): ZoneApiAnswer | null {
  const zone = ZONAL_PATH.exec(computePath)?.[1];
  if (zone === undefined || !cloud.zonesApiDown.has(zone)) return null;
  const err = new GceError(503, 'backendError', 'The service is currently unavailable.');
  return { status: 503, body: err.toJSON() };
}

/** The aggregatedList scopes that cannot be reached now, as `zones/<zone>`. */
export function unreachableScopes(cloud: Cloud): ReadonlySet<string> {
  return new Set([...cloud.zonesApiDown].map((z) => `zones/${z}`));
}
