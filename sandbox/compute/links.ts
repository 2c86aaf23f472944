// Resource URLs, ids, fingerprints and timestamps in the shapes Compute Engine uses.
import { createHash, randomBytes } from 'node:crypto';

export const API_BASE = 'https://www.googleapis.com/compute/v1';

export const projectLink = (project: string) => `${API_BASE}/projects/${project}`;
export const zoneLink = (project: string, zone: string) => `${projectLink(project)}/zones/${zone}`;
export const regionLink = (project: string, region: string) => `${projectLink(project)}/regions/${region}`;
export const globalLink = (project: string, collection: string, name: string) =>
  `${projectLink(project)}/global/${collection}/${name}`;
export const zonalLink = (project: string, zone: string, collection: string, name: string) =>
  `${zoneLink(project, zone)}/${collection}/${name}`;
export const regionalLink = (project: string, region: string, collection: string, name: string) =>
  `${regionLink(project, region)}/${collection}/${name}`;

/** `projects/p/zones/z/instances/x`: how GCE names a resource in its error messages. */
export function resourcePath(selfLink: string): string {
  const i = selfLink.indexOf('/projects/');
  return i < 0 ? selfLink : selfLink.slice(i + 1);
}

export const lastSegment = (link: string) => link.slice(link.lastIndexOf('/') + 1);

export type ScopeKind = 'zones' | 'regions' | 'global';

export type ResourceRef = { project: string; scopeKind: ScopeKind; scope: string; collection: string; name: string };

/**
 * Reads a reference the way GCE accepts them: a full URL (any host, v1 or beta), a partial
 * `projects/p/zones/z/<collection>/n`, `zones/z/<collection>/n`, `global/<collection>/n`, or a bare
 * name resolved against the defaults. Returns undefined when the reference does not parse.
 */
export function parseRef(
  ref: string,
  defaults: { project: string; scopeKind: ScopeKind; scope: string; collection: string },
): ResourceRef | undefined {
  let rest = ref.trim();
  const projectsAt = rest.indexOf('projects/');
  if (/^https?:\/\//.test(rest) && projectsAt < 0) return undefined;
  if (projectsAt >= 0) rest = rest.slice(projectsAt);
  const parts = rest.split('/').filter((p) => p.length > 0);
  let project = defaults.project;
  if (parts[0] === 'projects') {
    const p = parts[1];
    if (!p) return undefined;
    project = p;
    parts.splice(0, 2);
  }
  if (parts.length === 1 && parts[0]) {
    return { ...defaults, project, name: parts[0] };
  }
  const [kind, ...tail] = parts;
  if (kind === 'global' && tail.length === 2 && tail[0] && tail[1]) {
    return { project, scopeKind: 'global', scope: 'global', collection: tail[0], name: tail[1] };
  }
  if ((kind === 'zones' || kind === 'regions') && tail.length === 3 && tail[0] && tail[1] && tail[2]) {
    return { project, scopeKind: kind, scope: tail[0], collection: tail[1], name: tail[2] };
  }
  return undefined;
}

/** A uint64 id as GCE prints it: a decimal string. */
export function newId(): string {
  return (randomBytes(8).readBigUInt64BE() >> 1n).toString();
}

/** Stable id for catalog resources (zones, regions, networks), so they do not change across restarts. */
export function stableId(key: string): string {
  return (createHash('sha256').update(key).digest().readBigUInt64BE() >> 1n).toString();
}

export function newFingerprint(): string {
  return randomBytes(8).toString('base64');
}

export function newOperationName(now = Date.now()): string {
  const hex = (n: number) => randomBytes(n).toString('hex');
  return `operation-${now}-${hex(7).slice(0, 13)}-${hex(4)}-${hex(4)}`;
}

const pacificOffset = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', timeZoneName: 'longOffset' });

/** RFC 3339 in US Pacific time with its offset, e.g. `2024-05-01T03:04:05.678-07:00`, as GCE writes it. */
export function gceTimestamp(at: Date = new Date()): string {
  const name = pacificOffset.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  const sign = m?.[1] === '+' ? 1 : -1;
  const minutes = m ? sign * (Number(m[2]) * 60 + Number(m[3])) : 0;
  const local = new Date(at.getTime() + minutes * 60_000).toISOString().slice(0, 23);
  const abs = Math.abs(minutes);
  const offset = `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${local}${offset}`;
}

/** Stable project number derived from the project id (GCE's numeric project id). */
export function projectNumber(project: string): string {
  const n = createHash('sha256').update(`project:${project}`).digest().readBigUInt64BE() % 900_000_000_000n;
  return (n + 100_000_000_000n).toString();
}

/** Fingerprint that stays the same for the same key (catalog resources). */
export function stableFingerprint(key: string): string {
  return createHash('sha256').update(key).digest().subarray(0, 8).toString('base64');
}
