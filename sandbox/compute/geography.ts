// Zones, regions, the `default` network and its per-region `default` subnetworks: fixed by the
// catalog and the IP plan, not stored. Ids are derived from the names so they are stable.
import { aggregatedResponse, listResponse, param, type Handler } from './api';
import { NETWORK_NAME, REGIONS, SUBNETWORK_NAME, ZONE_CPU_PLATFORMS } from './catalog';
import type { Cloud } from './cloud';
import { notFound } from './gce-error';
import { globalLink, projectLink, regionLink, regionalLink, stableFingerprint, stableId, zoneLink } from './links';

// GCE reports the catalog's resources as created at the epoch, in Pacific time.
const CATALOG_TIMESTAMP = '1969-12-31T16:00:00.000-08:00';

function zoneJson(project: string, zone: string, region: string) {
  return {
    kind: 'compute#zone',
    id: stableId(`zone:${zone}`),
    creationTimestamp: CATALOG_TIMESTAMP,
    name: zone,
    description: zone,
    status: 'UP',
    region: regionLink(project, region),
    selfLink: zoneLink(project, zone),
    availableCpuPlatforms: [...ZONE_CPU_PLATFORMS],
    supportsPzs: false,
  };
}

function regionJson(project: string, region: string, zones: readonly string[]) {
  return {
    kind: 'compute#region',
    id: stableId(`region:${region}`),
    creationTimestamp: CATALOG_TIMESTAMP,
    name: region,
    description: region,
    status: 'UP',
    zones: zones.map((z) => zoneLink(project, z)),
    selfLink: regionLink(project, region),
    supportsPzs: false,
  };
}

function networkJson(cloud: Cloud, project: string) {
  return {
    kind: 'compute#network',
    id: stableId(`network:${project}`),
    creationTimestamp: CATALOG_TIMESTAMP,
    name: NETWORK_NAME,
    description: 'Default network for the project',
    selfLink: globalLink(project, 'networks', NETWORK_NAME),
    autoCreateSubnetworks: cloud.addresses.autoCreateSubnetworks,
    subnetworks: REGIONS.map((r) => regionalLink(project, r.name, 'subnetworks', SUBNETWORK_NAME)),
    routingConfig: { routingMode: 'REGIONAL' },
    networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL',
  };
}

function subnetworkJson(cloud: Cloud, project: string, region: string) {
  const subnet = cloud.subnetOf(region);
  return {
    kind: 'compute#subnetwork',
    id: stableId(`subnetwork:${project}:${region}`),
    creationTimestamp: CATALOG_TIMESTAMP,
    name: SUBNETWORK_NAME,
    network: globalLink(project, 'networks', NETWORK_NAME),
    ipCidrRange: subnet.cidr,
    gatewayAddress: subnet.gateway,
    region: regionLink(project, region),
    selfLink: regionalLink(project, region, 'subnetworks', SUBNETWORK_NAME),
    privateIpGoogleAccess: false,
    fingerprint: stableFingerprint(`subnetwork:${subnet.cidr}`),
    purpose: 'PRIVATE',
    stackType: 'IPV4_ONLY',
  };
}

export const listZones: Handler = (_cloud, req) => {
  const project = param(req, 'project');
  const zones = REGIONS.flatMap((r) => r.zones.map((z) => zoneJson(project, z, r.name)));
  return listResponse('compute#zoneList', `${projectLink(project)}/zones`, zones, req.query);
};

export const getZone: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const zone = param(req, 'zone');
  const region = REGIONS.find((r) => r.zones.includes(zone));
  if (!region) throw notFound(`projects/${project}/zones/${zone}`);
  return zoneJson(project, zone, region.name);
};

export const listRegions: Handler = (_cloud, req) => {
  const project = param(req, 'project');
  const regions = REGIONS.map((r) => regionJson(project, r.name, r.zones));
  return listResponse('compute#regionList', `${projectLink(project)}/regions`, regions, req.query);
};

export const getRegion: Handler = (_cloud, req) => {
  const project = param(req, 'project');
  const name = param(req, 'region');
  const region = REGIONS.find((r) => r.name === name);
  if (!region) throw notFound(`projects/${project}/regions/${name}`);
  return regionJson(project, region.name, region.zones);
};

export const listNetworks: Handler = (cloud, req) => {
  const project = param(req, 'project');
  return listResponse(
    'compute#networkList',
    `${projectLink(project)}/global/networks`,
    [networkJson(cloud, project)],
    req.query,
  );
};

export const getNetwork: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const name = param(req, 'network');
  if (name !== NETWORK_NAME) throw notFound(`projects/${project}/global/networks/${name}`);
  return networkJson(cloud, project);
};

export const listSubnetworks: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const region = param(req, 'region');
  cloud.requireRegion(region);
  return listResponse(
    'compute#subnetworkList',
    `${regionLink(project, region)}/subnetworks`,
    [subnetworkJson(cloud, project, region)],
    req.query,
  );
};

export const getSubnetwork: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const region = param(req, 'region');
  const name = param(req, 'subnetwork');
  cloud.requireRegion(region);
  if (name !== SUBNETWORK_NAME) throw notFound(`projects/${project}/regions/${region}/subnetworks/${name}`);
  return subnetworkJson(cloud, project, region);
};

export const aggregatedSubnetworks: Handler = (cloud, req) => {
  const project = param(req, 'project');
  return aggregatedResponse(
    'compute#subnetworkAggregatedList',
    `${projectLink(project)}/aggregated/subnetworks`,
    'subnetworks',
    REGIONS.map((r) => ({ key: `regions/${r.name}`, items: [subnetworkJson(cloud, project, r.name)] })),
    req,
  );
};

export { subnetworkJson };
