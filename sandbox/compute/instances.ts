// instances: list, aggregatedList, get, insert, delete, stop, start, reset, setMetadata, setTags,
// addAccessConfig, deleteAccessConfig. Every check runs before the first change to the state, so a
// rejected request leaves nothing behind.
import { mkdirSync } from 'node:fs';
import { z } from 'zod';
import { aggregatedResponse, byName, listResponse, param, parseBody, type ApiRequest, type Handler } from './api';
import { DISK_TYPES, NETWORK_NAME, REGIONS, SUBNETWORK_NAME } from './catalog';
import type { Cloud } from './cloud';
import {
  GceError,
  alreadyExists,
  checkName,
  fingerprintMismatch,
  invalid,
  invalidField,
  notFound,
  required,
  resourceInUse,
  resourceNotReady,
} from './gce-error';
import { inSubnet, isIpv4, lowestFree, subnetHosts, usableHostsText } from './ip-plan';
import {
  gceTimestamp,
  globalLink,
  lastSegment,
  newFingerprint,
  newId,
  parseRef,
  projectLink,
  regionalLink,
  resourcePath,
  zonalLink,
  zoneLink,
} from './links';
import {
  aliasIpRangesBody,
  allocateAliasRanges,
  checkLabels,
  checkMinCpuPlatform,
  checkNetworkTier,
  checkScheduling,
  checkServiceAccounts,
  schedulingBody,
  serviceAccountsBody,
  shieldedBody,
  shieldedConfig,
} from './instance-config';
import { guestAttributesEnabled } from './projects';
import type { AccessConfig, Address, Disk, Instance } from './schemas';

const intLike = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String);

const accessConfigBody = z.object({
  type: z.string().optional(),
  name: z.string().optional(),
  natIP: z.string().optional(),
  networkTier: z.string().optional(),
});

const networkInterfaceBody = z.object({
  network: z.string().optional(),
  subnetwork: z.string().optional(),
  networkIP: z.string().optional(),
  accessConfigs: z.array(accessConfigBody).optional(),
  aliasIpRanges: aliasIpRangesBody.optional(),
});

const attachedDiskBody = z.object({
  boot: z.boolean().optional(),
  autoDelete: z.boolean().optional(),
  deviceName: z.string().optional(),
  source: z.string().optional(),
  mode: z.string().optional(),
  interface: z.string().optional(),
  initializeParams: z
    .object({
      diskName: z.string().optional(),
      diskSizeGb: intLike.optional(),
      diskType: z.string().optional(),
      sourceImage: z.string().optional(),
    })
    .optional(),
});

export const metadataBody = z.object({
  fingerprint: z.string().optional(),
  items: z.array(z.object({ key: z.string(), value: z.string().optional() })).optional(),
});

const tagsBody = z.object({ fingerprint: z.string().optional(), items: z.array(z.string()).optional() });

const instanceBody = z.object({
  name: z.string(),
  description: z.string().optional(),
  hostname: z.string().optional(),
  deletionProtection: z.boolean().optional(),
  machineType: z.string(),
  networkInterfaces: z.array(networkInterfaceBody).optional(),
  disks: z.array(attachedDiskBody).optional(),
  metadata: metadataBody.optional(),
  tags: tagsBody.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  canIpForward: z.boolean().optional(),
  serviceAccounts: serviceAccountsBody.optional(),
  scheduling: schedulingBody.optional(),
  minCpuPlatform: z.string().optional(),
  shieldedInstanceConfig: shieldedBody.optional(),
});

const METADATA_KEY = /^[a-zA-Z0-9_-]{1,128}$/;
const METADATA_VALUE_MAX = 256 * 1024;
const METADATA_TOTAL_MAX = 512 * 1024;

