// addresses (regional), targetPools, forwardingRules (regional) and firewalls (global).
import { z } from 'zod';
import { aggregatedResponse, byName, listResponse, param, parseBody, type ApiRequest, type Handler } from './api';
import { NETWORK_NAME, REGIONS, SUBNETWORK_NAME, regionOfZone } from './catalog';
import type { Cloud } from './cloud';
import { alreadyExists, checkName, invalid, invalidField, notFound, required, resourceInUse } from './gce-error';
import { checkNetworkRefs } from './instances';
import { inSubnet, isIpv4, lowestFree, subnetHosts, usableHostsText } from './ip-plan';
import {
  gceTimestamp,
  globalLink,
  lastSegment,
  newFingerprint,
  newId,
  parseRef,
  projectLink,
  regionLink,
  regionalLink,
  resourcePath,
} from './links';
import type { Address, Firewall, ForwardingRule, Instance, TargetPool } from './schemas';

const requestId = (req: ApiRequest) => req.query.get('requestId') ?? undefined;

function regionOf(cloud: Cloud, req: ApiRequest): { project: string; region: string } {
  const project = param(req, 'project');
  const region = param(req, 'region');
  cloud.requireRegion(region);
  return { project, region };
}

function regionalList<T extends { name: string; region: string }>(
  all: Record<string, T> | undefined,
  region: string,
): T[] {
  return Object.values(all ?? {})
    .filter((x) => lastSegment(x.region) === region)
    .sort(byName);
}

function regionalScopes<T extends { name: string; region: string }>(all: Record<string, T> | undefined) {
  const items = Object.values(all ?? {}).sort(byName);
  return REGIONS.map((r) => ({
    key: `regions/${r.name}`,
    items: items.filter((x) => lastSegment(x.region) === r.name),
  }));
}

// --- addresses ------------------------------------------------------------------------------

const addressBody = z.object({
  name: z.string(),
  description: z.string().optional(),
  address: z.string().optional(),
  addressType: z.enum(['EXTERNAL', 'INTERNAL']).optional(),
  subnetwork: z.string().optional(),
  networkTier: z.string().optional(),
  purpose: z.string().optional(),
  ipVersion: z.string().optional(),
});

export const listAddresses: Handler = (cloud, req) => {
  const { project, region } = regionOf(cloud, req);
  return listResponse(
    'compute#addressList',
    `${regionLink(project, region)}/addresses`,
    regionalList(cloud.peekProject(project)?.addresses, region),
    req.query,
  );
};

export const aggregatedAddresses: Handler = (cloud, req) => {
  const project = param(req, 'project');
  return aggregatedResponse(
    'compute#addressAggregatedList',
    `${projectLink(project)}/aggregated/addresses`,
    'addresses',
    regionalScopes(cloud.peekProject(project)?.addresses),
    req,
  );
};

export const getAddress: Handler = (cloud, req) => {
  const { project, region } = regionOf(cloud, req);
  return cloud.getAddress(project, region, param(req, 'address'));
};

