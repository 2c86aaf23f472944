import 'server-only';
import { ok, refused, type Result } from '@/lib/core/errors';
import { planCreateCluster, type CreateClusterIntent, type Plan, type Refusal } from '@/lib/core/planner';
import { serverRefusals } from '@/lib/core/server-refusals';
import { clusterId, regionOfZone, type ClusterRef } from '@/lib/core/topology';
import type { RegionInfo } from '@/lib/ports/compute';
import { isOperationInProgress } from '@/lib/ports/store';
import { container, type Container } from '@/lib/server/container';
import { operationsRunner } from '@/lib/server/operations/runtime';
import { rollbackKindsOf } from '@/lib/server/operations/steps';
import { discoverClusters } from './discover-clusters';
import { permissionRefusal } from './permissions-preflight';
import { replicaNameRegex } from './observe-cluster';
import { refusalDetail } from '@/lib/core/audit';

export type NewClusterInput = { project: string; masterName: string; zone: string; multizone: boolean };

/** What the create wizard offers: where a cluster may go, which names are taken, and whether Quorum can run it here. */
export type CreateClusterChoices = {
  provider: 'sandbox' | 'gce';
  projects: Array<{ project: string; regions: RegionInfo[]; clusters: string[] }>;
};

export async function createClusterChoices(c: Container = container()): Promise<CreateClusterChoices> {
  const clusters = await discoverClusters(c);
  const projects = await Promise.all(
    c.projects.map(async (project) => ({
      project,
      regions: await c.compute.listRegions(project),
      clusters: clusters.filter((k) => k.project === project).map((k) => k.masterName),
    })),
  );
  return { provider: c.env.QUORUM_PROVIDER, projects };
}

type Planned = { plan: Plan; ref: ClusterRef };

/**
 * Plans a new cluster after checking, on a fresh look at Compute, what the planner cannot know: the
 * project is one Quorum manages, the zone is one of its regions', and nothing of that name exists (a
 * replica VM, or a data disk that may hold an old cluster's etcd data). Firewall rules and a free static
 * address of that name are reused, as a create interrupted before its instance leaves them.
 */
export async function planNewCluster(input: NewClusterInput, c: Container = container()): Promise<Result<Planned>> {
  const intent: CreateClusterIntent = {
    kind: 'create-cluster',
    masterName: input.masterName,
    zone: input.zone,
    multizone: input.multizone,
  };
  const { project, masterName, zone } = input;
  if (!c.projects.includes(project)) return refused(serverRefusals.projectNotManaged(project, c.projects));
  // Names and zone syntax first, in the planner's words.
  const syntax = planCreateCluster({ intent });
  if (!syntax.ok) return refused(syntax.refusal);

  const region = regionOfZone(zone);
  const regions = await c.compute.listRegions(project);
  const regionInfo = regions.find((r) => r.name === region);
  if (!regionInfo)
    return refused(
      serverRefusals.zoneInNoRegion(
        zone,
        project,
        regions.map((r) => r.name),
      ),
    );
  const ref: ClusterRef = { project, region, masterName };
  // A zone the region lacks, before anything is looked up in it.
  const inRegion = planCreateCluster({ intent, regionZones: regionInfo.zones });
  if (!inRegion.ok) return refused(inRegion.refusal);

  const existing = await c.compute.listInstances(project, replicaNameRegex(masterName));
  if (existing.length > 0)
    return refused(
      serverRefusals.nameTaken(
        masterName,
        existing.map((i) => ({ name: i.name, zone: i.zone })),
      ),
    );
  if (await c.compute.getDisk(project, zone, `${masterName}-pd`))
    return refused(serverRefusals.diskExists(masterName, zone));
  const address = await c.compute.getAddress(project, region, `${masterName}-ip`);
  if (address && address.users.length > 0)
    return refused(serverRefusals.addressInUse(masterName, address.address, address.users));

  const holder = await c.store.lockHolder(clusterId(ref));
  const planned = planCreateCluster({
    intent,
    regionZones: regionInfo.zones,
    operationInProgress: holder !== null,
    project,
  });
  if (!planned.ok) return refused(planned.refusal);
  // Only where Quorum runs the plan itself: on Compute Engine kube-up creates it, with its user's permissions.
  if (c.env.QUORUM_PROVIDER === 'sandbox') {
    const denied = await permissionRefusal(c.permissions, project, planned.plan.steps);
    if (denied) return refused(denied);
  }
  return ok({ plan: planned.plan, ref });
}

/**
 * Creates a cluster in the sandbox: plans on a fresh look, journals the operation (taking the new
 * cluster's lock) and starts it. On Compute Engine a master also needs kube-up's boot scripts, which
 * Quorum does not have, so there it refuses and names the kube-up command. Refusals are audited.
 */
export async function startNewCluster(
  input: NewClusterInput,
  actor: string,
  c: Container = container(),
  run: (operationId: string) => unknown = (operationId) => operationsRunner().start(operationId),
  source: string | null = null,
): Promise<Result<{ operationId: string; clusterId: string }>> {
  const action = 'operation.create-cluster';
  const id = clusterId({ project: input.project, region: regionOfZone(input.zone), masterName: input.masterName });
  // Audited with its English; the wizard gets its params too, to word it in the reader's language.
  const refuse = async (refusal: Refusal) => {
    await c.store.addAudit({
      actor,
      source,
      action,
      clusterId: id,
      outcome: 'refused',
      detail: { ...refusalDetail(refusal), input },
    });
    return refused<{ operationId: string; clusterId: string }>(refusal);
  };
  const planned = await planNewCluster(input, c);
  if (!planned.ok) return refuse(planned);
  const { plan, ref } = planned.data;
  if (c.env.QUORUM_PROVIDER !== 'sandbox') {
    return refuse(serverRefusals.kubeUpOnly(plan.kubeUpCommand));
  }
  try {
    const operation = await c.store.createOperation({
      clusterId: clusterId(ref),
      kind: 'create-cluster',
      intent: plan.intent,
      plan: { ...plan, rollback: rollbackKindsOf(plan.steps) },
      actor,
      source,
    });
    void run(operation.id);
    return ok({ operationId: operation.id, clusterId: clusterId(ref) });
  } catch (error) {
    if (isOperationInProgress(error)) return refuse({ code: 'OperationInProgress', message: error.message });
    throw error;
  }
}
