import 'server-only';
import { readMasterMetadata, type MasterMetadata } from '@/lib/adapters/gce/master-metadata';
import {
  type ApiServerProbe,
  clusterId,
  type ClusterRef,
  type EtcdClusterName,
  type EtcdClusterView,
  type EtcdMemberStatus,
  type EtcdPeerView,
  type ForwardingRule,
  type LeaseView,
  type NodeView,
  type Replica,
  type StaticAddress,
  type TargetPool,
  type Topology,
  type VmStatus,
} from '@/lib/core/topology';
import { isTimeoutError, timeoutError } from '@/lib/core/probe-errors';
import type { ComputePort, InstanceInfo, RegionalListing } from '@/lib/ports/compute';
import type { EtcdAccess, EtcdEndpoint } from '@/lib/ports/etcd-admin';
import type { ApiServerEndpoint, KubeCredentials } from '@/lib/ports/kube-api';
import { container, type Container } from '@/lib/server/container';
import { isKubeUpMasterName, type ProjectComputeState } from '@/lib/server/live/compute-snapshots';

// observeCluster gathers a cluster's Topology. Compute reads come first (they say which replicas exist; while
// Compute is read again, the read before it does, see observeCluster); then every probe of every replica runs at once, each with the probe deadline, so a dead or frozen
// replica costs at most one deadline and never delays the others. Secrets read from metadata (etcd and
// admin client certificates) are used here and never copied into the Topology.

/** kube-up's replica names: `<MASTER_NAME>` or `<MASTER_NAME>-<3 chars>`. */
export function replicaNameRegex(masterName: string): string {
  return `^${masterName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(-[a-z0-9]{3})?$`;
}

/** VM states in which the replica's processes may be up, so probing it can tell something. */
const MAY_RUN: ReadonlySet<VmStatus> = new Set<VmStatus>(['RUNNING', 'STOPPING', 'SUSPENDING']);

// A region's zones do not change while Quorum runs (GCE adds zones a few times a year), and listing the
// replicas needs them first; remembering them for a few minutes saves that round trip per observation.
const ZONES_TTL_MS = 5 * 60_000;
const zonesByCompute = new WeakMap<ComputePort, Map<string, { zones: Promise<string[]>; at: number }>>();

function regionZonesOf(compute: ComputePort, project: string, region: string, now: number): Promise<string[]> {
  let cache = zonesByCompute.get(compute);
  if (!cache) {
    cache = new Map();
    zonesByCompute.set(compute, cache);
  }
  const key = `${project}/${region}`;
  const hit = cache.get(key);
  if (hit && now - hit.at < ZONES_TTL_MS) return hit.zones;
  const zones = compute.listRegionZones(project, region);
  cache.set(key, { zones, at: now });
  // A failed read is not remembered.
  zones.catch(() => {
    if (cache.get(key)?.zones === zones) cache.delete(key);
  });
  return zones;
}

type ClusterCompute = {
  instances: InstanceInfo[];
  forwardingRule: ForwardingRule | null;
  targetPool: TargetPool | null;
  staticAddress: StaticAddress | null;
};

/** The cluster's Compute resources read directly: four calls, for planning (fresh) and names kube-up does not give. */
async function readClusterCompute(c: Container, { project, region, masterName }: ClusterRef): Promise<ClusterCompute> {
  const [instances, forwardingRule, targetPool, staticAddress] = await Promise.all([
    // Replicas are looked for in every zone, not only the region's, so one placed outside it is seen (and flagged).
    c.compute.listInstances(project, replicaNameRegex(masterName)),
    c.compute.getForwardingRule(project, region, masterName),
    c.compute.getTargetPool(project, region, masterName),
    c.compute.getAddress(project, region, `${masterName}-ip`),
  ]);
  return { instances, forwardingRule, targetPool, staticAddress };
}

/**
 * The cluster's Compute resources from its project's shared snapshot (lib/server/live/compute-snapshots.ts), so
 * live views cost no Compute call of their own. A zone or region the snapshot could not see falls back to the
 * direct reads, which fail or answer as Compute does, rather than show a replica or load balancer as missing.
 */