export const insertAddress: Handler = (cloud, req) => {
  const { project, region } = regionOf(cloud, req);
  const body = parseBody(addressBody, req.body);
  checkName(body.name);
  const selfLink = regionalLink(project, region, 'addresses', body.name);
  if (cloud.peekProject(project)?.addresses[`${region}/${body.name}`]) throw alreadyExists(resourcePath(selfLink));
  const addressType = body.addressType ?? 'EXTERNAL';
  let ip: string;
  let promotedFrom: Instance | undefined;
  if (addressType === 'EXTERNAL') {
    if (body.subnetwork !== undefined)
      throw invalidField('resource.subnetwork', body.subnetwork, 'Only INTERNAL addresses have a subnetwork.');
    const used = cloud.usedExternalIps();
    if (body.address !== undefined) {
      ip = body.address;
      if (!cloud.addresses.isExternalRange(ip)) {
        throw invalidField(
          'resource.address',
          ip,
          `External addresses of this sandbox are in ${cloud.addresses.externalRangeText}.`,
        );
      }
      if (used.has(ip)) {
        // Reserving the ephemeral IP of an instance of this region promotes it to a static address (GCE does the same).
        promotedFrom = instanceWithEphemeralIp(cloud, project, region, ip);
        if (!promotedFrom)
          throw invalidField('resource.address', ip, 'IP address is already being used by another resource.');
      }
    } else {
      const free = lowestFree(cloud.addresses.staticExternalPool(), used);
      if (!free) throw invalid('No free static external address left in the sandbox.');
      ip = free;
    }
  } else {
    checkNetworkRefs(project, region, undefined, body.subnetwork, 'resource');
    const subnet = cloud.subnetOf(region);
    const used = cloud.usedInternalIps();
    if (body.address !== undefined) {
      ip = body.address;
      if (!isIpv4(ip) || !inSubnet(subnet, ip)) {
        throw invalidField(
          'resource.address',
          ip,
          `IP address is not in the subnetwork's usable range ${usableHostsText(subnet)}.`,
        );
      }
      if (used.has(ip))
        throw invalidField('resource.address', ip, 'IP address is already being used by another resource.');
    } else {
      const free = lowestFree(subnetHosts(subnet), used);
      if (!free) throw invalid(`Subnetwork ${subnet.cidr} in region '${region}' has no free IP address.`);
      ip = free;
    }
  }
  const address: Address = {
    kind: 'compute#address',
    id: newId(),
    creationTimestamp: gceTimestamp(),
    name: body.name,
    ...(body.description !== undefined ? { description: body.description } : {}),
    address: ip,
    status: 'RESERVING',
    region: regionLink(project, region),
    selfLink,
    ...(promotedFrom ? { users: [promotedFrom.selfLink] } : {}),
    ...(addressType === 'EXTERNAL' ? { networkTier: body.networkTier ?? 'PREMIUM' } : {}),
    addressType,
    ...(addressType === 'INTERNAL'
      ? {
          purpose: body.purpose ?? 'GCE_ENDPOINT',
          subnetwork: regionalLink(project, region, 'subnetworks', SUBNETWORK_NAME),
        }
      : {}),
    ipVersion: body.ipVersion ?? 'IPV4',
    labelFingerprint: '42WmSpB8rSM=',
  };
  cloud.project(project).addresses[`${region}/${body.name}`] = address;
  return cloud.startOperation({
    project,
    scope: { region },
    operationType: 'insert',
    target: address,
    effect: { type: 'addressReserved', region, name: body.name },
    requestId: requestId(req),
  });
};

function instanceWithEphemeralIp(cloud: Cloud, project: string, region: string, ip: string): Instance | undefined {
  if (cloud.findAddressByIp(project, region, ip)) return undefined;
  return Object.values(cloud.peekProject(project)?.instances ?? {}).find(
    (i) =>
      regionOfZone(lastSegment(i.zone))?.name === region &&
      i.networkInterfaces.some((n) => n.accessConfigs.some((ac) => ac.natIP === ip)),
  );
}

export const deleteAddress: Handler = (cloud, req) => {
  const { project, region } = regionOf(cloud, req);
  const address = cloud.getAddress(project, region, param(req, 'address'));
  const user = address.users?.[0];
  if (user) throw resourceInUse('address', resourcePath(address.selfLink), resourcePath(user));
  delete cloud.project(project).addresses[`${region}/${address.name}`];
  return cloud.startOperation({
    project,
    scope: { region },
    operationType: 'delete',
    target: address,
    requestId: requestId(req),
  });
};

// --- target pools ---------------------------------------------------------------------------

const targetPoolBody = z.object({
  name: z.string(),
  description: z.string().optional(),
  instances: z.array(z.string()).optional(),
  healthChecks: z.array(z.string()).optional(),
  sessionAffinity: z.string().optional(),
});

