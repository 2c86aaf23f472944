// GCE's metadata server, for the VM agents. Like the real one it needs `Metadata-Flavor: Google` and
// knows its caller by the source address of the request: the VM agent binds its sockets to the
// instance's internal IP, so req.socket.remoteAddress is the networkIP of a RUNNING instance.
// Paths are relative to /computeMetadata/v1.
import type { Cloud } from './cloud';
import { lastSegment, projectNumber } from './links';

export type MetadataAnswer = { status: number; body: string; contentType: string };

const text = (status: number, body: string): MetadataAnswer => ({ status, body, contentType: 'application/text' });
const json = (body: unknown): MetadataAnswer => ({ status: 200, body: JSON.stringify(body), contentType: 'application/json' });

export function handleMetadataRequest(
  cloud: Cloud,
  method: string,
  path: string,
  query: URLSearchParams,
  flavor: string | undefined,
  remoteAddress: string,
): MetadataAnswer {
  if (flavor !== 'Google') return text(403, 'Missing required header: Metadata-Flavor: Google\n');
  if (method !== 'GET') return text(405, 'Method not allowed\n');
  const caller = cloud.findRunningInstanceByIp(remoteAddress);
  if (!caller) return text(404, `No RUNNING instance has the address ${remoteAddress}\n`);
  const { project, instance } = caller;
  const zone = lastSegment(instance.zone);
  const nic = instance.networkInterfaces[0];
  const items = instance.metadata.items;
  const alt = query.get('alt');

  const attr = /^\/instance\/attributes\/(.+)$/.exec(path);
  if (attr?.[1]) {
    const item = items.find((i) => i.key === decodeURIComponent(attr[1] ?? ''));
    return item ? text(200, item.value) : text(404, 'Not Found\n');
  }
  const resolve = /^\/sandbox\/resolve\/([^/]+)$/.exec(path);
  if (resolve?.[1]) {
    // Stand-in for GCE's internal DNS (`<instance>` resolves inside its project).
    const name = decodeURIComponent(resolve[1]);
    const target = Object.values(cloud.peekProject(project)?.instances ?? {}).find((i) => i.name === name);
    const ip = target?.networkInterfaces[0]?.networkIP;
    return ip ? text(200, ip) : text(404, `No instance named ${name} in project ${project}\n`);
  }

  switch (path) {
    case '/instance/attributes':
    case '/instance/attributes/':
      if (alt === 'json') return json(Object.fromEntries(items.map((i) => [i.key, i.value])));
      return text(200, items.map((i) => `${i.key}\n`).join(''));
    case '/instance/name':
      return text(200, instance.name);
    case '/instance/id':
      return text(200, instance.id);
    case '/instance/hostname':
      return text(200, `${instance.name}.${zone}.c.${project}.internal`);
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