export function checkMetadata(
  items: ReadonlyArray<{ key: string; value?: string }>,
  field: string,
): Array<{ key: string; value: string }> {
  const seen = new Set<string>();
  let total = 0;
  return items.map((item, i) => {
    const value = item.value ?? '';
    if (!METADATA_KEY.test(item.key)) {
      throw invalidField(`${field}.items[${i}].key`, item.key, "Must be a match of regex '[a-zA-Z0-9-_]{1,128}'");
    }
    if (seen.has(item.key)) throw invalidField(`${field}.items[${i}].key`, item.key, 'Duplicate keys are not allowed.');
    seen.add(item.key);
    if (Buffer.byteLength(value) > METADATA_VALUE_MAX) {
      throw invalidField(`${field}.items[${i}].value`, `${value.slice(0, 20)}...`, 'Value exceeds 256 KB.');
    }
    total += Buffer.byteLength(item.key) + Buffer.byteLength(value);
    if (total > METADATA_TOTAL_MAX)
      throw invalid(`Invalid value for field '${field}': metadata exceeds the 512 KB total.`);
    return { key: item.key, value };
  });
}

function checkTags(items: readonly string[], field: string): string[] {
  items.forEach((t, i) => checkName(t, `${field}.items[${i}]`));
  return [...new Set(items)];
}

/** The zone of the instance routes, validated, and its region. */
function zoneOf(cloud: Cloud, req: ApiRequest): { project: string; zone: string; region: string } {
  const project = param(req, 'project');
  const zone = param(req, 'zone');
  return { project, zone, region: cloud.requireZone(zone).name };
}

function requestId(req: ApiRequest): string | undefined {
  return req.query.get('requestId') ?? undefined;
}

export const listInstances: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const all = Object.values(cloud.peekProject(project)?.instances ?? {})
    .filter((i) => lastSegment(i.zone) === zone)
    .sort(byName);
  return listResponse('compute#instanceList', `${zoneLink(project, zone)}/instances`, all, req.query);
};

export const aggregatedInstances: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const all = Object.values(cloud.peekProject(project)?.instances ?? {}).sort(byName);
  const scopes = REGIONS.flatMap((r) => r.zones).map((z) => ({
    key: `zones/${z}`,
    items: all.filter((i) => lastSegment(i.zone) === z),
  }));
  return aggregatedResponse(
    'compute#instanceAggregatedList',
    `${projectLink(project)}/aggregated/instances`,
    'instances',
    scopes,
    req,
  );
};

export const getInstance: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  return cloud.getInstance(project, zone, param(req, 'instance'));
};

type NewDisk = { disk: Disk };