async function clusterCompute(c: Container, ref: ClusterRef): Promise<ClusterCompute> {
  if (c.freshCompute === true || !isKubeUpMasterName(ref.masterName)) return readClusterCompute(c, ref);
  return clusterComputeIn(await c.computeSnapshots.read(ref.project), ref) ?? readClusterCompute(c, ref);
}

/**
 * While the live views wait for Compute to be read again (a replica's connection lost, Quorum's own change), the
 * cluster's resources as the read before it saw them: what an observation starts its probes from meanwhile. Null
 * when there is no such read, or for planning (which reads Compute itself).
 */
function previousClusterCompute(c: Container, ref: ClusterRef): ClusterCompute | null {
  if (c.freshCompute === true || !isKubeUpMasterName(ref.masterName)) return null;
  const s = c.computeSnapshots.previous(ref.project);
  return s ? clusterComputeIn(s, ref) : null;
}

/** The cluster's part of a project snapshot; null when the snapshot could not see all of its zones and region. */
function clusterComputeIn(s: ProjectComputeState, ref: ClusterRef): ClusterCompute | null {
  if (
    s.masters.unreachableZones.length > 0 ||
    [s.forwardingRules, s.targetPools, s.addresses].some((l) => l.unreachableRegions.includes(ref.region))
  ) {
    return null;
  }
  const replica = new RegExp(replicaNameRegex(ref.masterName));
  const inRegion = <T extends { name: string }>(listing: RegionalListing<T>, name: string): T | null =>
    listing.items.find((i) => i.region === ref.region && i.resource.name === name)?.resource ?? null;
  return {
    instances: s.masters.instances.filter((i) => replica.test(i.name)),
    forwardingRule: inRegion(s.forwardingRules, ref.masterName),
    targetPool: inRegion(s.targetPools, ref.masterName),
    staticAddress: inRegion(s.addresses, `${ref.masterName}-ip`),
  };
}

type ClusterCredentials = {
  /** Main by mutual TLS or plain http as the metadata says, events plain http; null when unreadable. */
  etcd: EtcdAccess | null;
  kube: KubeCredentials | null;
  settings: Topology['settings'];
  /** Why credentials are missing, for the probes' error strings. */
  etcdProblem: string;
  kubeProblem: string;
};

// What each master's metadata says, per metadata object read from Compute. Live views observe from the project's
// snapshot, whose instances (and their metadata objects) stay the same until the next Compute read: without this,
// every observation (each second for the fleet, for every master of every cluster) parsed kube-env's YAML and
// gunzipped the etcd certificates again. Weak: an entry goes with the snapshot that held its metadata.
const metadataRead = new WeakMap<Readonly<Record<string, string>>, MasterMetadata | null>();

function masterMetadataOf(instance: InstanceInfo): MasterMetadata | null {
  if (metadataRead.has(instance.metadata)) return metadataRead.get(instance.metadata) ?? null;
  const m = readMasterMetadata(instance.metadata);
  metadataRead.set(instance.metadata, m);
  return m;
}

/**
 * Credentials from the first RUNNING replica whose metadata has them (then any replica); settings from
 * the first replica with a readable kube-env.
 */
export function clusterCredentials(instances: readonly InstanceInfo[]): ClusterCredentials {
  const ordered = [
    ...instances.filter((i) => i.status === 'RUNNING'),
    ...instances.filter((i) => i.status !== 'RUNNING'),
  ];
  const read: MasterMetadata[] = ordered.flatMap((i) => {
    const m = masterMetadataOf(i);
    return m ? [m] : [];
  });
  const etcd = read.find((m) => m.etcd)?.etcd ?? null;
  const kube = read.find((m) => m.kube)?.kube ?? null;
  const problems = read[0]?.problems ?? [];
  const reason = (label: string) =>
    read.length === 0
      ? `no replica has a readable kube-env`
      : `no replica's metadata has the ${label} credentials (${problems.filter((p) => p.startsWith(label)).join('; ') || 'incomplete'})`;
  return {
    etcd,
    kube,
    settings: read[0]?.settings ?? null,
    etcdProblem: reason('etcd client'),
    kubeProblem: reason('kube client'),
  };
}

