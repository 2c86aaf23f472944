import 'server-only';
import { assessTopology } from '@/lib/core/assessment';
import { clusterId, type ClusterRef } from '@/lib/core/topology';
import { summarizeCluster, type ClusterView, type FleetEntry, type FleetView } from '@/lib/core/view';
import { container, type Container } from '@/lib/server/container';
import { describeError } from '@/lib/server/describe-error';
import { discoverFleet } from './discover-clusters';
import { observeCluster } from './observe-cluster';

/** A cluster observed and assessed, as its page shows it. */
export async function observeClusterView(ref: ClusterRef, c: Container = container()): Promise<ClusterView> {
  const topology = await observeCluster(ref, c);
  const id = clusterId(ref);
  const assessment = assessTopology(topology, new Date(topology.observedAt));
  return { id, topology, assessment, failureSince: c.failures.observe(id, assessment.diagnosis, topology.observedAt) };
}

/**
 * Every cluster of the configured projects, observed concurrently and summarised. A cluster that cannot
 * be observed is listed with its error; zones Compute cannot see are listed in `unreachableZones`;
 * discovery failing otherwise (Compute unreadable) rejects.
 */
export async function observeFleet(c: Container = container()): Promise<FleetView> {
  // Discovery and every cluster's Compute state come from the same per-project snapshot: one set of project-wide
  // reads per refresh, however many clusters there are.
  const { clusters: refs, unreachableZones } = await discoverFleet(
    c.freshCompute === true ? c : { projects: c.projects, compute: { listMasterInstances: async (project) => (await c.computeSnapshots.read(project)).masters } },
  );
  const clusters = await Promise.all(
    refs.map(async (ref): Promise<FleetEntry> => {
      const cluster: ClusterRef = { project: ref.project, region: ref.region, masterName: ref.masterName };
      try {
        return { ok: true, summary: summarizeCluster(await observeClusterView(cluster, c)) };
      } catch (e) {
        return { ok: false, id: clusterId(cluster), cluster, error: describeError(e) };
      }
    }),
  );
  return { observedAt: c.clock.now().toISOString(), clusters, unreachableZones };
}
