import 'server-only';
import { readMasterIdentity } from '@/lib/adapters/gce/master-metadata';
import { isReplicaName, regionOfZone, type ClusterSummaryRef } from '@/lib/core/topology';
import type { InstanceInfo } from '@/lib/ports/compute';
import { container, type Container } from '@/lib/server/container';

/**
 * The master name an instance serves, or null when it is no kube-up master (kube-env with
 * KUBERNETES_MASTER=true). kube-env does not name the master (KUBERNETES_MASTER_NAME is the static IP), so
 * the name comes from the instance: the network tag kube-up gives every replica (`<MASTER_NAME>`) that the
 * instance name fits (`<MASTER_NAME>` or `<MASTER_NAME>-xyz`), else the instance name without its suffix.
 */
export function masterNameOf(instance: Pick<InstanceInfo, 'name' | 'metadata' | 'tags'>): string | null {
  const identity = readMasterIdentity(instance.metadata);
  if (identity === null || !identity.isMaster) return null;
  const tagged = instance.tags.find((tag) => isReplicaName(tag, instance.name));
  return tagged ?? instance.name.replace(/-[a-z0-9]{3}$/, '');
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