type ReplicaProbes = {
  instance: InstanceInfo;
  /** Endpoint per etcd cluster when the replica can be asked. */
  etcdEndpoints: Partial<Record<EtcdClusterName, EtcdEndpoint>>;
  etcd: Record<EtcdClusterName, Promise<EtcdMemberStatus>>;
  /** What etcd main reports about its peers; null when it is not asked (the replica cannot run it, no credentials). */
  mainPeers: Promise<EtcdPeerView> | null;
  apiServerUrl: ApiServerEndpoint | null;
  apiServer: Promise<ApiServerProbe>;
};

/** Time given past a probe's deadline before a replica known silent is no longer waited for (the adapters' own guard). */
const SILENT_GRACE_MS = 150;

/** `probe`, or a time-out answer once `deadlineMs` (and a little grace) has passed without one. */
function notWaitedFor<T>(probe: Promise<T>, deadlineMs: number, silentAnswer: (error: string) => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const givenUp = new Promise<T>((resolve) => {
    timer = setTimeout(
      () => resolve(silentAnswer(timeoutError(`no answer within ${deadlineMs} ms (silent in the last observation)`))),
      deadlineMs + SILENT_GRACE_MS,
    );
  });
  return Promise.race([probe, givenUp]).finally(() => clearTimeout(timer));
}

function startReplicaProbes(
  c: Container,
  project: string,
  instance: InstanceInfo,
  creds: ClusterCredentials,
  silent: ReadonlySet<string>,
): ReplicaProbes {
  // A replica that was silent last time (a zone down, a frozen VM) gets the live deadline even in a planning
  // observation: waiting the planning deadline for it would make a preview slow exactly when something is broken.
  const knownSilent = silent.has(instance.name);
  const timeout = knownSilent ? Math.min(c.probeTimeoutMs, c.probeLatency.deadlineMs()) : c.probeTimeoutMs;
  // And its probes are given up at that deadline whatever they still wait on: an adapter's deadline starts once it
  // has a way in, and getting one (an SSH connect into a lost zone) can take the connect time-out first (3 s).
  const bounded = <T>(probe: Promise<T>, silentAnswer: (error: string) => T): Promise<T> =>
    knownSilent ? notWaitedFor(probe, timeout, silentAnswer) : probe;
  const skip = !MAY_RUN.has(instance.status)
    ? `VM is ${instance.status}`
    : instance.internalIp === null
      ? 'replica has no internal IP'
      : null;
  const ip = instance.internalIp;
  // Reached through SSH (the container's reach port), never on the VM's own etcd or API-server port.
  const replica = { ...instance, project };
  const etcdEndpoints: Partial<Record<EtcdClusterName, EtcdEndpoint>> = {};
  const statusOf = (cluster: EtcdClusterName): Promise<EtcdMemberStatus> => {
    if (skip !== null || ip === null)
      return Promise.resolve({ ok: false, error: skip ?? 'replica has no internal IP' });
    const endpoint = c.endpoints.etcd(replica, cluster);
    etcdEndpoints[cluster] = endpoint;
    if (!creds.etcd) return Promise.resolve({ ok: false, error: creds.etcdProblem });
    const started = performance.now();
    const probe = c.etcd.status(endpoint, creds.etcd[cluster], timeout).then((status) => {
      // The deadline follows these: answers by their duration, time-outs at the deadline they had (probe-deadline.ts).
      // Not a replica already known silent (a zone down): its time-outs say nothing about this host's latency, and
      // would stretch every other probe's deadline to the ceiling.
      if (silent.has(instance.name)) return status;
      if (status.ok) c.probeLatency.record(performance.now() - started);
      else if (isTimeoutError(status.error)) c.probeLatency.record(timeout);
      return status;
    });
    return bounded(probe, (error): EtcdMemberStatus => ({ ok: false, error }));
  };
  const etcd = { main: statusOf('main'), events: statusOf('events') };
  // Peers of etcd main only (one GET per replica): a partition cuts main and events alike, as both run on the
  // same VMs, and main is the one whose loss stops the control plane.
  const mainEndpoint = etcdEndpoints.main;
  const mainPeers =
    mainEndpoint && creds.etcd
      ? bounded(c.etcd.peers(mainEndpoint, creds.etcd.main, timeout), (error): EtcdPeerView => ({ ok: false, error }))
      : null;
  let apiServerUrl: ApiServerEndpoint | null = null;
  let apiServer: Promise<ApiServerProbe>;
  if (skip !== null || ip === null) {
    apiServer = Promise.resolve({ ready: null, live: null, error: skip ?? 'replica has no internal IP' });
  } else {
    apiServerUrl = c.endpoints.apiServer(replica);
    apiServer = creds.kube
      ? bounded(c.kube.probe(apiServerUrl, creds.kube, timeout), (error): ApiServerProbe => ({
          ready: null,
          live: null,
          error,
        }))
      : Promise.resolve({ ready: null, live: null, error: creds.kubeProblem });
  }
  return { instance, etcdEndpoints, etcd, mainPeers, apiServerUrl, apiServer };
}