export const insertInstance: Handler = (cloud, req) => {
  const { project, zone, region } = zoneOf(cloud, req);
  const body = parseBody(instanceBody, req.body);
  checkName(body.name);
  if (body.hostname !== undefined) checkHostname(body.hostname);
  const selfLink = zonalLink(project, zone, 'instances', body.name);
  const p = cloud.peekProject(project);
  if (p?.instances[`${zone}/${body.name}`]) throw alreadyExists(resourcePath(selfLink));
  const sameName = cloud.findInstanceByName(body.name);
  if (sameName) {
    // The VM host keys VMs by instance name, so the sandbox keeps names unique across zones and projects.
    throw alreadyExists(resourcePath(sameName.instance.selfLink));
  }

  const mt = parseRef(body.machineType, { project, scopeKind: 'zones', scope: zone, collection: 'machineTypes' });
  if (!mt || mt.collection !== 'machineTypes' || !/^[a-z0-9-]+$/.test(mt.name)) {
    throw invalidField('resource.machineType', body.machineType, 'Must be a machine type URL or name.');
  }
  if (mt.scope !== zone)
    throw invalidField('resource.machineType', body.machineType, `Machine type must be in zone '${zone}'.`);

  // Network interface: one, on the default network, in the region's subnetwork, of this project or
  // (Shared VPC) of a host project.
  const nics = body.networkInterfaces ?? [];
  if (nics.length === 0) throw required('resource.networkInterfaces');
  if (nics.length > 1)
    throw invalidField(
      'resource.networkInterfaces',
      String(nics.length),
      'The sandbox supports one network interface per instance.',
    );
  const nic = nics[0] ?? {};
  const networkProject = checkNetworkRefs(
    project,
    region,
    nic.network,
    nic.subnetwork,
    'resource.networkInterfaces[0]',
    { sharedVpc: true },
  );
  const subnet = cloud.subnetOf(region);
  const usedInternal = cloud.usedInternalIps();
  let internalAddress: Address | undefined;
  let networkIP: string;
  if (nic.networkIP !== undefined) {
    const field = 'resource.networkInterfaces[0].networkIP';
    if (!isIpv4(nic.networkIP)) throw invalidField(field, nic.networkIP, 'Must be an IPv4 address.');
    if (!inSubnet(subnet, nic.networkIP)) {
      throw invalidField(
        field,
        nic.networkIP,
        `IP address is not in the subnetwork's usable range ${usableHostsText(subnet)}.`,
      );
    }
    internalAddress = cloud.findAddressByIp(project, region, nic.networkIP);
    const reservedForUs = internalAddress?.addressType === 'INTERNAL' && !internalAddress.users?.length;
    if (usedInternal.has(nic.networkIP) && !reservedForUs) {
      throw invalidField(field, nic.networkIP, 'IP address is already being used by another resource.');
    }
    if (!reservedForUs) internalAddress = undefined;
    networkIP = nic.networkIP;
  } else {
    const free = lowestFree(subnetHosts(subnet), usedInternal);
    if (!free) throw invalid(`Subnetwork ${subnet.cidr} in region '${region}' has no free IP address.`);
    networkIP = free;
  }
  const subnetworkLink = regionalLink(networkProject, region, 'subnetworks', SUBNETWORK_NAME);
  const aliasIpRanges = allocateAliasRanges(
    nic.aliasIpRanges,
    subnet,
    resourcePath(subnetworkLink),
    new Set([...usedInternal, networkIP]),
    'resource.networkInterfaces[0]',
  );

  const acs = nic.accessConfigs ?? [];
  if (acs.length > 1)
    throw invalidField(
      'resource.networkInterfaces[0].accessConfigs',
      String(acs.length),
      'At most one access config currently supported.',
    );
  const accessConfigs: AccessConfig[] = [];
  let natAddress: Address | undefined;
  for (const [i, ac] of acs.entries()) {
    const field = `resource.networkInterfaces[0].accessConfigs[${i}]`;
    checkAccessConfigType(ac.type, `${field}.type`);
    if (ac.natIP !== undefined && ac.natIP !== '')
      natAddress = staticNatAddress(cloud, project, region, ac.natIP, `${field}.natIP`);
    accessConfigs.push({
      kind: 'compute#accessConfig',
      type: 'ONE_TO_ONE_NAT',
      name: ac.name ?? 'external-nat',
      ...(natAddress ? { natIP: natAddress.address } : {}),
      networkTier: checkNetworkTier(ac.networkTier, `${field}.networkTier`),
    });
  }

  // Disks: exactly one boot disk, first; new ones from initializeParams, existing ones by source.
  const diskBodies = body.disks ?? [];
  if (diskBodies.length === 0) throw required('resource.disks');
  const bootCount = diskBodies.filter((d) => d.boot === true).length;
  if (bootCount !== 1 || diskBodies[0]?.boot !== true) {
    throw invalidField(
      'resource.disks',
      String(diskBodies.length),
      'Exactly one boot disk is required, and it must be the first disk.',
    );
  }
  const newDisks: NewDisk[] = [];
  const attachedExisting: Disk[] = [];
  const attached: Instance['disks'] = [];
  const deviceNames = new Set<string>();
  const now = gceTimestamp();
  for (const [index, d] of diskBodies.entries()) {
    const field = `resource.disks[${index}]`;
    let disk: Disk;
    if (d.source !== undefined) {
      if (d.initializeParams)
        throw invalidField(`${field}.source`, d.source, 'Cannot specify both source and initializeParams.');
      const r = parseRef(d.source, { project, scopeKind: 'zones', scope: zone, collection: 'disks' });
      if (!r || r.collection !== 'disks' || r.scopeKind !== 'zones')
        throw invalidField(`${field}.source`, d.source, 'Must be a disk URL.');
      if (r.project !== project || r.scope !== zone)
        throw invalidField(`${field}.source`, d.source, `Disk must be in project '${project}' and zone '${zone}'.`);
      disk = cloud.getDisk(project, zone, r.name);
      const user = disk.users?.[0];
      if (user) throw resourceInUse('disk', resourcePath(disk.selfLink), resourcePath(user));
      if (disk.status !== 'READY') throw resourceNotReady(resourcePath(disk.selfLink));
      if (attachedExisting.includes(disk)) throw invalidField(`${field}.source`, d.source, 'Disk is attached twice.');
      attachedExisting.push(disk);
    } else if (d.initializeParams) {
      const ip = d.initializeParams;
      const diskName = ip.diskName ?? (d.boot ? body.name : '');
      if (diskName === '') throw required(`${field}.initializeParams.diskName`);
      checkName(diskName, `${field}.initializeParams.diskName`);
      const diskLink = zonalLink(project, zone, 'disks', diskName);
      if (p?.disks[`${zone}/${diskName}`] || newDisks.some((n) => n.disk.name === diskName))
        throw alreadyExists(resourcePath(diskLink));
      disk = {
        kind: 'compute#disk',
        id: newId(),
        creationTimestamp: now,
        name: diskName,
        sizeGb: ip.diskSizeGb ?? '10',
        zone: zoneLink(project, zone),
        status: 'READY',
        selfLink: diskLink,
        type: diskTypeLink(project, zone, ip.diskType, `${field}.initializeParams.diskType`),
        ...(ip.sourceImage ? { sourceImage: ip.sourceImage } : {}),
        labelFingerprint: '42WmSpB8rSM=',
        physicalBlockSizeBytes: '4096',
      };
      newDisks.push({ disk });
    } else {
      throw required(`${field}.source`);
    }
    const deviceName = d.deviceName ?? (d.boot ? 'persistent-disk-0' : disk.name);
    if (deviceNames.has(deviceName))
      throw invalidField(`${field}.deviceName`, deviceName, 'Device names must be unique.');
    deviceNames.add(deviceName);
    attached.push({
      kind: 'compute#attachedDisk',
      type: 'PERSISTENT',
      mode: d.mode ?? 'READ_WRITE',
      source: disk.selfLink,
      deviceName,
      index,
      boot: d.boot === true,
      autoDelete: d.autoDelete ?? false,
      interface: d.interface ?? 'SCSI',
      diskSizeGb: disk.sizeGb,
    });
  }

  const metadataItems = checkMetadata(body.metadata?.items ?? [], 'resource.metadata');
  const tags = checkTags(body.tags?.items ?? [], 'resource.tags');
  const serviceAccounts = checkServiceAccounts(project, body.serviceAccounts);
  const scheduling = checkScheduling(body.scheduling);
  const cpu = checkMinCpuPlatform(body.minCpuPlatform, zone);
  const labels = checkLabels(body.labels);

  // All checks passed: apply.
  const instance: Instance = {
    kind: 'compute#instance',
    id: newId(),
    creationTimestamp: now,
    name: body.name,
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.hostname !== undefined ? { hostname: body.hostname } : {}),
    tags: { items: tags, fingerprint: newFingerprint() },
    machineType: zonalLink(project, zone, 'machineTypes', mt.name),
    status: 'PENDING',
    zone: zoneLink(project, zone),
    canIpForward: body.canIpForward ?? false,
    networkInterfaces: [
      {
        kind: 'compute#networkInterface',
        name: 'nic0',
        network: globalLink(networkProject, 'networks', NETWORK_NAME),
        subnetwork: subnetworkLink,
        networkIP,
        fingerprint: newFingerprint(),
        stackType: 'IPV4_ONLY',
        accessConfigs,
        ...(aliasIpRanges.length > 0 ? { aliasIpRanges } : {}),
      },
    ],
    disks: attached,
    metadata: { kind: 'compute#metadata', fingerprint: newFingerprint(), items: metadataItems },
    ...(serviceAccounts ? { serviceAccounts } : {}),
    selfLink,
    scheduling,
    ...cpu,
    shieldedInstanceConfig: shieldedConfig(body.shieldedInstanceConfig),
    ...(labels ? { labels } : {}),
    labelFingerprint: newFingerprint(),
    startRestricted: false,
    deletionProtection: body.deletionProtection ?? false,
    fingerprint: newFingerprint(),
  };
  const proj = cloud.project(project);
  for (const { disk } of newDisks) {
    proj.disks[`${zone}/${disk.name}`] = disk;
    mkdirSync(cloud.diskDir(zone, disk.name), { recursive: true });
  }
  for (const disk of [...attachedExisting, ...newDisks.map((n) => n.disk)]) {
    disk.users = [selfLink];
    disk.lastAttachTimestamp = now;
  }
  proj.instances[`${zone}/${body.name}`] = instance;
  if (natAddress) cloud.addAddressUser(natAddress, selfLink);
  if (internalAddress) cloud.addAddressUser(internalAddress, selfLink);
  cloud.assignEphemeralNatIps(instance);
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'insert',
    target: instance,
    effect: { type: 'instanceRunning', zone, name: body.name },
    requestId: requestId(req),
  });
};

