import 'server-only';
import { readMasterMetadata, type MasterMetadata } from '@/lib/adapters/gce/master-metadata';
import {
  type ApiServerProbe,
  type ClusterRef,
  type EtcdClusterName,
  type EtcdClusterView,
  type EtcdMemberStatus,
  type LeaseView,
  type NodeView,
  type Replica,
  type Topology,
  type VmStatus,
} from '@/lib/core/topology';
import type { InstanceInfo } from '@/lib/ports/compute';
import type { EtcdClientCredentials } from '@/lib/ports/etcd-admin';
import type { KubeCredentials } from '@/lib/ports/kube-api';
import { container, type Container } from '@/lib/server/container';

// observeCluster gathers a cluster's Topology. Compute reads come first (they say which replicas exist);
// then every probe of every replica runs at once, each with the probe deadline, so a dead or frozen
// replica costs at most one deadline and never delays the others. Secrets read from metadata (etcd and
// admin client certificates) are used here and never copied into the Topology.

/** kube-up's replica names: `<MASTER_NAME>` or `<MASTER_NAME>-<3 chars>`. */
export function replicaNameRegex(masterName: string): string {
  return `^${masterName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(-[a-z0-9]{3})?$`;
}

/** VM states in which the replica's processes may be up, so probing it can tell something. */
const MAY_RUN: ReadonlySet<VmStatus> = new Set<VmStatus>(['RUNNING', 'STOPPING', 'SUSPENDING']);

type ClusterCredentials = {
  etcd: EtcdClientCredentials | null;
  kube: KubeCredentials | null;
  settings: Topology['settings'];
  /** Why credentials are missing, for the probes' error strings. */
  etcdProblem: string;
  kubeProblem: string;
};

/**
 * Credentials from the first RUNNING replica whose metadata has them (then any replica); settings from
 * the first replica with a readable kube-env.
 */
export function clusterCredentials(instances: readonly InstanceInfo[]): ClusterCredentials {
  const ordered = [...instances.filter((i) => i.status === 'RUNNING'), ...instances.filter((i) => i.status !== 'RUNNING')];
  const read: MasterMetadata[] = ordered.flatMap((i) => {
    const m = readMasterMetadata(i.metadata);
    return m ? [m] : [];
  });
  const etcd = read.find((m) => m.etcdClient)?.etcdClient ?? null;
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
  etcdEndpoints: Partial<Record<EtcdClusterName, string>>;
  etcd: Record<EtcdClusterName, Promise<EtcdMemberStatus>>;
  apiServerUrl: string | null;
  apiServer: Promise<ApiServerProbe>;
};