const poolMembersBody = z.object({ instances: z.array(z.object({ instance: z.string() })).optional() });

export const listTargetPools: Handler = (cloud, req) => {
  const { project, region } = regionOf(cloud, req);
  return listResponse(
    'compute#targetPoolList',
    `${regionLink(project, region)}/targetPools`,
    regionalList(cloud.peekProject(project)?.targetPools, region),
    req.query,
  );
};

export const aggregatedTargetPools: Handler = (cloud, req) => {
  const project = param(req, 'project');
  return aggregatedResponse(
    'compute#targetPoolAggregatedList',
    `${projectLink(project)}/aggregated/targetPools`,
    'targetPools',
    regionalScopes(cloud.peekProject(project)?.targetPools),
    req,
  );
};

export const getTargetPool: Handler = (cloud, req) => {
  const { project, region } = regionOf(cloud, req);
  return cloud.getTargetPool(project, region, param(req, 'targetPool'));
};

export const insertTargetPool: Handler = (cloud, req) => {
  const { project, region } = regionOf(cloud, req);
  const body = parseBody(targetPoolBody, req.body);
  checkName(body.name);
  const selfLink = regionalLink(project, region, 'targetPools', body.name);
  if (cloud.peekProject(project)?.targetPools[`${region}/${body.name}`]) throw alreadyExists(resourcePath(selfLink));
  const instances = (body.instances ?? []).map((ref, i) =>
    poolMember(cloud, project, region, ref, `resource.instances[${i}]`),
  );
  const pool: TargetPool = {
    kind: 'compute#targetPool',
    id: newId(),
    creationTimestamp: gceTimestamp(),
    name: body.name,
    ...(body.description !== undefined ? { description: body.description } : {}),
    region: regionLink(project, region),
    selfLink,
    instances: [...new Set(instances)],
    ...(body.healthChecks ? { healthChecks: body.healthChecks } : {}),
    sessionAffinity: body.sessionAffinity ?? 'NONE',
  };
  cloud.project(project).targetPools[`${region}/${body.name}`] = pool;
  return cloud.startOperation({
    project,
    scope: { region },
    operationType: 'insert',
    target: pool,
    requestId: requestId(req),
  });
};

function poolMember(cloud: Cloud, project: string, region: string, ref: string, field: string): string {
  const found = cloud.findInstanceByRef(project, ref, '');
  if (!found) {
    const r = parseRef(ref, { project, scopeKind: 'zones', scope: '', collection: 'instances' });
    if (!r || r.collection !== 'instances') throw invalidField(field, ref, 'Must be an instance URL.');
    throw notFound(`projects/${r.project}/zones/${r.scope}/instances/${r.name}`);
  }
  if (regionOfZone(lastSegment(found.instance.zone))?.name !== region)
    throw invalidField(field, ref, `Instance is not in region '${region}'.`);
  return found.instance.selfLink;
}

export const deleteTargetPool: Handler = (cloud, req) => {
  const { project, region } = regionOf(cloud, req);
  const pool = cloud.getTargetPool(project, region, param(req, 'targetPool'));
  const rule = Object.values(cloud.peekProject(project)?.forwardingRules ?? {}).find((f) => f.target === pool.selfLink);
  if (rule) throw resourceInUse('target_pool', resourcePath(pool.selfLink), resourcePath(rule.selfLink));
  delete cloud.project(project).targetPools[`${region}/${pool.name}`];
  return cloud.startOperation({
    project,
    scope: { region },
    operationType: 'delete',
    target: pool,
    requestId: requestId(req),
  });
};