async function observeMembers(
  c: Container,
  cluster: EtcdClusterName,
  probes: readonly ReplicaProbes[],
  creds: ClusterCredentials,
): Promise<EtcdClusterView> {
  const endpoints = probes.flatMap((p) => {
    const e = p.etcdEndpoints[cluster];
    return e === undefined ? [] : [e];
  });
  if (endpoints.length === 0) return { members: null, error: 'no running replica to ask' };
  if (!creds.etcd) return { members: null, error: creds.etcdProblem };
  try {
    return { members: await c.etcd.memberList(endpoints, creds.etcd[cluster], c.probeTimeoutMs), error: null };
  } catch (e) {
    return { members: null, error: e instanceof Error ? e.message : String(e) };
  }
}

type KubeObjects = { leases: LeaseView[] | null; nodes: NodeView[] | null };

async function readKubeObjects(
  c: Container,
  server: ApiServerEndpoint,
  creds: KubeCredentials,
): Promise<KubeObjects & { complete: boolean }> {
  const [leases, nodes] = await Promise.allSettled([
    c.kube.leases(server, creds, c.probeTimeoutMs),
    c.kube.nodes(server, creds, c.probeTimeoutMs),
  ]);
  return {
    leases: leases.status === 'fulfilled' ? leases.value : null,
    nodes: nodes.status === 'fulfilled' ? nodes.value : null,
    complete: leases.status === 'fulfilled' && nodes.status === 'fulfilled',
  };
}

/**
 * Leases and nodes from an API server that reports ready; nulls when none does. The first probed replica
 * is asked at once, alongside its probe (it is usually ready), so the common case costs no extra round
 * trip; its answer is used only if its probe says ready, else the first other ready server is asked.
 */
async function observeKubernetes(
  c: Container,
  probes: readonly ReplicaProbes[],
  creds: ClusterCredentials,
): Promise<KubeObjects> {
  const kubeCreds = creds.kube;
  if (!kubeCreds) return { leases: null, nodes: null };
  const candidates = probes.flatMap((p) =>
    p.apiServerUrl === null ? [] : [{ url: p.apiServerUrl, probe: p.apiServer }],
  );
  const [first, ...others] = candidates;
  if (!first) return { leases: null, nodes: null };
  const early = readKubeObjects(c, first.url, kubeCreds);
  const firstReady = (await first.probe).ready === true;
  if (firstReady) {
    const answer = await early;
    if (answer.complete || others.length === 0) return { leases: answer.leases, nodes: answer.nodes };
  }
  let server: ApiServerEndpoint;
  try {
    server = await Promise.any(
      others.map(async (o) => {
        if ((await o.probe).ready !== true) throw new Error('not ready');
        return o.url;
      }),
    );
  } catch {
    if (!firstReady) return { leases: null, nodes: null };
    const answer = await early;
    return { leases: answer.leases, nodes: answer.nodes };
  }
  const answer = await readKubeObjects(c, server, kubeCreds);
  return { leases: answer.leases, nodes: answer.nodes };
}

/**
 * One observation of a cluster. Rejects (with a ProviderError) only when Compute Engine cannot be read
 * or etcd cannot be reached from here at all; unreachable replicas are reported inside the Topology.
 */
