import 'server-only';
import { readMasterIdentity } from '@/lib/adapters/gce/master-metadata';
import { isReplicaName, regionOfZone, type ClusterSummaryRef } from '@/lib/core/topology';
import type { InstanceInfo } from '@/lib/ports/compute';
import { container, type Container } from '@/lib/server/container';

/**
 * The master name an instance serves, or null when it is no kube-up master. A master carries kube-env
 * with KUBERNETES_MASTER=true; an instance whose kube-env names a master it fits the replica naming of
 * (`<MASTER_NAME>` or `<MASTER_NAME>-xyz`) counts too, since nodes name the master without matching it.
 */
export function masterNameOf(instance: Pick<InstanceInfo, 'name' | 'metadata'>): string | null {
  const identity = readMasterIdentity(instance.metadata);
  if (identity === null) return null;
  if (identity.isMaster) return identity.masterName ?? instance.name.replace(/-[a-z0-9]{3}$/, '');
  if (identity.masterName !== null && isReplicaName(identity.masterName, instance.name)) return identity.masterName;
  return null;
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
    const [oldest] = [...replicas].sort((a, b) => a.creationTimestamp.localeCompare(b.creationTimestamp) || a.name.localeCompare(b.name));
    return { project, region: regionOfZone(oldest?.zone ?? ''), masterName, replicaNames: replicas.map((r) => r.name).sort() };
  });
}

/** Every cluster of the configured projects, sorted by project, region, master name. */
export async function discoverClusters(c: Container = container()): Promise<ClusterSummaryRef[]> {
  const perProject = await Promise.all(
    c.projects.map(async (project) => clustersOf(project, await c.compute.listAllInstances(project))),
  );
  return perProject
    .flat()
    .sort((a, b) => a.project.localeCompare(b.project) || a.region.localeCompare(b.region) || a.masterName.localeCompare(b.masterName));
}