/** The instances are resolved when the operation runs: a missing one fails the operation, not the call. */
function changePoolMembers(add: boolean): Handler {
  return (cloud, req) => {
    const { project, region } = regionOf(cloud, req);
    const pool = cloud.getTargetPool(project, region, param(req, 'targetPool'));
    const body = parseBody(poolMembersBody, req.body);
    const refs = (body.instances ?? []).map((i) => i.instance);
    if (refs.length === 0) throw required('resource.instances');
    return cloud.startOperation({
      project,
      scope: { region },
      operationType: add ? 'addInstance' : 'removeInstance',
      target: pool,
      effect: { type: 'targetPoolMembership', region, name: pool.name, add, instances: refs },
      requestId: requestId(req),
    });
  };
}

export const addTargetPoolInstance = changePoolMembers(true);
export const removeTargetPoolInstance = changePoolMembers(false);

// --- forwarding rules -----------------------------------------------------------------------

const forwardingRuleBody = z.object({
  name: z.string(),
  description: z.string().optional(),
  IPAddress: z.string().optional(),
  IPProtocol: z.string().optional(),
  portRange: z.string().optional(),
  target: z.string(),
  loadBalancingScheme: z.string().optional(),
  networkTier: z.string().optional(),
});

export const listForwardingRules: Handler = (cloud, req) => {
  const { project, region } = regionOf(cloud, req);
  return listResponse(
    'compute#forwardingRuleList',
    `${regionLink(project, region)}/forwardingRules`,
    regionalList(cloud.peekProject(project)?.forwardingRules, region),
    req.query,
  );
};

export const aggregatedForwardingRules: Handler = (cloud, req) => {
  const project = param(req, 'project');
  return aggregatedResponse(
    'compute#forwardingRuleAggregatedList',
    `${projectLink(project)}/aggregated/forwardingRules`,
    'forwardingRules',
    regionalScopes(cloud.peekProject(project)?.forwardingRules),
    req,
  );
};

export const getForwardingRule: Handler = (cloud, req) => {
  const { project, region } = regionOf(cloud, req);
  return cloud.getForwardingRule(project, region, param(req, 'forwardingRule'));
};