export const deleteInstance: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  if (instance.deletionProtection) {
    throw new GceError(
      400,
      'invalidResourceUsage',
      "Invalid resource usage: 'Resource cannot be deleted if it's protected against deletion.'.",
    );
  }
  if (instance.status !== 'TERMINATED' && instance.status !== 'DEPROVISIONING') instance.status = 'STOPPING';
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'delete',
    target: instance,
    effect: { type: 'instanceDeleted', zone, name: instance.name },
    requestId: requestId(req),
    waitFor: cloud.vms.shutdown(instance.name),
  });
};

export const stopInstance: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  const stoppable =
    instance.status === 'RUNNING' ||
    instance.status === 'PENDING' ||
    instance.status === 'PROVISIONING' ||
    instance.status === 'STAGING';
  let down: Promise<void> | undefined;
  if (stoppable) {
    instance.status = 'STOPPING';
    down = cloud.vms.shutdown(instance.name);
  }
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'stop',
    target: instance,
    ...(stoppable || instance.status === 'STOPPING' || instance.status === 'DEPROVISIONING'
      ? { effect: { type: 'instanceTerminated', zone, name: instance.name } as const }
      : {}),
    requestId: requestId(req),
    // As on GCE, the instance is TERMINATED (and the operation DONE) once its guest is down.
    ...(down ? { waitFor: down } : {}),
  });
};

