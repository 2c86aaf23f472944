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

/** Groups a project's instances into clusters: (project, region of the zone, master name). */
export function clustersOf(project: string, instances: readonly InstanceInfo[]): ClusterSummaryRef[] {
  const byKey = new Map<string, ClusterSummaryRef>();
  for (const instance of instances) {
    const masterName = masterNameOf(instance);
    if (masterName === null) continue;
    const region = regionOfZone(instance.zone);
    const key = `${region}/${masterName}`;
    const cluster = byKey.get(key) ?? { project, region, masterName, replicaNames: [] };
    cluster.replicaNames.push(instance.name);
    byKey.set(key, cluster);
  }
  return [...byKey.values()].map((c) => ({ ...c, replicaNames: [...c.replicaNames].sort() }));
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