export const insertForwardingRule: Handler = (cloud, req) => {
  const { project, region } = regionOf(cloud, req);
  const body = parseBody(forwardingRuleBody, req.body);
  checkName(body.name);
  const selfLink = regionalLink(project, region, 'forwardingRules', body.name);
  if (cloud.peekProject(project)?.forwardingRules[`${region}/${body.name}`])
    throw alreadyExists(resourcePath(selfLink));

  const t = parseRef(body.target, { project, scopeKind: 'regions', scope: region, collection: 'targetPools' });
  if (!t || t.collection !== 'targetPools')
    throw invalidField('resource.target', body.target, 'The sandbox supports target pools as targets.');
  if (t.project !== project || t.scope !== region)
    throw invalidField('resource.target', body.target, `Target pool must be in region '${region}'.`);
  const pool = cloud.getTargetPool(project, region, t.name);

  const protocol = (body.IPProtocol ?? 'TCP').toUpperCase();
  if (protocol !== 'TCP' && protocol !== 'UDP')
    throw invalidField('resource.IPProtocol', body.IPProtocol ?? '', 'Must be TCP or UDP.');
  let portRange: string | undefined;
  if (body.portRange !== undefined && body.portRange !== '') {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(body.portRange);
    const lo = Number(m?.[1]);
    const hi = Number(m?.[2] ?? m?.[1]);
    if (!m || lo < 1 || hi > 65535 || lo > hi)
      throw invalidField('resource.portRange', body.portRange, 'Must be a port or a range like 443-443.');
    portRange = `${lo}-${hi}`;
  }

  let ip: string;
  let address: Address | undefined;
  if (body.IPAddress !== undefined && body.IPAddress !== '') {
    if (isIpv4(body.IPAddress)) {
      ip = body.IPAddress;
      address = cloud.findAddressByIp(project, region, ip);
      if (!address && cloud.usedExternalIps().has(ip))
        throw invalidField('resource.IPAddress', ip, 'IP address is already being used by another resource.');
      if (!address && !cloud.addresses.isExternalRange(ip)) {
        throw invalidField(
          'resource.IPAddress',
          ip,
          `External addresses of this sandbox are in ${cloud.addresses.externalRangeText}.`,
        );
      }
    } else {
      const r = parseRef(body.IPAddress, { project, scopeKind: 'regions', scope: region, collection: 'addresses' });
      if (!r || r.collection !== 'addresses')
        throw invalidField('resource.IPAddress', body.IPAddress, 'Must be an IP address or an address URL.');
      if (r.project !== project || r.scope !== region)
        throw invalidField('resource.IPAddress', body.IPAddress, `Address must be in region '${region}'.`);
      address = cloud.getAddress(project, region, r.name);
      ip = address.address;
    }
    if (address) {
      if (address.addressType !== 'EXTERNAL')
        throw invalidField('resource.IPAddress', ip, 'Must be an EXTERNAL address.');
      const user = address.users?.[0];
      if (user)
        throw invalidField(
          'resource.IPAddress',
          ip,
          `IP address '${ip}' is already being used by '${resourcePath(user)}'.`,
        );
    }
  } else {
    const free = lowestFree(cloud.addresses.ephemeralExternalPool(), cloud.usedExternalIps());
    if (!free) throw invalid('No free ephemeral external address left in the sandbox.');
    ip = free;
  }

  const rule: ForwardingRule = {
    kind: 'compute#forwardingRule',
    id: newId(),
    creationTimestamp: gceTimestamp(),
    name: body.name,
    ...(body.description !== undefined ? { description: body.description } : {}),
    region: regionLink(project, region),
    IPAddress: ip,
    IPProtocol: protocol,
    ...(portRange ? { portRange } : {}),
    target: pool.selfLink,
    selfLink,
    loadBalancingScheme: body.loadBalancingScheme ?? 'EXTERNAL',
    networkTier: body.networkTier ?? 'PREMIUM',
    labelFingerprint: '42WmSpB8rSM=',
    fingerprint: newFingerprint(),
  };
  cloud.project(project).forwardingRules[`${region}/${body.name}`] = rule;
  if (address) cloud.addAddressUser(address, selfLink);
  // The rule forwards only SANDBOX_LB_DELAY_MS after its insert is DONE, as GCE's take minutes to program.
  cloud.forwardingFrom.set(selfLink, Infinity);
  return cloud.startOperation({
    project,
    scope: { region },
    operationType: 'insert',
    target: rule,
    effect: { type: 'forwardingRuleInserted', region, name: body.name },
    requestId: requestId(req),
  });
};

export const deleteForwardingRule: Handler = (cloud, req) => {
  const { project, region } = regionOf(cloud, req);
  const rule = cloud.getForwardingRule(project, region, param(req, 'forwardingRule'));
  delete cloud.project(project).forwardingRules[`${region}/${rule.name}`];
  cloud.forwardingFrom.delete(rule.selfLink);
  cloud.releaseAddressesOf(project, rule.selfLink);
  return cloud.startOperation({
    project,
    scope: { region },
    operationType: 'delete',
    target: rule,
    requestId: requestId(req),
  });
};

// --- firewalls ------------------------------------------------------------------------------

const firewallRuleBody = z.object({ IPProtocol: z.string(), ports: z.array(z.string()).optional() });

const firewallBody = z.object({
  name: z.string(),
  description: z.string().optional(),
  network: z.string().optional(),
  priority: z.number().int().min(0).max(65535).optional(),
  sourceRanges: z.array(z.string()).optional(),
  sourceTags: z.array(z.string()).optional(),
  sourceServiceAccounts: z.array(z.string()).optional(),
  targetTags: z.array(z.string()).optional(),
  targetServiceAccounts: z.array(z.string()).optional(),
  allowed: z.array(firewallRuleBody).optional(),
  denied: z.array(firewallRuleBody).optional(),
  direction: z.enum(['INGRESS', 'EGRESS']).optional(),
  disabled: z.boolean().optional(),
});

