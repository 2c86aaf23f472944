// The emulator's own log of the Compute API requests it answered, so a test can check what a client really sent
// (a dry run's listed calls against the calls made) without trusting the client's account of it. Sandbox only,
// beside the chaos controls; not persisted; bounded (the oldest entries go first). Works with any VM host.
//
//   GET /sandbox/v1/chaos/compute-requests?after=<seq>
//     -> { entries: [{ seq, at, httpMethod, path, method, project, zone, region, name, requestId, status }], next, dropped }
//
// `method` is Google's name of the call (`instances.insert`, `zoneOperations.wait`), `name` the resource it names
// (an insert's from its body), `requestId` whether the query carried one, `status` the HTTP status answered
// (faults injected and refusals included). `next` is the seq to ask `after` next time; `dropped` counts entries
// after `after` that no longer fit the log.
import type { Cloud } from '../compute/cloud';
import { GceError } from '../compute/gce-error';
import { computeCallOf } from './compute-faults';

export type ComputeRequestEntry = {
  seq: number;
  at: string;
  httpMethod: string;
  /** Under /compute/v1. */
  path: string;
  /** Google's name of the call, or null for a path that names none. */
  method: string | null;
  project: string | null;
  zone: string | null;
  region: string | null;
  name: string | null;
  requestId: boolean;
  status: number;
};

export const COMPUTE_REQUEST_LOG_SIZE = 5_000;
const PATH = '/sandbox/v1/chaos/compute-requests';

type Log = { entries: ComputeRequestEntry[]; seq: number };
const logs = new WeakMap<Cloud, Log>();

function logOf(cloud: Cloud): Log {
  let log = logs.get(cloud);
  if (!log) {
    log = { entries: [], seq: 0 };
    logs.set(cloud, log);
  }
  return log;
}

/** Records one answered request (path under /compute/v1). */
export function recordComputeRequest(
  cloud: Cloud,
  req: { httpMethod: string; path: string; query: URLSearchParams; body: unknown; status: number },
  size = COMPUTE_REQUEST_LOG_SIZE,
): void {
  const log = logOf(cloud);
  const call = computeCallOf(req.httpMethod, req.path, req.body);
  log.seq += 1;
  log.entries.push({
    seq: log.seq,
    at: new Date().toISOString(),
    httpMethod: req.httpMethod,
    path: req.path,
    method: call?.method ?? null,
    project: call?.project ?? null,
    zone: call?.zone ?? null,
    region: call?.region ?? null,
    name: call?.name ?? null,
    requestId: (req.query.get('requestId') ?? '') !== '',
    status: req.status,
  });
  if (log.entries.length > size) log.entries.splice(0, log.entries.length - size);
}

/** The control endpoint; null for any other path. */
export function handleComputeRequests(
  cloud: Cloud,
  method: string,
  path: string,
  query: URLSearchParams,
): { status: number; body: unknown } | null {
  if (path !== PATH) return null;
  if (method !== 'GET')
    return { status: 405, body: new GceError(405, 'methodNotAllowed', `Use GET for ${path}.`).toJSON() };
  const raw = query.get('after') ?? '0';
  const after = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (Number.isNaN(after))
    return {
      status: 400,
      body: new GceError(400, 'invalid', `Invalid value for "after": ${raw} (a seq number).`).toJSON(),
    };
  const log = logOf(cloud);
  const entries = log.entries.filter((e) => e.seq > after);
  const oldest = log.entries[0]?.seq ?? log.seq + 1;
  const dropped = Math.max(0, Math.min(oldest, log.seq + 1) - after - 1);
  return { status: 200, body: { entries, next: log.seq, dropped } };
}
