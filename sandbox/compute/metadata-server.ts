// GCE's metadata server, for the VM agents. Like the real one it needs `Metadata-Flavor: Google` and
// knows its caller by the source address of the request: the VM agent binds its sockets to the
// instance's internal IP, so req.socket.remoteAddress is the networkIP of a RUNNING instance.
// Paths are relative to /computeMetadata/v1.
//
// Every answer carries an ETag (a hash of its body). `?wait_for_change=true` holds a GET until its answer
// differs from `last_etag` (or, without one, from the answer at the time of the call), or until
// `timeout_sec` passes (then the unchanged answer), as GCE's does; the guest agent stand-in watches
// metadata this way instead of polling.
import { createHash } from 'node:crypto';
import type { Cloud } from './cloud';
import { lastSegment, projectNumber } from './links';
import { guestAttributesEnabled, projectMetadata } from './projects';

export type MetadataAnswer = { status: number; body: string; contentType: string };

const text = (status: number, body: string): MetadataAnswer => ({ status, body, contentType: 'application/text' });
const json = (body: unknown): MetadataAnswer => ({
  status: 200,
  body: JSON.stringify(body),
  contentType: 'application/json',
});

/** Without timeout_sec a watch is held at most this long (GCE holds it until a change; this bounds a leak). */
const MAX_WAIT_SEC = 3600;
/** Guest attribute namespaces and keys: GCE's limits are similar (letters, digits, `-`, `_`). */
const GUEST_ATTRIBUTE_PART = /^[A-Za-z0-9_-]{1,128}$/;
const GUEST_ATTRIBUTE_VALUE_MAX = 128 * 1024;

export function etagOf(answer: MetadataAnswer): string {
  return createHash('sha256').update(`${answer.status}\n${answer.body}`).digest('hex').slice(0, 16);
}

export type MetadataRequest = {
  method: string;
  path: string;
  query: URLSearchParams;
  flavor: string | undefined;
  remoteAddress: string;
  /** The request body (PUT of a guest attribute). */
  body: string;
  /** Aborted when the client goes away: a held watch ends. */
  signal?: AbortSignal;
};

/** Answers one request, holding it first when it asks to wait for a change. */
export async function handleMetadataRequest(cloud: Cloud, req: MetadataRequest): Promise<MetadataAnswer> {
  const first = answerMetadata(cloud, req);
  if (req.method !== 'GET' || req.query.get('wait_for_change') !== 'true' || first.status === 403) return first;
  const lastEtag = req.query.get('last_etag') ?? etagOf(first);
  if (etagOf(first) !== lastEtag) return first;
  const timeoutRaw = Number(req.query.get('timeout_sec') ?? MAX_WAIT_SEC);
  const timeoutMs =
    Math.min(Number.isFinite(timeoutRaw) && timeoutRaw > 0 ? timeoutRaw : MAX_WAIT_SEC, MAX_WAIT_SEC) * 1000;
  return new Promise((resolve) => {
    let done = false;
    const finish = (answer: MetadataAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      req.signal?.removeEventListener('abort', onAbort);
      resolve(answer);
    };
    const onAbort = () => finish(answerMetadata(cloud, req));
    const timer = setTimeout(() => finish(answerMetadata(cloud, req)), timeoutMs);
    const unsubscribe = cloud.onChange(() => {
      const now = answerMetadata(cloud, req);
      if (etagOf(now) !== lastEtag) finish(now);
    });
    req.signal?.addEventListener('abort', onAbort);
  });
}

