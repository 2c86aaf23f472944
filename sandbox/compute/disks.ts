// disks: list, aggregatedList, get, insert, delete. A disk is a directory under
// <dataDir>/sandbox/disks/<zone>/<name>; the VM agent keeps etcd's data there.
import { mkdirSync } from 'node:fs';
import { z } from 'zod';
import { aggregatedResponse, byName, listResponse, param, parseBody, type Handler } from './api';
import { REGIONS } from './catalog';
import { alreadyExists, checkName, resourceInUse } from './gce-error';
import { diskTypeLink } from './instances';
import { gceTimestamp, lastSegment, newId, projectLink, resourcePath, zonalLink, zoneLink } from './links';
import type { Disk } from './schemas';

const diskBody = z.object({
  name: z.string(),
  description: z.string().optional(),
  sizeGb: z
    .union([z.string().regex(/^\d+$/), z.number().int().positive()])
    .transform(String)
    .optional(),
  type: z.string().optional(),
  sourceImage: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

export const listDisks: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const zone = param(req, 'zone');
  cloud.requireZone(zone);
  const all = Object.values(cloud.peekProject(project)?.disks ?? {})
    .filter((d) => lastSegment(d.zone) === zone)
    .sort(byName);
  return listResponse('compute#diskList', `${zoneLink(project, zone)}/disks`, all, req.query);
};

export const aggregatedDisks: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const all = Object.values(cloud.peekProject(project)?.disks ?? {}).sort(byName);
  const scopes = REGIONS.flatMap((r) => r.zones).map((z) => ({
    key: `zones/${z}`,
    items: all.filter((d) => lastSegment(d.zone) === z),
  }));
  return aggregatedResponse(
    'compute#diskAggregatedList',
    `${projectLink(project)}/aggregated/disks`,
    'disks',
    scopes,
    req,
  );
};

export const getDisk: Handler = (cloud, req) => {
  const zone = param(req, 'zone');
  cloud.requireZone(zone);
  return cloud.getDisk(param(req, 'project'), zone, param(req, 'disk'));
};

export const insertDisk: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const zone = param(req, 'zone');
  cloud.requireZone(zone);
  const body = parseBody(diskBody, req.body);
  checkName(body.name);
  const selfLink = zonalLink(project, zone, 'disks', body.name);
  if (cloud.peekProject(project)?.disks[`${zone}/${body.name}`]) throw alreadyExists(resourcePath(selfLink));
  const disk: Disk = {
    kind: 'compute#disk',
    id: newId(),
    creationTimestamp: gceTimestamp(),
    name: body.name,
    ...(body.description !== undefined ? { description: body.description } : {}),
    sizeGb: body.sizeGb ?? (body.sourceImage ? '10' : '500'),
    zone: zoneLink(project, zone),
    status: 'CREATING',
    selfLink,
    type: diskTypeLink(project, zone, body.type, 'resource.type'),
    ...(body.sourceImage ? { sourceImage: body.sourceImage } : {}),
    ...(body.labels ? { labels: body.labels } : {}),
    labelFingerprint: '42WmSpB8rSM=',
    physicalBlockSizeBytes: '4096',
  };
  cloud.project(project).disks[`${zone}/${body.name}`] = disk;
  mkdirSync(cloud.diskDir(zone, body.name), { recursive: true });
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'insert',
    target: disk,
    effect: { type: 'diskReady', zone, name: body.name },
    requestId: req.query.get('requestId') ?? undefined,
  });
};

export const deleteDisk: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const zone = param(req, 'zone');
  cloud.requireZone(zone);
  const disk = cloud.getDisk(project, zone, param(req, 'disk'));
  const user = disk.users?.[0];
  if (user) throw resourceInUse('disk', resourcePath(disk.selfLink), resourcePath(user));
  delete cloud.project(project).disks[`${zone}/${disk.name}`];
  cloud.removeDiskDir(zone, disk.name);
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'delete',
    target: disk,
    requestId: req.query.get('requestId') ?? undefined,
  });
};
