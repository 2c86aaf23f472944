// zoneOperations, regionOperations, globalOperations: get, wait, list, delete.
import { listResponse, param, type ApiRequest, type Handler } from './api';
import type { OperationScope } from './cloud';
import type { Cloud } from './cloud';
import { projectLink, regionLink, zoneLink } from './links';

function scopeOf(cloud: Cloud, req: ApiRequest): { project: string; scope: OperationScope; base: string } {
  const project = param(req, 'project');
  const zone = req.params.zone;
  const region = req.params.region;
  if (zone !== undefined) {
    cloud.requireZone(zone);
    return { project, scope: { zone }, base: zoneLink(project, zone) };
  }
  if (region !== undefined) {
    cloud.requireRegion(region);
    return { project, scope: { region }, base: regionLink(project, region) };
  }
  return { project, scope: { global: true }, base: `${projectLink(project)}/global` };
}

export const getOperation: Handler = (cloud, req) => {
  const { project, scope } = scopeOf(cloud, req);
  return cloud.getOperation(project, scope, param(req, 'operation'));
};

/** Blocks until the operation is DONE or about two minutes pass, then returns it (GCE's `wait`). */
export const waitOperation: Handler = (cloud, req) => {
  const { project, scope } = scopeOf(cloud, req);
  return cloud.waitOperation(project, scope, param(req, 'operation'), req.signal);
};

export const listOperations: Handler = (cloud, req) => {
  const { project, scope, base } = scopeOf(cloud, req);
  return listResponse('compute#operationList', `${base}/operations`, cloud.listOperations(project, scope), req.query);
};

export const deleteOperation: Handler = (cloud, req) => {
  const { project, scope } = scopeOf(cloud, req);
  const op = cloud.getOperation(project, scope, param(req, 'operation'));
  const p = cloud.peekProject(project);
  if (p) delete p.operations[op.name];
  cloud.persist();
  return {};
};