function answerMetadata(cloud: Cloud, req: MetadataRequest): MetadataAnswer {
  const { method, path, query } = req;
  if (req.flavor !== 'Google') return text(403, 'Missing required header: Metadata-Flavor: Google\n');
  const guestAttribute = /^\/instance\/guest-attributes(?:\/([^/]*))?(?:\/([^/]*))?$/.exec(path);
  if (method !== 'GET' && !(method === 'PUT' && guestAttribute)) return text(405, 'Method not allowed\n');
  const caller = cloud.findRunningInstanceByIp(req.remoteAddress);
  if (!caller) return text(404, `No RUNNING instance has the address ${req.remoteAddress}\n`);
  const { project, instance } = caller;
  const zone = lastSegment(instance.zone);
  const nic = instance.networkInterfaces[0];
  const items = instance.metadata.items;
  const projectItems = projectMetadata(cloud, project).items;
  const alt = query.get('alt');

  if (guestAttribute) {
    if (!guestAttributesEnabled(cloud, project, instance))
      return text(403, 'Guest attributes endpoint access is disabled.\n');
    const namespace = decodeURIComponent(guestAttribute[1] ?? '');
    const key = decodeURIComponent(guestAttribute[2] ?? '');
    const instanceKey = `${zone}/${instance.name}`;
    const stored = cloud.peekProject(project)?.guestAttributes?.[instanceKey] ?? [];
    if (method === 'PUT') {
      if (!GUEST_ATTRIBUTE_PART.test(namespace) || !GUEST_ATTRIBUTE_PART.test(key))
        return text(400, 'Invalid guest attribute namespace or key.\n');
      if (Buffer.byteLength(req.body) > GUEST_ATTRIBUTE_VALUE_MAX)
        return text(400, 'Guest attribute value too large.\n');
      const p = cloud.project(project);
      p.guestAttributes ??= {};
      p.guestAttributes[instanceKey] = [
        ...stored.filter((a) => a.namespace !== namespace || a.key !== key),
        { namespace, key, value: req.body },
      ];
      cloud.persist();
      return text(200, '');
    }
    if (namespace !== '' && key !== '') {
      const found = stored.find((a) => a.namespace === namespace && a.key === key);
      return found ? text(200, found.value) : text(404, 'Not Found\n');
    }
    const inNamespace = stored.filter((a) => namespace === '' || a.namespace === namespace);
    if (namespace === '') return text(200, [...new Set(inNamespace.map((a) => `${a.namespace}/\n`))].join(''));
    if (alt === 'json') return json(Object.fromEntries(inNamespace.map((a) => [a.key, a.value])));
    return text(200, inNamespace.map((a) => `${a.key}\n`).join(''));
  }

  const attr = /^\/instance\/attributes\/(.+)$/.exec(path);
  if (attr?.[1]) {
    const item = items.find((i) => i.key === decodeURIComponent(attr[1] ?? ''));
    return item ? text(200, item.value) : text(404, 'Not Found\n');
  }
  const projectAttr = /^\/project\/attributes\/(.+)$/.exec(path);
  if (projectAttr?.[1]) {
    const item = projectItems.find((i) => i.key === decodeURIComponent(projectAttr[1] ?? ''));
    return item ? text(200, item.value) : text(404, 'Not Found\n');
  }
  switch (path) {
    case '/instance/attributes':
    case '/instance/attributes/':
      if (alt === 'json') return json(Object.fromEntries(items.map((i) => [i.key, i.value])));
      return text(200, items.map((i) => `${i.key}\n`).join(''));
    case '/project/attributes':
    case '/project/attributes/':
      if (alt === 'json') return json(Object.fromEntries(projectItems.map((i) => [i.key, i.value])));
      return text(200, projectItems.map((i) => `${i.key}\n`).join(''));
    case '/instance/name':
      return text(200, instance.name);
    case '/instance/id':
      return text(200, instance.id);
    case '/instance/hostname':
      // A custom hostname given at insert replaces the internal DNS name, as on GCE.
      return text(200, instance.hostname ?? `${instance.name}.${zone}.c.${project}.internal`);
    case '/instance/zone':
      return text(200, `projects/${projectNumber(project)}/zones/${zone}`);
    case '/instance/tags':
      return json(instance.tags.items);
    case '/instance/network-interfaces/0/ip':
      return nic ? text(200, nic.networkIP) : text(404, 'Not Found\n');
    case '/instance/network-interfaces/0/access-configs/0/external-ip': {
      const ip = nic?.accessConfigs[0]?.natIP;
      return ip ? text(200, ip) : text(404, 'Not Found\n');
    }
    case '/project/project-id':
      return text(200, project);
    case '/project/numeric-project-id':
      return text(200, projectNumber(project));
    default:
      return text(404, 'Not Found\n');
  }
}