export const startInstance: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  if (instance.status === 'STOPPING' || instance.status === 'DEPROVISIONING')
    throw resourceNotReady(resourcePath(instance.selfLink));
  const starting = instance.status === 'TERMINATED';
  if (starting) instance.status = 'STAGING';
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'start',
    target: instance,
    ...(starting ? { effect: { type: 'instanceRunning', zone, name: instance.name } as const } : {}),
    requestId: requestId(req),
  });
};

export const resetInstance: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  if (instance.status !== 'RUNNING') throw resourceNotReady(resourcePath(instance.selfLink));
  void cloud.vms.shutdown(instance.name);
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'reset',
    target: instance,
    effect: { type: 'instanceReset', zone, name: instance.name },
    requestId: requestId(req),
  });
};

export const setInstanceMetadata: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  const body = parseBody(metadataBody, req.body, 'resource');
  if (body.fingerprint !== instance.metadata.fingerprint) throw fingerprintMismatch('metadata');
  const items = checkMetadata(body.items ?? [], 'resource');
  instance.metadata = { kind: 'compute#metadata', fingerprint: newFingerprint(), items };
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'setMetadata',
    target: instance,
    requestId: requestId(req),
  });
};

export const setInstanceTags: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  const body = parseBody(tagsBody, req.body, 'resource');
  if (body.fingerprint !== instance.tags.fingerprint) throw fingerprintMismatch('tags');
  instance.tags = { items: checkTags(body.items ?? [], 'resource'), fingerprint: newFingerprint() };
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'setTags',
    target: instance,
    requestId: requestId(req),
  });
};

