import 'server-only';
import {
  AddressesClient,
  ForwardingRulesClient,
  GlobalOperationsClient,
  InstancesClient,
  RegionOperationsClient,
  RegionsClient,
  TargetPoolsClient,
  ZoneOperationsClient,
} from '@google-cloud/compute';
import { googleAuthLibrary, type ClientOptions } from 'google-gax';
import type { ForwardingRule, StaticAddress, TargetPool } from '@/lib/core/topology';
import type { ComputePort, InstanceInfo } from '@/lib/ports/compute';
import { ProviderError } from '@/lib/ports/provider-error';
import {
  toForwardingRule,
  toInstanceInfo,
  toProviderError,
  toRegionZones,
  toStaticAddress,
  toTargetPool,
} from './gce-mapping';

export type GceClients = {
  instances: InstancesClient;
  regions: RegionsClient;
  addresses: AddressesClient;
  targetPools: TargetPoolsClient;
  forwardingRules: ForwardingRulesClient;
  zoneOperations: ZoneOperationsClient;
  regionOperations: RegionOperationsClient;
  globalOperations: GlobalOperationsClient;
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
    zoneOperations: new ZoneOperationsClient(opts),
    regionOperations: new RegionOperationsClient(opts),
    globalOperations: new GlobalOperationsClient(opts),
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

export class GceCompute implements ComputePort {
  constructor(
    private readonly clients: GceClients,
    private readonly timeoutMs: number,
  ) {}

  async listRegionZones(project: string, region: string): Promise<string[]> {
    const context = `regions.get ${project}/${region}`;
    const [raw] = await withDeadline(this.clients.regions.get({ project, region }, callOptions()), this.timeoutMs, context);
    return toRegionZones(raw);
  }

  async listAllInstances(project: string): Promise<InstanceInfo[]> {
    const context = `instances.aggregatedList ${project}`;
    const scopes = await withDeadline(
      collect(this.clients.instances.aggregatedListAsync({ project }, callOptions())),
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
    const scopes = await withDeadline(
      collect(this.clients.instances.aggregatedListAsync({ project, filter }, callOptions())),
      this.timeoutMs,
      `instances.aggregatedList ${project} ${filter}`,
    );
    return scopes
      .flatMap(([, scoped]) => (scoped.instances ?? []).map(toInstanceInfo))
      .filter((i) => re.test(i.name))
      .sort(byZoneThenName);
  }

  async getForwardingRule(project: string, region: string, name: string): Promise<ForwardingRule | null> {
    const context = `forwardingRules.get ${project}/${region}/${name}`;
    const res = await orNullIfNotFound(
      withDeadline(this.clients.forwardingRules.get({ project, region, forwardingRule: name }, callOptions()), this.timeoutMs, context),
    );
    return res === null ? null : toForwardingRule(res[0]);
  }

  async getTargetPool(project: string, region: string, name: string): Promise<TargetPool | null> {
    const context = `targetPools.get ${project}/${region}/${name}`;
    const res = await orNullIfNotFound(
      withDeadline(this.clients.targetPools.get({ project, region, targetPool: name }, callOptions()), this.timeoutMs, context),
    );
    return res === null ? null : toTargetPool(res[0]);
  }

  async getAddress(project: string, region: string, name: string): Promise<StaticAddress | null> {
    const context = `addresses.get ${project}/${region}/${name}`;
    const res = await orNullIfNotFound(
      withDeadline(this.clients.addresses.get({ project, region, address: name }, callOptions()), this.timeoutMs, context),
    );
    return res === null ? null : toStaticAddress(res[0]);
  }
}

function byZoneThenName(a: InstanceInfo, b: InstanceInfo): number {
  return a.zone === b.zone ? a.name.localeCompare(b.name) : a.zone.localeCompare(b.zone);
}