const PROTOCOLS = ['tcp', 'udp', 'icmp', 'esp', 'ah', 'sctp', 'ipip', 'all'];

function checkFirewallRules(rules: ReadonlyArray<{ IPProtocol: string; ports?: string[] }>, field: string) {
  return rules.map((r, i) => {
    const protocol = r.IPProtocol.toLowerCase();
    if (!PROTOCOLS.includes(protocol) && !/^\d{1,3}$/.test(protocol))
      throw invalidField(`${field}[${i}].IPProtocol`, r.IPProtocol, 'Unknown protocol.');
    for (const [j, port] of (r.ports ?? []).entries()) {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(port);
      if (!m || Number(m[1]) > 65535 || Number(m[2] ?? 0) > 65535)
        throw invalidField(`${field}[${i}].ports[${j}]`, port, 'Must be a port or a port range.');
    }
    return { IPProtocol: protocol, ...(r.ports && r.ports.length > 0 ? { ports: r.ports } : {}) };
  });
}

/** GCE refuses a rule that selects by tags and by service accounts at once (sources, or targets). */
function checkTagsOrAccounts(
  tags: readonly string[] | undefined,
  accounts: readonly string[] | undefined,
  kind: 'source' | 'target',
) {
  if (tags?.length && accounts?.length) {
    throw invalid(
      `Invalid value for field 'resource': ${kind}Tags and ${kind}ServiceAccounts cannot be used at the same time.`,
    );
  }
}

export const listFirewalls: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const all = Object.values(cloud.peekProject(project)?.firewalls ?? {}).sort(byName);
  return listResponse('compute#firewallList', `${projectLink(project)}/global/firewalls`, all, req.query);
};

export const getFirewall: Handler = (cloud, req) => cloud.getFirewall(param(req, 'project'), param(req, 'firewall'));

export const insertFirewall: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const body = parseBody(firewallBody, req.body);
  checkName(body.name);
  const selfLink = globalLink(project, 'firewalls', body.name);
  if (cloud.peekProject(project)?.firewalls[body.name]) throw alreadyExists(resourcePath(selfLink));
  if (body.network !== undefined) checkNetworkRefs(project, '', body.network, undefined, 'resource');
  if (!body.allowed?.length && !body.denied?.length) throw required('resource.allowed');
  if (body.allowed?.length && body.denied?.length)
    throw invalid("Invalid value for field 'resource': only one of allowed or denied may be set.");
  const direction = body.direction ?? 'INGRESS';
  body.sourceTags?.forEach((t, i) => checkName(t, `resource.sourceTags[${i}]`));
  body.targetTags?.forEach((t, i) => checkName(t, `resource.targetTags[${i}]`));
  checkTagsOrAccounts(body.sourceTags, body.sourceServiceAccounts, 'source');
  checkTagsOrAccounts(body.targetTags, body.targetServiceAccounts, 'target');
  const noSource = !body.sourceRanges?.length && !body.sourceTags?.length && !body.sourceServiceAccounts?.length;
  const firewall: Firewall = {
    kind: 'compute#firewall',
    id: newId(),
    creationTimestamp: gceTimestamp(),
    name: body.name,
    ...(body.description !== undefined ? { description: body.description } : {}),
    network: globalLink(project, 'networks', NETWORK_NAME),
    priority: body.priority ?? 1000,
    // GCE's default for an ingress rule with no source is "from anywhere".
    ...(noSource && direction === 'INGRESS'
      ? { sourceRanges: ['0.0.0.0/0'] }
      : body.sourceRanges?.length
        ? { sourceRanges: body.sourceRanges }
        : {}),
    ...(body.sourceTags?.length ? { sourceTags: body.sourceTags } : {}),
    ...(body.sourceServiceAccounts?.length ? { sourceServiceAccounts: body.sourceServiceAccounts } : {}),
    ...(body.targetTags?.length ? { targetTags: body.targetTags } : {}),
    ...(body.targetServiceAccounts?.length ? { targetServiceAccounts: body.targetServiceAccounts } : {}),
    ...(body.allowed?.length ? { allowed: checkFirewallRules(body.allowed, 'resource.allowed') } : {}),
    ...(body.denied?.length ? { denied: checkFirewallRules(body.denied, 'resource.denied') } : {}),
    direction,
    logConfig: { enable: false },
    disabled: body.disabled ?? false,
    selfLink,
  };
  cloud.project(project).firewalls[body.name] = firewall;
  return cloud.startOperation({
    project,
    scope: { global: true },
    operationType: 'insert',
    target: firewall,
    requestId: requestId(req),
  });
};