export const addAccessConfig: Handler = (cloud, req) => {
  const { project, zone, region } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  const nic = findNic(instance, req);
  const body = parseBody(accessConfigBody, req.body, 'resource');
  checkAccessConfigType(body.type, 'resource.type');
  if (nic.accessConfigs.length > 0) throw invalid('At most one access config currently supported.');
  const address = body.natIP ? staticNatAddress(cloud, project, region, body.natIP, 'resource.natIP') : undefined;
  const ac: AccessConfig = {
    kind: 'compute#accessConfig',
    type: 'ONE_TO_ONE_NAT',
    name: body.name ?? 'external-nat',
    ...(address ? { natIP: address.address } : {}),
    networkTier: checkNetworkTier(body.networkTier, 'resource.networkTier'),
  };
  nic.accessConfigs.push(ac);
  nic.fingerprint = newFingerprint();
  if (address) cloud.addAddressUser(address, instance.selfLink);
  else if (instance.status !== 'TERMINATED' && instance.status !== 'STOPPING' && instance.status !== 'DEPROVISIONING')
    cloud.assignEphemeralNatIps(instance);
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'addAccessConfig',
    target: instance,
    requestId: requestId(req),
  });
};

export const deleteAccessConfig: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  const nic = findNic(instance, req);
  const name = req.query.get('accessConfig');
  if (!name) throw required('accessConfig');
  const ac = nic.accessConfigs.find((a) => a.name === name);
  if (!ac) throw invalidField('accessConfig', name, `Access config does not exist on network interface '${nic.name}'.`);
  nic.accessConfigs = nic.accessConfigs.filter((a) => a !== ac);
  nic.fingerprint = newFingerprint();
  if (ac.natIP) cloud.releaseAddressesOf(project, instance.selfLink, ac.natIP);
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'deleteAccessConfig',
    target: instance,
    requestId: requestId(req),
  });
};

/** `setDeletionProtection?deletionProtection=<bool>` (default true, as GCE's). */
export const setDeletionProtection: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  instance.deletionProtection = queryBool(req, 'deletionProtection') ?? true;
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'setDeletionProtection',
    target: instance,
    requestId: requestId(req),
  });
};

/** `setDiskAutoDelete?autoDelete=<bool>&deviceName=<name>`: both required. */
export const setDiskAutoDelete: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  const autoDelete = queryBool(req, 'autoDelete');
  if (autoDelete === undefined) throw required('autoDelete');
  const deviceName = req.query.get('deviceName');
  if (!deviceName) throw required('deviceName');
  const disk = instance.disks.find((d) => d.deviceName === deviceName);
  if (!disk) throw invalidField('deviceName', deviceName, `No attached disk found with device name '${deviceName}'.`);
  disk.autoDelete = autoDelete;
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'setDiskAutoDelete',
    target: instance,
    requestId: requestId(req),
  });
};

const machineTypeBody = z.object({ machineType: z.string() });

/** Changes the machine type of a TERMINATED instance (GCE refuses it on an instance that is not stopped). */
export const setMachineType: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  const body = parseBody(machineTypeBody, req.body, 'resource');
  const mt = parseRef(body.machineType, { project, scopeKind: 'zones', scope: zone, collection: 'machineTypes' });
  if (!mt || mt.collection !== 'machineTypes' || !/^[a-z0-9-]+$/.test(mt.name)) {
    throw invalidField('resource.machineType', body.machineType, 'Must be a machine type URL or name.');
  }
  if (mt.scope !== zone)
    throw invalidField('resource.machineType', body.machineType, `Machine type must be in zone '${zone}'.`);
  if (instance.status !== 'TERMINATED') throw resourceNotReady(resourcePath(instance.selfLink));
  instance.machineType = zonalLink(project, zone, 'machineTypes', mt.name);
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'setMachineType',
    target: instance,
    requestId: requestId(req),
  });
};