function startReplicaProbes(c: Container, instance: InstanceInfo, creds: ClusterCredentials): ReplicaProbes {
  const timeout = c.probeTimeoutMs;
  const skip = !MAY_RUN.has(instance.status)
    ? `VM is ${instance.status}`
    : instance.internalIp === null
      ? 'replica has no internal IP'
      : null;
  const ip = instance.internalIp;
  const etcdEndpoints: Partial<Record<EtcdClusterName, string>> = {};
  const statusOf = (cluster: EtcdClusterName): Promise<EtcdMemberStatus> => {
    if (skip !== null || ip === null) return Promise.resolve({ ok: false, error: skip ?? 'replica has no internal IP' });
    // Throws ProviderUnavailable where etcd cannot be reached (GCE without a tunnel): the observation
    // fails with that reason rather than reporting every member as down.
    const endpoint = c.endpoints.etcd(ip, cluster);
    etcdEndpoints[cluster] = endpoint;
    return creds.etcd ? c.etcd.status(endpoint, creds.etcd, timeout) : Promise.resolve({ ok: false, error: creds.etcdProblem });
  };
  const etcd = { main: statusOf('main'), events: statusOf('events') };
  let apiServerUrl: string | null = null;
  let apiServer: Promise<ApiServerProbe>;
  if (skip !== null || ip === null) {
    apiServer = Promise.resolve({ ready: null, live: null, error: skip ?? 'replica has no internal IP' });
  } else {
    apiServerUrl = c.endpoints.apiServer(ip);
    apiServer = creds.kube
      ? c.kube.probe(apiServerUrl, creds.kube, timeout)
      : Promise.resolve({ ready: null, live: null, error: creds.kubeProblem });
  }
  return { instance, etcdEndpoints, etcd, apiServerUrl, apiServer };
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
    return { members: await c.etcd.memberList(endpoints, creds.etcd, c.probeTimeoutMs), error: null };
  } catch (e) {
    return { members: null, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Leases and nodes from the first API server that reports ready; nulls when none does. */
async function observeKubernetes(
  c: Container,
  probes: readonly ReplicaProbes[],
  creds: ClusterCredentials,
): Promise<{ leases: LeaseView[] | null; nodes: NodeView[] | null }> {
  const kubeCreds = creds.kube;
  if (!kubeCreds) return { leases: null, nodes: null };
  const ready = probes.map(async (p) => {
    const probe = await p.apiServer;
    if (probe.ready !== true || p.apiServerUrl === null) throw new Error('not ready');
    return p.apiServerUrl;
  });
  let server: string;
  try {
    server = await Promise.any(ready);
  } catch {
    return { leases: null, nodes: null };
  }
  const [leases, nodes] = await Promise.allSettled([
    c.kube.leases(server, kubeCreds, c.probeTimeoutMs),
    c.kube.nodes(server, kubeCreds, c.probeTimeoutMs),
  ]);
  return {
    leases: leases.status === 'fulfilled' ? leases.value : null,
    nodes: nodes.status === 'fulfilled' ? nodes.value : null,
  };
}

/**
 * One observation of a cluster. Rejects (with a ProviderError) only when Compute Engine cannot be read
 * or etcd cannot be reached from here at all; unreachable replicas are reported inside the Topology.
 */
export async function observeCluster(ref: ClusterRef, c: Container = container()): Promise<Topology> {
  const cluster: ClusterRef = { project: ref.project, region: ref.region, masterName: ref.masterName };
  const { project, region, masterName } = cluster;
  const observedAt = c.clock.now().toISOString();

  const zones = c.compute.listRegionZones(project, region);
  const [regionZones, instances, forwardingRule, targetPool, staticAddress] = await Promise.all([
    zones,
    // Replicas are listed in the region's zones, so this waits for the zone list.
    zones.then((z) => c.compute.listInstances(project, z, replicaNameRegex(masterName))),
    c.compute.getForwardingRule(project, region, masterName),
    c.compute.getTargetPool(project, region, masterName),
    c.compute.getAddress(project, region, `${masterName}-ip`),
  ]);

  const creds = clusterCredentials(instances);
  const probes = instances.map((i) => startReplicaProbes(c, i, creds));
  const [main, events, kubernetes, replicas] = await Promise.all([
    observeMembers(c, 'main', probes, creds),
    observeMembers(c, 'events', probes, creds),
    observeKubernetes(c, probes, creds),
    Promise.all(
      probes.map(async (p): Promise<Replica> => {
        const [mainStatus, eventsStatus, apiServer] = await Promise.all([p.etcd.main, p.etcd.events, p.apiServer]);
        return {
          name: p.instance.name,
          zone: p.instance.zone,
          internalIp: p.instance.internalIp,
          externalIp: p.instance.externalIp,
          vmStatus: p.instance.status,
          etcd: { main: mainStatus, events: eventsStatus },
          apiServer,
        };
      }),
    ),
  ]);

  return {
    cluster,
    observedAt,
    regionZones,
    replicas,
    etcd: { main, events },
    forwardingRule,
    targetPool,
    staticAddress,
    settings: creds.settings,
    leases: kubernetes.leases,
    nodes: kubernetes.nodes,
  };
}