export const deleteFirewall: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const firewall = cloud.getFirewall(project, param(req, 'firewall'));
  delete cloud.project(project).firewalls[firewall.name];
  return cloud.startOperation({
    project,
    scope: { global: true },
    operationType: 'delete',
    target: firewall,
    requestId: requestId(req),
  });
};

/**
 * firewalls.patch: the fields present in the body replace the rule's (GCE's patch semantics); the name
 * cannot change, and a rule keeps exactly one of allowed or denied.
 */
export const patchFirewall: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const firewall = cloud.getFirewall(project, param(req, 'firewall'));
  const body = parseBody(firewallBody.partial(), req.body);
  if (body.name !== undefined && body.name !== firewall.name) {
    throw invalidField('resource.name', body.name, 'The name of a firewall rule cannot be changed.');
  }
  if (body.network !== undefined) checkNetworkRefs(project, '', body.network, undefined, 'resource');
  body.sourceTags?.forEach((t, i) => checkName(t, `resource.sourceTags[${i}]`));
  body.targetTags?.forEach((t, i) => checkName(t, `resource.targetTags[${i}]`));
  checkTagsOrAccounts(
    body.sourceTags ?? firewall.sourceTags,
    body.sourceServiceAccounts ?? firewall.sourceServiceAccounts,
    'source',
  );
  checkTagsOrAccounts(
    body.targetTags ?? firewall.targetTags,
    body.targetServiceAccounts ?? firewall.targetServiceAccounts,
    'target',
  );
  const allowed = body.allowed?.length ? checkFirewallRules(body.allowed, 'resource.allowed') : undefined;
  const denied = body.denied?.length ? checkFirewallRules(body.denied, 'resource.denied') : undefined;
  if (allowed && denied) throw invalid("Invalid value for field 'resource': only one of allowed or denied may be set.");
  // All checks passed: apply.
  if (body.description !== undefined) firewall.description = body.description;
  if (body.priority !== undefined) firewall.priority = body.priority;
  if (body.sourceRanges !== undefined) firewall.sourceRanges = body.sourceRanges;
  if (body.sourceTags !== undefined) firewall.sourceTags = body.sourceTags;
  if (body.sourceServiceAccounts !== undefined) firewall.sourceServiceAccounts = body.sourceServiceAccounts;
  if (body.targetTags !== undefined) firewall.targetTags = body.targetTags;
  if (body.targetServiceAccounts !== undefined) firewall.targetServiceAccounts = body.targetServiceAccounts;
  if (body.direction !== undefined) firewall.direction = body.direction;
  if (body.disabled !== undefined) firewall.disabled = body.disabled;
  if (allowed) {
    firewall.allowed = allowed;
    delete firewall.denied;
  }
  if (denied) {
    firewall.denied = denied;
    delete firewall.allowed;
  }
  return cloud.startOperation({
    project,
    scope: { global: true },
    operationType: 'patch',
    target: firewall,
    requestId: requestId(req),
  });
};