const machineResourcesBody = z.object({
  guestAccelerators: z
    .array(
      z.object({
        acceleratorType: z.string(),
        acceleratorCount: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
      }),
    )
    .optional(),
});

/** Sets the guest accelerators (GPUs) of a TERMINATED instance; an empty list removes them. */
export const setMachineResources: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  const body = parseBody(machineResourcesBody, req.body, 'resource');
  const accelerators = (body.guestAccelerators ?? []).map((a, i) => {
    const field = `resource.guestAccelerators[${i}]`;
    const r = parseRef(a.acceleratorType, { project, scopeKind: 'zones', scope: zone, collection: 'acceleratorTypes' });
    if (!r || r.collection !== 'acceleratorTypes' || r.scope !== zone) {
      throw invalidField(
        `${field}.acceleratorType`,
        a.acceleratorType,
        `Must be an accelerator type of zone '${zone}'.`,
      );
    }
    if (a.acceleratorCount < 0)
      throw invalidField(`${field}.acceleratorCount`, String(a.acceleratorCount), 'Must be at least 0.');
    return {
      acceleratorType: zonalLink(project, zone, 'acceleratorTypes', r.name),
      acceleratorCount: a.acceleratorCount,
    };
  });
  if (instance.status !== 'TERMINATED') throw resourceNotReady(resourcePath(instance.selfLink));
  const kept = accelerators.filter((a) => a.acceleratorCount > 0);
  if (kept.length > 0) instance.guestAccelerators = kept;
  else delete instance.guestAccelerators;
  return cloud.startOperation({
    project,
    scope: { zone },
    operationType: 'setMachineResources',
    target: instance,
    requestId: requestId(req),
  });
};

/**
 * `getGuestAttributes?queryPath=<namespace>/` (or `<namespace>/<key>`) or `?variableKey=<namespace>/<key>`:
 * what the guest wrote through the metadata server, while guest attributes are enabled (instance or project
 * metadata `enable-guest-attributes=TRUE`). Nothing matching, or guest attributes disabled, is 404 notFound.
 */
export const getGuestAttributes: Handler = (cloud, req) => {
  const { project, zone } = zoneOf(cloud, req);
  const instance = cloud.getInstance(project, zone, param(req, 'instance'));
  // Attributes written while guest attributes were enabled are not served once they are disabled.
  const all = guestAttributesEnabled(cloud, project, instance)
    ? (cloud.peekProject(project)?.guestAttributes?.[`${zone}/${instance.name}`] ?? [])
    : [];
  const selfLink = `${instance.selfLink}/guestAttributes`;
  const variableKey = req.query.get('variableKey');
  if (variableKey) {
    const found = all.find((a) => `${a.namespace}/${a.key}` === variableKey);
    if (!found) throw notFound(`${resourcePath(selfLink)}/${variableKey}`);
    return {
      kind: 'compute#guestAttributes',
      selfLink: `${selfLink}/${variableKey}`,
      variableKey,
      variableValue: found.value,
    };
  }
  const queryPath = req.query.get('queryPath') ?? '';
  const [namespace = '', key = ''] = queryPath.split('/');
  const items = all.filter((a) => (namespace === '' || a.namespace === namespace) && (key === '' || a.key === key));
  if (items.length === 0) throw notFound(`${resourcePath(selfLink)}/${queryPath}`);
  return {
    kind: 'compute#guestAttributes',
    selfLink: `${selfLink}/${queryPath}`,
    queryPath,
    queryValue: { items: items.map((a) => ({ namespace: a.namespace, key: a.key, value: a.value })) },
  };
};

function queryBool(req: ApiRequest, key: string): boolean | undefined {
  const v = req.query.get(key);
  if (v === null) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidField(key, v, 'Must be true or false.');
}

/** GCE's custom hostname: a FQDN of at least two RFC 1035 labels, at most 253 characters. */
function checkHostname(hostname: string): void {
  const labels = hostname.split('.');
  const ok =
    hostname.length <= 253 && labels.length >= 2 && labels.every((l) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(l));
  if (!ok) {
    throw invalidField(
      'resource.hostname',
      hostname,
      'Custom hostname must be a fully qualified domain name of lowercase RFC 1035 labels.',
    );
  }
}

