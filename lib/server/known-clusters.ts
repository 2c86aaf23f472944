import 'server-only';
import { parseClusterId, regionOfZone, type ClusterRef } from '@/lib/core/topology';
import type { ProjectComputeState } from '@/lib/server/live/compute-snapshots';
import { container, type Container } from '@/lib/server/container';
import { clustersOf } from '@/lib/server/services/discover-clusters';
import { serverRefusals } from '@/lib/core/server-refusals';

// Who may cost what (issue 12): a cluster id is looked at only when it names a cluster Quorum knows. Its project
// must be one of QUORUM_PROJECTS (a project outside them is never read at all), and discovery must know it: the
// project's Compute snapshot, the one every live view and the fleet share, lists a master replica of it in its
// region, or its forwarding rule or static address. A made-up id therefore costs no Compute call (a snapshot under a
// minute old answers; only without one is it read, once for everyone), and starts no feed or operation.

/**
 * The clusters a snapshot's master instances make (`region~masterName`), worked out once per snapshot: every live
 * feed's tick asks (discovery reads each master's kube-env), and the snapshot stays the same until the next read.
 */
const clustersBySnapshot = new WeakMap<ProjectComputeState, Set<string>>();

function snapshotClusters(state: ProjectComputeState): Set<string> {
  let known = clustersBySnapshot.get(state);
  if (!known) {
    known = new Set(clustersOf(state.project, state.masters.instances).map((k) => `${k.region}~${k.masterName}`));
    clustersBySnapshot.set(state, known);
  }
  return known;
}

/** Whether the project's snapshot holds anything of `ref`, or cannot rule it out (a zone or region Compute did not answer for). */
export function snapshotKnows(state: ProjectComputeState, ref: ClusterRef): boolean {
  if (snapshotClusters(state).has(`${ref.region}~${ref.masterName}`)) return true;
  if (state.forwardingRules.items.some((i) => i.region === ref.region && i.resource.name === ref.masterName))
    return true;
  if (state.addresses.items.some((i) => i.region === ref.region && i.resource.name === `${ref.masterName}-ip`))
    return true;
  // A master in a zone Compute could not list may exist: not ruled out.
  if (state.masters.unreachableZones.some((z) => regionOfZone(z) === ref.region)) return true;
  return (
    state.forwardingRules.unreachableRegions.includes(ref.region) ||
    state.addresses.unreachableRegions.includes(ref.region)
  );
}

/**
 * The cluster `id` names, when it is well formed, in a configured project and known to discovery; null otherwise
 * (the caller answers NotFound). Rejects only when the project's snapshot cannot be read (Compute failing).
 */
export async function knownClusterRef(id: string, c: Container = container()): Promise<ClusterRef | null> {
  const ref = parseClusterId(id);
  return ref && (await isKnownCluster(ref, c)) ? ref : null;
}

/**
 * How old a snapshot may be for an id it does not list to be answered NotFound without reading Compute: a cluster
 * made since (by kube-up, elsewhere) shows once a view refreshes the snapshot, the fleet's every few seconds.
 */
export const KNOWN_CLUSTERS_MAX_AGE_MS = 60_000;

/** As knownClusterRef, for a parsed id. */
export async function isKnownCluster(ref: ClusterRef, c: Container = container()): Promise<boolean> {
  if (!c.projects.includes(ref.project)) return false;
  // A recent snapshot answers at no cost: a flood of made-up ids never makes Compute read, even a due refresh.
  const recent = c.computeSnapshots.peek(ref.project, KNOWN_CLUSTERS_MAX_AGE_MS);
  if (recent && snapshotKnows(recent, ref)) return true;
  if (recent) return false;
  return snapshotKnows(await c.computeSnapshots.read(ref.project), ref);
}

/** What a caller is told about an id knownClusterRef does not know: the same words for a made-up id and another project's. */
export function unknownClusterMessage(id: string): string {
  return serverRefusals.unknownCluster(id).message;
}