export async function observeCluster(ref: ClusterRef, c: Container = container()): Promise<Topology> {
  const cluster: ClusterRef = { project: ref.project, region: ref.region, masterName: ref.masterName };
  const { project, region } = cluster;
  const observedAt = c.clock.now().toISOString();

  const computed = Promise.all([regionZonesOf(c.compute, project, region, Date.now()), clusterCompute(c, cluster)]);
  const silent = c.observations.silentReplicas(clusterId(cluster));
  // While Compute is read again (a connection lost: a VM being stopped?), the probes do not wait for it: they start
  // from the replicas the read before saw, and their answers stand if the new read has the same replicas. The
  // observation then takes as long as the slower of the two, not both in a row, and still has the VMs' new status.
  const before = previousClusterCompute(c, cluster);
  const early = before
    ? probeReplicas(c, project, before.instances, clusterCredentials(before.instances), silent)
    : null;
  // Unused early answers (Compute unreadable, the replicas changed) are let go; their failures are nobody's.
  void early?.catch(() => undefined);
  const [regionZones, { instances, forwardingRule, targetPool, staticAddress }] = await computed;
  const creds = clusterCredentials(instances);
  const probed =
    early && before && sameReplicas(before.instances, instances)
      ? await early
      : await probeReplicas(c, project, instances, creds, silent);
  const replicas = instances.map((instance, n): Replica => {
    const answers = probed.replicas[n];
    if (!answers) throw new Error(`no probe answers for ${instance.name}`);
    return {
      name: instance.name,
      zone: instance.zone,
      internalIp: instance.internalIp,
      externalIp: instance.externalIp,
      vmStatus: instance.status,
      ...answers,
    };
  });

  return {
    cluster,
    observedAt,
    regionZones,
    replicas,
    etcd: { main: probed.main, events: probed.events },
    forwardingRule,
    targetPool,
    staticAddress,
    settings: creds.settings,
    leases: probed.kubernetes.leases,
    nodes: probed.kubernetes.nodes,
  };
}

type ReplicaAnswers = Pick<Replica, 'etcd' | 'etcdPeers' | 'apiServer'>;

/** Every probe of the cluster's replicas, all at once: each replica's answers (in `instances`' order) and the cluster's. */
async function probeReplicas(
  c: Container,
  project: string,
  instances: readonly InstanceInfo[],
  creds: ClusterCredentials,
  silent: ReadonlySet<string>,
): Promise<{ main: EtcdClusterView; events: EtcdClusterView; kubernetes: KubeObjects; replicas: ReplicaAnswers[] }> {
  const probes = instances.map((i) => startReplicaProbes(c, project, i, creds, silent));
  const [main, events, kubernetes, replicas] = await Promise.all([
    observeMembers(c, 'main', probes, creds),
    observeMembers(c, 'events', probes, creds),
    observeKubernetes(c, probes, creds),
    Promise.all(
      probes.map(async (p): Promise<ReplicaAnswers> => {
        const [mainStatus, eventsStatus, apiServer, mainPeers] = await Promise.all([
          p.etcd.main,
          p.etcd.events,
          p.apiServer,
          p.mainPeers,
        ]);
        return {
          etcd: { main: mainStatus, events: eventsStatus },
          ...(mainPeers ? { etcdPeers: { main: mainPeers } } : {}),
          apiServer,
        };
      }),
    ),
  ]);
  return { main, events, kubernetes, replicas };
}

/**
 * Whether probes made for the replicas of one Compute read answer for those of another: the same VMs in the same
 * order, at the same addresses, with the same metadata (the credentials), each probed or not alike (a VM that went
 * from RUNNING to STOPPING was probed either way; one now TERMINATED would not have been).
 */
function sameReplicas(a: readonly InstanceInfo[], b: readonly InstanceInfo[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, n) => {
      const y = b[n];
      return (
        y !== undefined &&
        x.name === y.name &&
        x.id === y.id &&
        x.zone === y.zone &&
        x.internalIp === y.internalIp &&
        x.externalIp === y.externalIp &&
        MAY_RUN.has(x.status) === MAY_RUN.has(y.status) &&
        sameMetadata(x.metadata, y.metadata)
      );
    })
  );
}

function sameMetadata(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