function findNic(instance: Instance, req: ApiRequest) {
  const name = req.query.get('networkInterface');
  if (!name) throw required('networkInterface');
  const nic = instance.networkInterfaces.find((n) => n.name === name);
  if (!nic) throw invalidField('networkInterface', name, 'Network interface not found.');
  return nic;
}

function checkAccessConfigType(type: string | undefined, field: string): void {
  if (type !== undefined && type !== 'ONE_TO_ONE_NAT')
    throw invalidField(field, type, "Only 'ONE_TO_ONE_NAT' is supported.");
}

/** A natIP must be a static EXTERNAL address of the region that nothing else uses. */
function staticNatAddress(cloud: Cloud, project: string, region: string, natIP: string, field: string): Address {
  const address = cloud.findAddressByIp(project, region, natIP);
  if (!address || address.addressType !== 'EXTERNAL') {
    throw invalidField(
      field,
      natIP,
      `The specified external IP address '${natIP}' is not reserved in region '${region}'.`,
    );
  }
  const user = address.users?.[0];
  if (user) throw invalidField(field, natIP, `IP address '${natIP}' is already being used by '${resourcePath(user)}'.`);
  return address;
}

/**
 * Checks a network and subnetwork reference (the sandbox has the `default` network with a `default`
 * subnetwork per region in every project) and returns the project they are in. Only with `sharedVpc`
 * (an instance's interface) may that be another project, a Shared VPC host; both must then name the same one.
 */
export function checkNetworkRefs(
  project: string,
  region: string,
  network: string | undefined,
  subnetwork: string | undefined,
  field: string,
  opts: { sharedVpc?: boolean } = {},
): string {
  let networkProject: string | undefined;
  if (network !== undefined) {
    const r = parseRef(network, { project, scopeKind: 'global', scope: 'global', collection: 'networks' });
    if (!r || r.collection !== 'networks' || r.name !== NETWORK_NAME || (r.project !== project && !opts.sharedVpc)) {
      throw notFound(r ? `projects/${r.project}/global/networks/${r.name}` : network);
    }
    networkProject = r.project;
  }
  if (subnetwork !== undefined) {
    const r = parseRef(subnetwork, {
      project: networkProject ?? project,
      scopeKind: 'regions',
      scope: region,
      collection: 'subnetworks',
    });
    if (!r || r.collection !== 'subnetworks' || (r.project !== project && !opts.sharedVpc))
      throw invalidField(`${field}.subnetwork`, subnetwork, 'Must be a subnetwork URL.');
    if (r.scope !== region)
      throw invalidField(`${field}.subnetwork`, subnetwork, `Subnetwork must be in region '${region}'.`);
    if (r.name !== SUBNETWORK_NAME) throw notFound(`projects/${r.project}/regions/${region}/subnetworks/${r.name}`);
    if (networkProject !== undefined && r.project !== networkProject) {
      throw invalidField(
        `${field}.subnetwork`,
        subnetwork,
        `Subnetwork must belong to network 'projects/${networkProject}/global/networks/${NETWORK_NAME}'.`,
      );
    }
    networkProject = r.project;
  }
  return networkProject ?? project;
}

export function diskTypeLink(project: string, zone: string, type: string | undefined, field: string): string {
  const r = parseRef(type ?? 'pd-standard', { project, scopeKind: 'zones', scope: zone, collection: 'diskTypes' });
  const known: readonly string[] = DISK_TYPES;
  if (!r || r.collection !== 'diskTypes' || !known.includes(r.name))
    throw invalidField(field, type ?? '', `Unknown disk type; use one of ${DISK_TYPES.join(', ')}.`);
  if (r.scope !== zone) throw invalidField(field, type ?? '', `Disk type must be in zone '${zone}'.`);
  return zonalLink(project, zone, 'diskTypes', r.name);
}
