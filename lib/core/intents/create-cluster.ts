// Create a cluster: the steps that start an HA-compatible cluster with one master. There is no topology yet, so it is
// planned outside the intent registry (planCreateCluster in ../planner.ts, which planOperation calls when the topology
// is null), and it has no backup gate (there is no data yet).
import { listOf } from '../format';
import { toleranceOf, type Layout } from '../layout';
import type { CreateClusterIntent, PlanStep, StepKind, StepParams } from '../planner';
import { regionOfZone } from '../topology';
import { clusterEnv, refuse, withReplica, type Draft } from './context';

const GCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const MAX_MASTER_NAME_LENGTH = 63 - '-https'.length;
const GCE_ZONE = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;

export type CreateClusterInput = {
  intent: CreateClusterIntent;
  operationInProgress?: boolean;
  /** The zones of the intent's region, when known (from the Zones API): the zone is checked against them. */
  regionZones?: string[];
  /** Named in the kube-up command when given. */
  project?: string;
};

/** The create plan before its dry run and run facts (planCreateCluster adds them), or the refusal. */
export function draftCreateCluster(input: CreateClusterInput): Draft {
  const { intent } = input;
  const { masterName, zone } = intent;
  if (input.operationInProgress)
    return refuse(
      'OperationInProgress',
      `Another operation is running on ${masterName}; wait for it to finish first.`,
      {
        variant: 'creating',
        cluster: masterName,
      },
    );
  // The longest name derived from it, the firewall rule `<master>-https`, must still be a GCE name (63).
  if (!GCE_NAME.test(masterName) || masterName.length > MAX_MASTER_NAME_LENGTH) {
    return refuse(
      'InvalidInput',
      `${masterName} is not a usable master name: lower-case letters, digits and dashes, starting with a letter, at most ${MAX_MASTER_NAME_LENGTH} characters.`,
      { variant: 'badMasterName', name: masterName, max: MAX_MASTER_NAME_LENGTH },
    );
  }
  // kube-up names the master `${KUBE_GCE_INSTANCE_PREFIX}-master`, and its replicas and firewall rules after it.
  const suggestion = `${masterName.replace(/-+$/, '')}-master`;
  if (!masterName.endsWith('-master') || masterName === '-master') {
    return refuse(
      'InvalidInput',
      `${masterName} is not a name kube-up gives a master: it always names it <prefix>-master (KUBE_GCE_INSTANCE_PREFIX, "kubernetes" by default), so the cluster could not be run with kube-up's scripts. Use a name ending in -master, like ${suggestion}.`,
      { variant: 'notKubeUpName', name: masterName, suggestion },
    );
  }
  if (!GCE_ZONE.test(zone))
    return refuse('InvalidInput', `${zone} is not a Compute Engine zone name (like europe-west1-b).`, {
      variant: 'badZone',
      zone,
    });
  const region = regionOfZone(zone);
  const regionZones = [...(input.regionZones ?? [zone])].sort();
  if (!regionZones.includes(zone)) {
    return refuse('ZoneOutsideRegion', `${zone} is not a zone of ${region}; pick one of ${listOf(regionZones)}.`, {
      variant: 'create',
      zone,
      region,
      zones: regionZones,
    });
  }
  const empty: Layout = { region, regionZones, replicas: [], loadBalancer: false, strayVoters: 0 };
  const steps: PlanStep[] = [];
  let layout = empty;
  const step = (kind: StepKind, title: string, params: StepParams = {}, next: Layout = layout) => {
    layout = next;
    steps.push({
      id: `create:${zone}:${kind}`,
      kind,
      title,
      params: { zone, masterName, ...params },
      layoutAfter: layout,
      toleranceAfter: toleranceOf(layout),
    });
  };
  step(
    'create-firewall-rules',
    `Create firewall rules ${masterName}-etcd (etcd peers) and ${masterName}-https (port 443)`,
  );
  step('reserve-static-address', `Reserve the static address ${masterName}-ip in ${region}`, {
    address: `${masterName}-ip`,
    region,
  });
  step('issue-cluster-certificates', "Issue the cluster's CA, etcd CA and the first master's certificates");
  step('create-disk', `Create the data disk ${masterName}-pd in ${zone}`, { disk: `${masterName}-pd` });
  step(
    'create-instance',
    `Create the first master ${masterName} in ${zone} with MULTIZONE=${intent.multizone}`,
    { name: masterName, multizone: intent.multizone },
    { ...layout, replicas: [{ name: masterName, zone, role: 'voter', healthy: false }] },
  );
  const booting = steps.at(-1);
  if (booting) booting.transient = `${masterName} is booting: no quorum until its etcd answers (next step).`;
  step(
    'await-etcd',
    `Wait until etcd main and events answer on ${masterName}`,
    { name: masterName },
    withReplica(layout, masterName, { healthy: true }),
  );
  step('await-api-server', `Wait until the API server of ${masterName} is ready`, { name: masterName });
  step('verify', `Check that ${masterName} is a healthy single-member cluster holding the static address`, {
    name: masterName,
  });
  // Current kube-up has no quorum-read variable: etcd3 reads are linearizable (the HA-era ENABLE_ETCD_QUORUM_READS is gone).
  const command = `${clusterEnv(masterName, input.project ?? null)}${intent.multizone ? 'MULTIZONE=true ' : ''}KUBE_GCE_ZONE=${zone} ./cluster/kube-up.sh`;
  const plan = {
    intent,
    summary: `Create cluster ${masterName} with one master in ${zone}`,
    summaryParams: { masterName, zone },
    steps,
    before: toleranceOf(empty),
    after: toleranceOf(layout),
    warnings: [],
    kubeUpCommand: command,
  };
  return { ok: true, plan };
}
