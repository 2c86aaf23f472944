import 'server-only';
import { randomUUID } from 'node:crypto';
// Each client from its own module: the package's index also loads its static protobuf code (build/protos/protos.js,
// 30 MB of source kept in memory with its compiled code and thousands of message classes) and the v1small and
// v1beta clients, none of which Quorum uses (the clients encode with protos.json). That index costs the dashboard
// ~60 MB of memory; these twelve modules alone do not load it.
import { AddressesClient } from '@google-cloud/compute/build/src/v1/addresses_client';
import { DisksClient } from '@google-cloud/compute/build/src/v1/disks_client';
import { FirewallsClient } from '@google-cloud/compute/build/src/v1/firewalls_client';
import { ForwardingRulesClient } from '@google-cloud/compute/build/src/v1/forwarding_rules_client';
import { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client';
import { InstancesClient } from '@google-cloud/compute/build/src/v1/instances_client';
import { ProjectsClient } from '@google-cloud/compute/build/src/v1/projects_client';
import { RegionOperationsClient } from '@google-cloud/compute/build/src/v1/region_operations_client';
import { RegionsClient } from '@google-cloud/compute/build/src/v1/regions_client';
import { SubnetworksClient } from '@google-cloud/compute/build/src/v1/subnetworks_client';
import { TargetPoolsClient } from '@google-cloud/compute/build/src/v1/target_pools_client';
import { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client';
import { googleAuthLibrary, type ClientOptions } from 'google-gax';
import { z } from 'zod';
import type { ForwardingRule, StaticAddress, TargetPool } from '@/lib/core/topology';
import type {
  ComputePort,
  DiskInfo,
  FirewallInfo,
  FirewallSpec,
  GuestAttribute,
  InsertInstanceSpec,
  InstanceInfo,
  InstanceListing,
  InstanceRef,
  MetadataItem,
  MutationOptions,
  RegionalListing,
  ProjectMetadata,
  RegionInfo,
} from '@/lib/ports/compute';
import { isTransientProviderError, ProviderError } from '@/lib/ports/provider-error';
import { isConnectionReset } from '@/lib/adapters/connection-reset';
import {
  lowestFreeHost,
  toDiskInfo,
  toFirewallInfo,
  toForwardingRule,
  toInstanceInfo,
  toProviderError,
  toRegionInfo,
  toRegionZones,
  toStaticAddress,
  toSubnetworkRange,
  toTargetPool,
  unreachableRegionOf,
  unreachableZoneOf,
} from './gce-mapping';
import { operationOf, waitForOperation } from './gce-operations';

export type GceClients = {
  instances: InstancesClient;
  regions: RegionsClient;
  addresses: AddressesClient;
  targetPools: TargetPoolsClient;
  forwardingRules: ForwardingRulesClient;
  disks: DisksClient;
  firewalls: FirewallsClient;
  subnetworks: SubnetworksClient;
  zoneOperations: ZoneOperationsClient;
  regionOperations: RegionOperationsClient;
  globalOperations: GlobalOperationsClient;
  projects: ProjectsClient;
};

export type GceTarget = { kind: 'sandbox'; port: number; host?: string } | { kind: 'google' };

/**
 * Client options: the sandbox emulator speaks GCE's REST over plain HTTP and takes no credentials;
 * Google is reached with Application Default Credentials. Compute has no gRPC surface, so both use REST.
 */
export function computeClientOptions(target: GceTarget): ClientOptions {
  if (target.kind === 'google') return { fallback: true };
  return {
    apiEndpoint: target.host ?? '127.0.0.1',
    port: target.port,
    protocol: 'http',
    fallback: true,
    authClient: new googleAuthLibrary.PassThroughClient(),
  };
}

/** One set of clients per container: each holds its own auth and keep-alive HTTP agent. */
export function createGceClients(target: GceTarget): GceClients {
  const opts = computeClientOptions(target);
  return {
    instances: new InstancesClient(opts),
    regions: new RegionsClient(opts),
    addresses: new AddressesClient(opts),
    targetPools: new TargetPoolsClient(opts),
    forwardingRules: new ForwardingRulesClient(opts),
    disks: new DisksClient(opts),
    firewalls: new FirewallsClient(opts),
    subnetworks: new SubnetworksClient(opts),
    zoneOperations: new ZoneOperationsClient(opts),
    regionOperations: new RegionOperationsClient(opts),
    globalOperations: new GlobalOperationsClient(opts),
    projects: new ProjectsClient(opts),
  };
}

export async function closeGceClients(clients: GceClients): Promise<void> {
  await Promise.allSettled(Object.values(clients).map((c) => c.close()));
}

/**
 * Per-call options. A fresh object per call (gax mutates it). No retries: an observation is repeated
 * within seconds anyway, and a retry loop would outlive the caller's deadline.
 */
function callOptions() {
  return { maxRetries: 0, autoPaginate: false } as const;
}

/**
 * gax's REST transport ignores `timeout`, so the deadline is enforced here. The abandoned request
 * finishes (or fails) on its own; its result is dropped.
 */
async function withDeadline<T>(work: Promise<T>, ms: number, context: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ProviderError('Timeout', `${context}: no answer from Compute Engine within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (e) {
    throw toProviderError(e, context);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A read under the deadline, sent once more at once when the connection was reset under it before any answer
 * (a kept-alive connection the server closed as idle just as the request went out). A read is safe to repeat;
 * both tries share the deadline.
 */
async function read<T>(call: () => Promise<T>, ms: number, context: string): Promise<T> {
  const deadline = Date.now() + ms;
  try {
    return await withDeadline(call(), ms, context);
  } catch (e) {
    if (!(e instanceof ProviderError) || !isConnectionReset(e.cause)) throw e;
    return withDeadline(call(), Math.max(1, deadline - Date.now()), context);
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function orNullIfNotFound<T>(work: Promise<T>): Promise<T | null> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof ProviderError && e.code === 'NotFound') return null;
    throw e;
  }
}

/** Google's API root: target pools and forwarding rules name their members and targets by full URL. */
const COMPUTE_API_ROOT = 'https://www.googleapis.com/compute/v1';
/** kube-up's master boot image and size when the caller gives none. */
const DEFAULT_BOOT_IMAGE = 'projects/cos-cloud/global/images/family/cos-stable';
const DEFAULT_BOOT_SIZE_GB = 20;
/** kube-up's access config name on masters and nodes. */
const ACCESS_CONFIG_NAME = 'external-nat';
/** kube-up's device name for a master's data disk (configure-helper mounts /dev/disk/by-id/google-master-pd). */
const MASTER_PD_DEVICE = 'master-pd';

/**
 * kube-up's master names (config-default.sh: MASTER_NAME=${INSTANCE_PREFIX}-master; replicas
 * <MASTER_NAME>-<3 chars>), as an RE2 expression GCE's `name eq` filter matches against the whole name.
 */
/** GCE's list filter on names: an RE2 expression that must match the whole name. */
function nameFilter(nameRegex: string): string {
  return `name eq "${nameRegex.replaceAll('"', '\\"')}"`;
}

export const KUBE_UP_MASTER_NAME_RE2 = '[a-z]([-a-z0-9]*[a-z0-9])?-master(-[a-z0-9]{3})?';

export function instanceUrl(project: string, ref: InstanceRef): string {
  return typeof ref === 'string'
    ? ref
    : `${COMPUTE_API_ROOT}/projects/${project}/zones/${ref.zone}/instances/${ref.name}`;
}

export type GceComputeOptions = {
  /** How long a mutation's Operation may take to be DONE (an instance insert includes its boot). */
  operationTimeoutMs?: number;
  /** Called when Compute accepted a mutation, before its Operation is read (a seam for crash tests; `context` names the call). */
  afterSend?: (context: string) => void;
};

export class GceCompute implements ComputePort {
  private readonly operationTimeoutMs: number;
  private readonly afterSend: ((context: string) => void) | undefined;

  constructor(
    private readonly clients: GceClients,
    private readonly timeoutMs: number,
    opts: GceComputeOptions = {},
  ) {
    this.operationTimeoutMs = opts.operationTimeoutMs ?? 5 * 60_000;
    this.afterSend = opts.afterSend;
  }

  async listRegionZones(project: string, region: string): Promise<string[]> {
    const context = `regions.get ${project}/${region}`;
    const [raw] = await read(
      () => this.clients.regions.get({ project, region }, callOptions()),
      this.timeoutMs,
      context,
    );
    return toRegionZones(raw);
  }

  async listRegions(project: string): Promise<RegionInfo[]> {
    const context = `regions.list ${project}`;
    const raw = await read(
      () => collect(this.clients.regions.listAsync({ project }, callOptions())),
      this.timeoutMs,
      context,
    );
    return raw.map(toRegionInfo).sort((a, b) => a.name.localeCompare(b.name));
  }

  async listAllInstances(project: string): Promise<InstanceInfo[]> {
    const context = `instances.aggregatedList ${project}`;
    const scopes = await read(
      () => collect(this.clients.instances.aggregatedListAsync({ project }, callOptions())),
      this.timeoutMs,
      context,
    );
    // Scopes without instances carry only a warning (NO_RESULTS_ON_PAGE).
    return scopes.flatMap(([, scoped]) => (scoped.instances ?? []).map(toInstanceInfo)).sort(byZoneThenName);
  }

  async listInstances(project: string, nameRegex: string): Promise<InstanceInfo[]> {
    const re = new RegExp(nameRegex);
    // GCE's filter takes an RE2 expression that must match the whole name; the same check runs here
    // so a provider that ignores the filter cannot leak other instances into a cluster.
    const filter = `name eq "${nameRegex.replaceAll('"', '\\"')}"`;
    const scopes = await read(
      () => collect(this.clients.instances.aggregatedListAsync({ project, filter }, callOptions())),
      this.timeoutMs,
      `instances.aggregatedList ${project} ${filter}`,
    );
    return scopes
      .flatMap(([, scoped]) => (scoped.instances ?? []).map(toInstanceInfo))
      .filter((i) => re.test(i.name))
      .sort(byZoneThenName);
  }

  async listMasterInstances(project: string): Promise<InstanceListing> {
    const filter = `name eq "${KUBE_UP_MASTER_NAME_RE2}"`;
    const scopes = await read(
      () =>
        collect(
          this.clients.instances.aggregatedListAsync({ project, filter, returnPartialSuccess: true }, callOptions()),
        ),
      this.timeoutMs,
      `instances.aggregatedList ${project} ${filter}`,
    );
    const re = new RegExp(`^${KUBE_UP_MASTER_NAME_RE2}$`);
    const unreachableZones = scopes.flatMap(([key, scoped]) => {
      const zone = unreachableZoneOf(key, scoped);
      return zone === null ? [] : [zone];
    });
    return {
      // The same check as the filter, here too: a provider that ignores the filter must not leak other instances.
      instances: scopes
        .flatMap(([, scoped]) => (scoped.instances ?? []).map(toInstanceInfo))
        .filter((i) => re.test(i.name))
        .sort(byZoneThenName),
      unreachableZones: [...new Set(unreachableZones)].sort(),
    };
  }

  listAllForwardingRules(project: string, nameRegex: string): Promise<RegionalListing<ForwardingRule>> {
    const filter = nameFilter(nameRegex);
    return this.regionalListing(
      () =>
        this.clients.forwardingRules.aggregatedListAsync(
          { project, filter, returnPartialSuccess: true },
          callOptions(),
        ),
      (scoped) => scoped.forwardingRules ?? [],
      toForwardingRule,
      nameRegex,
      `forwardingRules.aggregatedList ${project} ${filter}`,
    );
  }

  listAllTargetPools(project: string, nameRegex: string): Promise<RegionalListing<TargetPool>> {
    const filter = nameFilter(nameRegex);
    return this.regionalListing(
      () =>
        this.clients.targetPools.aggregatedListAsync({ project, filter, returnPartialSuccess: true }, callOptions()),
      (scoped) => scoped.targetPools ?? [],
      toTargetPool,
      nameRegex,
      `targetPools.aggregatedList ${project} ${filter}`,
    );
  }

  listAllAddresses(project: string, nameRegex: string): Promise<RegionalListing<StaticAddress>> {
    const filter = nameFilter(nameRegex);
    return this.regionalListing(
      () => this.clients.addresses.aggregatedListAsync({ project, filter, returnPartialSuccess: true }, callOptions()),
      (scoped) => scoped.addresses ?? [],
      toStaticAddress,
      nameRegex,
      `addresses.aggregatedList ${project} ${filter}`,
    );
  }

  /** Scopes `regions/<r>` of an aggregatedList, mapped; scopes of no region (`global`) are left out. */
  private async regionalListing<S, T extends { name: string }>(
    pages: () => AsyncIterable<[string, S]>,
    itemsOf: (scoped: S) => unknown[],
    map: (raw: unknown) => T,
    nameRegex: string,
    context: string,
  ): Promise<RegionalListing<T>> {
    const scopes = await read(() => collect(pages()), this.timeoutMs, context);
    const re = new RegExp(`^(?:${nameRegex})$`);
    const items: RegionalListing<T>['items'] = [];
    const unreachable = new Set<string>();
    for (const [key, scoped] of scopes) {
      const region = /^regions\/([^/]+)$/.exec(key)?.[1];
      if (!region) continue;
      const down = unreachableRegionOf(key, scoped);
      if (down !== null) unreachable.add(down);
      // The same check as the filter, here too: a provider that ignores the filter must not leak other resources.
      for (const raw of itemsOf(scoped)) {
        const resource = map(raw);
        if (re.test(resource.name)) items.push({ region, resource });
      }
    }
    items.sort((a, b) => a.region.localeCompare(b.region) || a.resource.name.localeCompare(b.resource.name));
    return { items, unreachableRegions: [...unreachable].sort() };
  }

  async getForwardingRule(project: string, region: string, name: string): Promise<ForwardingRule | null> {
    const context = `forwardingRules.get ${project}/${region}/${name}`;
    const res = await orNullIfNotFound(
      read(
        () => this.clients.forwardingRules.get({ project, region, forwardingRule: name }, callOptions()),
        this.timeoutMs,
        context,
      ),
    );
    return res === null ? null : toForwardingRule(res[0]);
  }

  async getTargetPool(project: string, region: string, name: string): Promise<TargetPool | null> {
    const context = `targetPools.get ${project}/${region}/${name}`;
    const res = await orNullIfNotFound(
      read(
        () => this.clients.targetPools.get({ project, region, targetPool: name }, callOptions()),
        this.timeoutMs,
        context,
      ),
    );
    return res === null ? null : toTargetPool(res[0]);
  }

  async getAddress(project: string, region: string, name: string): Promise<StaticAddress | null> {
    const context = `addresses.get ${project}/${region}/${name}`;
    const res = await orNullIfNotFound(
      read(
        () => this.clients.addresses.get({ project, region, address: name }, callOptions()),
        this.timeoutMs,
        context,
      ),
    );
    return res === null ? null : toStaticAddress(res[0]);
  }

  // --- mutations -----------------------------------------------------------------------------------

  async getInstance(project: string, zone: string, name: string): Promise<InstanceInfo | null> {
    const context = `instances.get ${project}/${zone}/${name}`;
    const res = await orNullIfNotFound(
      read(() => this.clients.instances.get({ project, zone, instance: name }, callOptions()), this.timeoutMs, context),
    );
    return res === null ? null : toInstanceInfo(res[0]);
  }

  async awaitZoneMutation(
    project: string,
    zone: string,
    requestId: string,
  ): Promise<{ operation: string; operationType: string } | null> {
    const context = `zoneOperations.list ${project}/${zone} clientOperationId ${requestId}`;
    // A UUID only: nothing else may reach the filter expression.
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(requestId))
      throw new ProviderError('InvalidArgument', `${context}: not a requestId`);
    const [ops] = await read(
      () =>
        this.clients.zoneOperations.list(
          { project, zone, filter: `clientOperationId = "${requestId}"` },
          callOptions(),
        ),
      this.timeoutMs,
      context,
    ).catch((e: unknown) => {
      throw toProviderError(e, context);
    });
    const first = ops.find((o) => o.clientOperationId === requestId);
    if (!first) return null;
    const op = operationOf(first);
    try {
      const done = await waitForOperation(this.clients, project, op, this.operationTimeoutMs);
      return { operation: done.name, operationType: first.operationType ?? '' };
    } catch (e) {
      throw toProviderError(e, `${context}: operation ${op.name}`);
    }
  }

  async insertInstance(spec: InsertInstanceSpec, opts: MutationOptions = {}): Promise<void> {
    const { project, zone, name } = spec;
    await this.mutate(
      project,
      `instances.insert ${project}/${zone}/${name}`,
      (requestId) =>
        this.clients.instances.insert(
          { project, zone, instanceResource: instanceResourceOf(spec), requestId },
          callOptions(),
        ),
      opts,
    );
  }

  async deleteInstance(project: string, zone: string, name: string, opts: MutationOptions = {}): Promise<void> {
    await this.mutate(
      project,
      `instances.delete ${project}/${zone}/${name}`,
      (requestId) => this.clients.instances.delete({ project, zone, instance: name, requestId }, callOptions()),
      opts,
    );
  }

  async startInstance(project: string, zone: string, name: string, opts: MutationOptions = {}): Promise<void> {
    await this.mutate(
      project,
      `instances.start ${project}/${zone}/${name}`,
      (requestId) => this.clients.instances.start({ project, zone, instance: name, requestId }, callOptions()),
      opts,
    );
  }

  async resetInstance(project: string, zone: string, name: string, opts: MutationOptions = {}): Promise<void> {
    await this.mutate(
      project,
      `instances.reset ${project}/${zone}/${name}`,
      (requestId) => this.clients.instances.reset({ project, zone, instance: name, requestId }, callOptions()),
      opts,
    );
  }

  async setInstanceMetadata(
    project: string,
    zone: string,
    name: string,
    items: MetadataItem[],
    fingerprint: string,
    opts: MutationOptions = {},
  ): Promise<void> {
    await this.mutate(
      project,
      `instances.setMetadata ${project}/${zone}/${name}`,
      (requestId) =>
        this.clients.instances.setMetadata(
          { project, zone, instance: name, metadataResource: { fingerprint, items }, requestId },
          callOptions(),
        ),
      opts,
    );
  }

  async addAccessConfig(
    project: string,
    zone: string,
    instance: string,
    natIP: string | null,
    opts: MutationOptions = {},
  ): Promise<void> {
    const accessConfigResource = {
      name: ACCESS_CONFIG_NAME,
      type: 'ONE_TO_ONE_NAT',
      ...(natIP === null ? {} : { natIP }),
    };
    await this.mutate(
      project,
      `instances.addAccessConfig ${project}/${zone}/${instance}`,
      (requestId) =>
        this.clients.instances.addAccessConfig(
          { project, zone, instance, networkInterface: 'nic0', accessConfigResource, requestId },
          callOptions(),
        ),
      opts,
    );
  }

  async deleteAccessConfig(
    project: string,
    zone: string,
    instance: string,
    accessConfigName: string,
    opts: MutationOptions = {},
  ): Promise<void> {
    await this.mutate(
      project,
      `instances.deleteAccessConfig ${project}/${zone}/${instance}`,
      (requestId) =>
        this.clients.instances.deleteAccessConfig(
          { project, zone, instance, networkInterface: 'nic0', accessConfig: accessConfigName, requestId },
          callOptions(),
        ),
      opts,
    );
  }

  async getDisk(project: string, zone: string, name: string): Promise<DiskInfo | null> {
    const context = `disks.get ${project}/${zone}/${name}`;
    const res = await orNullIfNotFound(
      read(() => this.clients.disks.get({ project, zone, disk: name }, callOptions()), this.timeoutMs, context),
    );
    return res === null ? null : toDiskInfo(res[0]);
  }

  async insertDisk(
    project: string,
    zone: string,
    disk: { name: string; sizeGb: number; type: string },
    opts: MutationOptions = {},
  ): Promise<void> {
    const diskResource = { name: disk.name, sizeGb: String(disk.sizeGb), type: `zones/${zone}/diskTypes/${disk.type}` };
    await this.mutate(
      project,
      `disks.insert ${project}/${zone}/${disk.name}`,
      (requestId) => this.clients.disks.insert({ project, zone, diskResource, requestId }, callOptions()),
      opts,
    );
  }

  async deleteDisk(project: string, zone: string, name: string, opts: MutationOptions = {}): Promise<void> {
    await this.mutate(
      project,
      `disks.delete ${project}/${zone}/${name}`,
      (requestId) => this.clients.disks.delete({ project, zone, disk: name, requestId }, callOptions()),
      opts,
    );
  }

  async insertAddress(
    project: string,
    region: string,
    name: string,
    address?: string,
    opts: MutationOptions = {},
  ): Promise<StaticAddress> {
    await this.mutate(
      project,
      `addresses.insert ${project}/${region}/${name}`,
      (requestId) =>
        this.clients.addresses.insert(
          { project, region, addressResource: { name, ...(address !== undefined ? { address } : {}) }, requestId },
          callOptions(),
        ),
      opts,
    );
    const created = await this.getAddress(project, region, name);
    if (created === null)
      throw new ProviderError(
        'NotFound',
        `addresses.insert ${project}/${region}/${name}: gone right after it was created`,
      );
    return created;
  }

  async deleteAddress(project: string, region: string, name: string, opts: MutationOptions = {}): Promise<void> {
    await this.mutate(
      project,
      `addresses.delete ${project}/${region}/${name}`,
      (requestId) => this.clients.addresses.delete({ project, region, address: name, requestId }, callOptions()),
      opts,
    );
  }

  async insertTargetPool(
    project: string,
    region: string,
    pool: { name: string; instances: InstanceRef[] },
    opts: MutationOptions = {},
  ): Promise<void> {
    const targetPoolResource = { name: pool.name, instances: pool.instances.map((r) => instanceUrl(project, r)) };
    await this.mutate(
      project,
      `targetPools.insert ${project}/${region}/${pool.name}`,
      (requestId) => this.clients.targetPools.insert({ project, region, targetPoolResource, requestId }, callOptions()),
      opts,
    );
  }

  async deleteTargetPool(project: string, region: string, name: string, opts: MutationOptions = {}): Promise<void> {
    await this.mutate(
      project,
      `targetPools.delete ${project}/${region}/${name}`,
      (requestId) => this.clients.targetPools.delete({ project, region, targetPool: name, requestId }, callOptions()),
      opts,
    );
  }

  async addTargetPoolInstance(
    project: string,
    region: string,
    pool: string,
    instance: InstanceRef,
    opts: MutationOptions = {},
  ): Promise<void> {
    const targetPoolsAddInstanceRequestResource = { instances: [{ instance: instanceUrl(project, instance) }] };
    await this.mutate(
      project,
      `targetPools.addInstance ${project}/${region}/${pool}`,
      (requestId) =>
        this.clients.targetPools.addInstance(
          { project, region, targetPool: pool, targetPoolsAddInstanceRequestResource, requestId },
          callOptions(),
        ),
      opts,
    );
  }

  async removeTargetPoolInstance(
    project: string,
    region: string,
    pool: string,
    instance: InstanceRef,
    opts: MutationOptions = {},
  ): Promise<void> {
    const targetPoolsRemoveInstanceRequestResource = { instances: [{ instance: instanceUrl(project, instance) }] };
    await this.mutate(
      project,
      `targetPools.removeInstance ${project}/${region}/${pool}`,
      (requestId) =>
        this.clients.targetPools.removeInstance(
          { project, region, targetPool: pool, targetPoolsRemoveInstanceRequestResource, requestId },
          callOptions(),
        ),
      opts,
    );
  }

  async insertForwardingRule(
    project: string,
    region: string,
    rule: { name: string; ipAddress: string; portRange: string; target: string },
    opts: MutationOptions = {},
  ): Promise<void> {
    const forwardingRuleResource = {
      name: rule.name,
      IPAddress: rule.ipAddress,
      IPProtocol: 'TCP',
      portRange: rule.portRange,
      target: `${COMPUTE_API_ROOT}/projects/${project}/regions/${region}/targetPools/${rule.target}`,
    };
    await this.mutate(
      project,
      `forwardingRules.insert ${project}/${region}/${rule.name}`,
      (requestId) =>
        this.clients.forwardingRules.insert({ project, region, forwardingRuleResource, requestId }, callOptions()),
      opts,
    );
  }

  async deleteForwardingRule(project: string, region: string, name: string, opts: MutationOptions = {}): Promise<void> {
    await this.mutate(
      project,
      `forwardingRules.delete ${project}/${region}/${name}`,
      (requestId) =>
        this.clients.forwardingRules.delete({ project, region, forwardingRule: name, requestId }, callOptions()),
      opts,
    );
  }

  async getFirewall(project: string, name: string): Promise<FirewallInfo | null> {
    const context = `firewalls.get ${project}/${name}`;
    const res = await orNullIfNotFound(
      read(() => this.clients.firewalls.get({ project, firewall: name }, callOptions()), this.timeoutMs, context),
    );
    return res === null ? null : toFirewallInfo(res[0]);
  }

  async insertFirewall(project: string, rule: FirewallSpec, opts: MutationOptions = {}): Promise<void> {
    const firewallResource = {
      name: rule.name,
      network: `global/networks/${rule.network ?? 'default'}`,
      ...(rule.sourceRanges.length > 0 ? { sourceRanges: rule.sourceRanges } : {}),
      ...(rule.sourceTags.length > 0 ? { sourceTags: rule.sourceTags } : {}),
      ...(rule.targetTags.length > 0 ? { targetTags: rule.targetTags } : {}),
      allowed: rule.allowed.map((a) => ({ IPProtocol: a.protocol, ...(a.ports.length > 0 ? { ports: a.ports } : {}) })),
    };
    await this.mutate(
      project,
      `firewalls.insert ${project}/${rule.name}`,
      (requestId) => this.clients.firewalls.insert({ project, firewallResource, requestId }, callOptions()),
      opts,
    );
  }

  async deleteFirewall(project: string, name: string, opts: MutationOptions = {}): Promise<void> {
    await this.mutate(
      project,
      `firewalls.delete ${project}/${name}`,
      (requestId) => this.clients.firewalls.delete({ project, firewall: name, requestId }, callOptions()),
      opts,
    );
  }

  async getSubnetworkRange(project: string, region: string): Promise<string> {
    const context = `subnetworks.get ${project}/${region}/default`;
    const [raw] = await read(
      () => this.clients.subnetworks.get({ project, region, subnetwork: 'default' }, callOptions()),
      this.timeoutMs,
      context,
    );
    return toSubnetworkRange(raw);
  }

  async freeInternalIp(project: string, region: string): Promise<string> {
    const [cidr, instances, addresses] = await Promise.all([
      this.getSubnetworkRange(project, region),
      this.listAllInstances(project),
      read(
        () => collect(this.clients.addresses.listAsync({ project, region }, callOptions())),
        this.timeoutMs,
        `addresses.list ${project}/${region}`,
      ),
    ]);
    const used = new Set<string>();
    for (const i of instances) if (i.internalIp) used.add(i.internalIp);
    for (const a of addresses) if (a.address) used.add(a.address);
    const free = lowestFreeHost(cidr, used);
    if (free === null)
      throw new ProviderError('InvalidArgument', `subnetwork ${cidr} of ${project}/${region} has no free address`);
    return free;
  }

  async getProjectMetadata(project: string): Promise<ProjectMetadata | null> {
    const context = `projects.get ${project}`;
    const res = await orNullIfNotFound(
      read(() => this.clients.projects.get({ project }, callOptions()), this.timeoutMs, context),
    );
    if (res === null) return null;
    const parsed = projectSchema.safeParse(res[0]);
    if (!parsed.success)
      throw new ProviderError('Unknown', `${context}: Compute Engine returned an unexpected project`);
    const items: Record<string, string> = {};
    for (const item of parsed.data.commonInstanceMetadata?.items ?? [])
      if (item.key) items[item.key] = item.value ?? '';
    return { items, fingerprint: parsed.data.commonInstanceMetadata?.fingerprint || null };
  }

  async getGuestAttributes(
    project: string,
    zone: string,
    instance: string,
    queryPath: string,
  ): Promise<GuestAttribute[] | null> {
    const context = `instances.getGuestAttributes ${project}/${zone}/${instance} ${queryPath}`;
    let res;
    try {
      res = await read(
        () => this.clients.instances.getGuestAttributes({ project, zone, instance, queryPath }, callOptions()),
        this.timeoutMs,
        context,
      );
    } catch (e) {
      // GCE answers 404 for a path nothing was written under, and refuses the call (400) on an instance
      // without enable-guest-attributes: both mean "none published".
      if (e instanceof ProviderError && (e.code === 'NotFound' || e.code === 'InvalidArgument')) return null;
      throw e;
    }
    const parsed = guestAttributesSchema.safeParse(res[0]);
    if (!parsed.success)
      throw new ProviderError('Unknown', `${context}: Compute Engine returned unexpected guest attributes`);
    const out: GuestAttribute[] = [];
    for (const e of parsed.data.queryValue?.items ?? []) {
      if (e.namespace && e.key && e.value) out.push({ namespace: e.namespace, key: e.key, value: e.value });
    }
    return out;
  }

  /**
   * Sends a mutating call, then waits for its Operation; every failure is a classified ProviderError naming the
   * call (gce-errors.ts). The call carries a requestId (a UUID). A caller that gives one (an operation step,
   * which keeps it in its journal) retries itself, so the call is sent once here. Without one, a lost answer
   * (the endpoint unreachable, a 5xx, 429, or no answer within the deadline) is sent again with the same id:
   * Compute answers the first call's Operation instead of doing it twice.
   */
  private async mutate(
    project: string,
    context: string,
    call: (requestId: string) => Promise<unknown>,
    opts: MutationOptions,
  ): Promise<void> {
    const requestId = opts.requestId ?? randomUUID();
    const attempts = opts.requestId === undefined ? MUTATION_ATTEMPTS : 1;
    let sent: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        sent = await withDeadline(call(requestId), this.timeoutMs, context);
        break;
      } catch (e) {
        const err = toProviderError(e, context);
        if (!isTransientProviderError(err) || attempt >= attempts) throw err;
        await new Promise((resolve) => setTimeout(resolve, RETRY_BACKOFF_MS * attempt));
      }
    }
    const op = operationOf(sent);
    this.afterSend?.(context);
    try {
      await waitForOperation(this.clients, project, op, this.operationTimeoutMs);
    } catch (e) {
      const err = toProviderError(e, context);
      throw new ProviderError(err.code, err.message.startsWith(context) ? err.message : `${context}: ${err.message}`, {
        httpStatus: err.httpStatus,
        reason: err.reason,
        operation: err.operation,
        why: err.why,
        cause: err,
      });
    }
  }
}

/** How often a mutation is sent when its answer is lost (the same requestId each time). */
const MUTATION_ATTEMPTS = 3;
const RETRY_BACKOFF_MS = 500;

// Parsed here rather than in gce-mapping.ts: only the SSH reach reads these.
const projectSchema = z.object({
  commonInstanceMetadata: z
    .object({
      fingerprint: z.string().nullish(),
      items: z.array(z.object({ key: z.string().nullish(), value: z.string().nullish() })).nullish(),
    })
    .nullish(),
});

const guestAttributesSchema = z.object({
  queryValue: z
    .object({
      items: z
        .array(z.object({ namespace: z.string().nullish(), key: z.string().nullish(), value: z.string().nullish() }))
        .nullish(),
    })
    .nullish(),
});

/** GCE's instance resource for an insert: every field the spec gives, kube-up's choices where it gives none. */
export function instanceResourceOf(spec: InsertInstanceSpec) {
  const { project, zone, name } = spec;
  const region = zone.replace(/-[a-z]$/, '');
  const accessConfigs =
    spec.externalIp === 'none'
      ? []
      : [
          {
            name: ACCESS_CONFIG_NAME,
            type: 'ONE_TO_ONE_NAT',
            ...(spec.externalIp === 'ephemeral' ? {} : { natIP: spec.externalIp.natIP }),
            ...(spec.networkTier !== undefined ? { networkTier: spec.networkTier } : {}),
          },
        ];
  const disks: object[] = [
    {
      boot: true,
      autoDelete: true,
      initializeParams: {
        sourceImage: spec.bootDisk?.sourceImage ?? DEFAULT_BOOT_IMAGE,
        diskSizeGb: String(spec.bootDisk?.sizeGb ?? DEFAULT_BOOT_SIZE_GB),
        diskType: `zones/${zone}/diskTypes/${spec.bootDisk?.type ?? 'pd-standard'}`,
      },
    },
  ];
  if (spec.dataDisk !== undefined) {
    disks.push({
      source: `projects/${project}/zones/${zone}/disks/${spec.dataDisk}`,
      deviceName: MASTER_PD_DEVICE,
      mode: 'READ_WRITE',
      autoDelete: false,
    });
  }
  return {
    name,
    machineType: `zones/${zone}/machineTypes/${spec.machineType}`,
    disks,
    networkInterfaces: [
      {
        network: spec.network ?? 'global/networks/default',
        subnetwork: spec.subnetwork ?? `regions/${region}/subnetworks/default`,
        ...(spec.networkIP !== undefined ? { networkIP: spec.networkIP } : {}),
        ...(spec.aliasIpRanges && spec.aliasIpRanges.length > 0 ? { aliasIpRanges: spec.aliasIpRanges } : {}),
        accessConfigs,
      },
    ],
    tags: { items: spec.tags },
    metadata: { items: spec.metadata },
    ...(spec.labels ? { labels: spec.labels } : {}),
    ...(spec.serviceAccounts ? { serviceAccounts: spec.serviceAccounts } : {}),
    scheduling: spec.scheduling ?? { onHostMaintenance: 'MIGRATE', automaticRestart: true, preemptible: false },
    ...(spec.minCpuPlatform !== undefined ? { minCpuPlatform: spec.minCpuPlatform } : {}),
    ...(spec.shieldedInstanceConfig !== undefined ? { shieldedInstanceConfig: spec.shieldedInstanceConfig } : {}),
  };
}

function byZoneThenName(a: InstanceInfo, b: InstanceInfo): number {
  return a.zone === b.zone ? a.name.localeCompare(b.name) : a.zone.localeCompare(b.zone);
}
