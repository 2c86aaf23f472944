import 'server-only';
import { assessTopology } from '@/lib/core/assessment';
import { clusterId, type ClusterRef } from '@/lib/core/topology';
import { summarizeCluster, type ClusterView, type FleetEntry, type FleetView } from '@/lib/core/view';
import { container, type Container } from '@/lib/server/container';
import { describeError } from '@/lib/server/describe-error';
import { publishObservation } from '@/lib/server/monitor/observations';
import { discoverFleet } from './discover-clusters';
import { observeCluster } from './observe-cluster';

/** A cluster observed and assessed, as its page shows it. */
export async function observeClusterView(ref: ClusterRef, c: Container = container()): Promise<ClusterView> {
  const id = clusterId(ref);
  // A probe that timed out for the first time in a row keeps its previous answer (lib/core/silence.ts).
  const { topology, heldOver } = c.observations.settle(id, await observeCluster(ref, c));
  const assessment = assessTopology(topology, new Date(topology.observedAt));
  const view: ClusterView = {
    id,
    topology,
    assessment,
    failureSince: await c.failures.observe(id, assessment.diagnosis, topology.observedAt),
    heldOver,
  };
  c.observations.remember(view);
  // Metrics, alerts (and whatever else follows the clusters) take every observation, whoever asked for it.
  publishObservation(view);
  return view;
}

/**
 * Every cluster of the configured projects, observed concurrently and summarised. A cluster that cannot
 * be observed is listed with its error; zones Compute cannot see are listed in `unreachableZones`;
 * discovery failing otherwise (Compute unreadable) rejects.
 */
export async function observeFleet(
  c: Container = container(),
  opts: { reuseWithinMs?: number } = {},
): Promise<FleetView> {
  // Discovery and every cluster's Compute state come from the same per-project snapshot: one set of project-wide
  // reads per refresh, however many clusters there are.
  const { clusters: refs, unreachableZones } = await discoverFleet(
    c.freshCompute === true
      ? c
      : {
          projects: c.projects,
          compute: { listMasterInstances: async (project) => (await c.computeSnapshots.read(project)).masters },
        },
  );
  const clusters = await Promise.all(
    refs.map(async (ref): Promise<FleetEntry> => {
      const cluster: ClusterRef = { project: ref.project, region: ref.region, masterName: ref.masterName };
      try {
        // A first paint takes the last observation of a cluster (with its age) rather than wait for a cold probe.
        const last =
          opts.reuseWithinMs === undefined
            ? null
            : c.observations.latest(clusterId(cluster), c.clock.now().getTime(), opts.reuseWithinMs);
        return { ok: true, summary: summarizeCluster(last ?? (await observeClusterView(cluster, c))) };
      } catch (e) {
        return { ok: false, id: clusterId(cluster), cluster, error: describeError(e) };
      }
    }),
  );
  // As old as its oldest row: a first paint may reuse observations made a while ago.
  const times = clusters.flatMap((e) => (e.ok ? [Date.parse(e.summary.observedAt)] : []));
  const observedAt = new Date(Math.min(c.clock.now().getTime(), ...times)).toISOString();
  return { observedAt, clusters, unreachableZones };
}
