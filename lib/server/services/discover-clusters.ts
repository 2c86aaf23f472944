import 'server-only';
import { readMasterIdentity } from '@/lib/adapters/gce/master-metadata';
import { isReplicaName, regionOfZone, type ClusterSummaryRef } from '@/lib/core/topology';
import type { ComputePort, InstanceInfo } from '@/lib/ports/compute';
import { container, type Container } from '@/lib/server/container';

/** kube-up's master names: `${INSTANCE_PREFIX}-master`, replicas `<MASTER_NAME>-<3 chars>` (kube-up-wire.md). */
const KUBE_UP_MASTER_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?-master(-[a-z0-9]{3})?$/;

/**
 * The master name an instance serves, or null when it is no kube-up master. It must be named like one
 * (`<MASTER_NAME>` or `<MASTER_NAME>-xyz`) and kube-up must have configured it (kube-env present), as a
 * master: KUBERNETES_MASTER=true, or the master's network tag, or an HA-era kube-env naming it in
 * MASTER_NAME. The name comes from the instance, never from kube-env's KUBERNETES_MASTER_NAME (the static IP).
 */
export function masterNameOf(instance: Pick<InstanceInfo, 'name' | 'metadata' | 'tags'>): string | null {
  if (!KUBE_UP_MASTER_NAME.test(instance.name)) return null;
  const identity = readMasterIdentity(instance.metadata);
  if (identity === null) return null;
  const masterName =
    instance.tags.find((tag) => isReplicaName(tag, instance.name)) ??
    (instance.name.endsWith('-master') ? instance.name : instance.name.slice(0, -4));
  const confirmed = identity.isMaster || instance.tags.includes(masterName) || identity.haEraMasterName === masterName;
  return confirmed ? masterName : null;
}

/**
 * Groups a project's instances into clusters by master name. The cluster's region is that of its oldest
 * replica (the first master kube-up created); a replica placed in another region stays part of the
 * cluster, where the assessment flags it, instead of showing up as a cluster of its own.
 */
export function clustersOf(project: string, instances: readonly InstanceInfo[]): ClusterSummaryRef[] {
  const byMaster = new Map<string, InstanceInfo[]>();
  for (const instance of instances) {
    const masterName = masterNameOf(instance);
    if (masterName === null) continue;
    byMaster.set(masterName, [...(byMaster.get(masterName) ?? []), instance]);
  }
  return [...byMaster].map(([masterName, replicas]) => {
    const [oldest] = [...replicas].sort(
      (a, b) => a.creationTimestamp.localeCompare(b.creationTimestamp) || a.name.localeCompare(b.name),
    );
    return {
      project,
      region: regionOfZone(oldest?.zone ?? ''),
      masterName,
      replicaNames: replicas.map((r) => r.name).sort(),
    };
  });
}

/** A zone of a project that Compute Engine could not answer for: clusters with masters there may be missing or incomplete. */
export type UnreachableZone = { project: string; zone: string };

export type Discovery = { clusters: ClusterSummaryRef[]; unreachableZones: UnreachableZone[] };

/**
 * Every cluster of the configured projects, sorted by project, region, master name, from the instances named
 * like kube-up masters. A zone Compute cannot reach now does not fail discovery: it is reported in
 * `unreachableZones` (its masters are missing from the clusters).
 */
export async function discoverFleet(
  c: { projects: readonly string[]; compute: Pick<ComputePort, 'listMasterInstances'> } = container(),
): Promise<Discovery> {
  const perProject = await Promise.all(
    c.projects.map(async (project) => {
      const listing = await c.compute.listMasterInstances(project);
      return {
        clusters: clustersOf(project, listing.instances),
        unreachableZones: listing.unreachableZones.map((zone) => ({ project, zone })),
      };
    }),
  );
  return {
    clusters: perProject
      .flatMap((p) => p.clusters)
      .sort(
        (a, b) =>
          a.project.localeCompare(b.project) ||
          a.region.localeCompare(b.region) ||
          a.masterName.localeCompare(b.masterName),
      ),
    unreachableZones: perProject.flatMap((p) => p.unreachableZones),
  };
}

/** Every cluster of the configured projects, sorted by project, region, master name (see discoverFleet). */
export async function discoverClusters(c: Container = container()): Promise<ClusterSummaryRef[]> {
  return (await discoverFleet(c)).clusters;
}
