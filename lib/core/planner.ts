// The planner: turns an operator's intent into the ordered steps an operation will run, with the layout and
// tolerance after each step, or into a refusal with a typed code. Pure and deterministic: the same topology,
// assessment and intent always give the same plan, so a preview and the operation it starts agree.
//
// Rules (issue 3, reference/ha-masters.md "etcd facts"). The first refusal that applies is returned: the
// operation lock, then the input (names, scale bounds, zones), then the layout rules in the order below.
//   Refusals:
//     OperationInProgress  another mutating operation runs on the cluster, or (for add and scale) a learner is left
//                          from an unfinished add (etcd allows one learner at a time; resume that add or remove it)
//     InvalidInput         scale target outside 1..7 or equal to the current count, zones list of the wrong length,
//                          a supplied new name that is not `<masterName>-xyz` or is taken, a bad create input
//     ZoneOutsideRegion    an add (or a scale zone used for an add) outside topology.regionZones; a removal in a
//                          zone outside the region with no replica there (one that has a replica may be removed)
//     TwoReplicaLayout     a target of two replicas (for a removal: 3 -> 2 voters); offered instead as 1 -> 3 / 3 -> 1
//     LastReplica          removing the only replica
//     NotFound             a removal whose zone holds no replica, or whose name is no replica of that zone; an add
//                          to a cluster with no replica to copy from
//     VoterUnhealthy       an add while any voter (a stray member with no VM included) is not healthy: etcd's strict
//                          reconfig check would refuse it too
//     QuorumAtRisk         a removal when quorum is already lost (etcd accepts no membership change), or one after
//                          which the healthy voters are fewer than the quorum of the voters left
//     ZoneUnavailable      a new replica in a zone the diagnosis finds unreachable (a zone outage)
//     EtcdTooOld           an add (also inside a scale, replace or rebalance) while a member reports etcd < 3.4,
//                          which has no learners (MemberAdd would add a voter at once)
//   Scale plans are adds or removals one after the other, each checked on the layout the ones before leave; the
//   two-voter state inside 1 -> 3 and 3 -> 1 is marked `transient` on every step that leaves it. A replace plan is a
//   removal then an add in the same zone (the failed member goes first, as etcd wants), its add checked for
//   unhealthy voters on the layout the removal leaves. When the failed replica's zone is unreachable, the add goes
//   to the reachable zone with the fewest replicas, with a ZoneToleranceReduced warning that says how many zone
//   outages the cluster survives instead. A rebalance plan is an add in a free zone, then the removal of one of the
//   replicas sharing a zone (the pair a recovery during an outage left), each checked like its own plan.
//   Warnings: ZoneShared (a new replica goes into a zone that has one while a zone of the region is free),
//   EvenReplicaCount (the plan ends on an even number of voters) and ZoneToleranceReduced (a replacement outside
//   the failed replica's zone survives fewer zone outages than one in place would).
//
// Backup gate (issue 4): every add and every removal starts its cluster-changing part with 'snapshot-etcd', which
// takes and verifies snapshots of etcd main and events and fails (stopping the operation before any membership
// change) when it cannot. In an add that is before the load-balancer steps when there are any (a failed gate must
// not cost a move of the static IP and back), else right before 'add-learner'; in a removal right before
// 'remove-member'. A create has none (there is no data yet). `backupGateOverride` marks those steps as allowed to
// go on without a verified snapshot; the operator gives the reason, which the step titles carry.
//
// New replica names come from the caller (`newNames`, consumed in order by the adds), so the plan is
// deterministic. Without them the plan carries a placeholder (`<masterName>-???`, then `<masterName>-???-2`...)
// with `namePending: true` in the step params, and the 'pick-name' step chooses a free name at run time.
//
// Each intent on an existing cluster is planned by its own file in intents/ (the registry is intents/index.ts), on
// the pieces they share in intents/context.ts; create-cluster is intents/create-cluster.ts. This file holds the types
// and the entry points (planOperation, planCreateCluster): the checks every cluster intent goes through first, and
// the dry run and run facts every plan gets.
import type { Assessment, FindingParams } from './assessment';
import { partParams } from './findings/params';
import type { DomainErrorCode } from './errors';
import { formatDuration, listOf } from './format';
import { dryRunWorldOf, emptyDryRunWorld, listPlanCalls, type PlanCalls } from './dry-run';
import { INTENT_PLANNERS, type ClusterIntentKind, type Ctx, type Draft, type IntentPlanner } from './intents';
import { planContextOf, refuse } from './intents/context';
import { draftCreateCluster, type CreateClusterInput } from './intents/create-cluster';
import { layoutOf, type Layout, type Tolerance } from './layout';
import { DEFAULT_LB_PROPAGATION_SECONDS, estimatePlanSeconds, planFingerprint, STEP_SECONDS } from './plan-run';
import { isReplicaName, regionOfZone, type Topology } from './topology';

// Defined in intents/ with the code that uses them; callers keep importing them from here.
export { MAX_MASTER_NAME_LENGTH } from './intents/create-cluster';
export { zoneForAdd } from './intents/context';
export { MAX_REPLICAS, MIN_REPLICAS } from './intents/scale';

// --- Intents ------------------------------------------------------------------------------------------------

export const INTENT_KINDS = [
  'add-replica',
  'remove-replica',
  'replace-replica',
  'restart-replica',
  'rebalance',
  'scale',
  'create-cluster',
] as const;
export type IntentKind = (typeof INTENT_KINDS)[number];

export type AddReplicaIntent = { kind: 'add-replica'; zone: string };
export type RemoveReplicaIntent = { kind: 'remove-replica'; zone: string; name?: string };
export type ScaleIntent = { kind: 'scale'; replicas: number; zones?: string[] };
export type CreateClusterIntent = { kind: 'create-cluster'; masterName: string; zone: string; multizone: boolean };
/**
 * Replace a failed replica (the source document's fourth job): remove it, then add a new one in its zone, as one
 * plan. etcd wants the failed member out before its replacement joins, and a plain removal from three would be
 * refused as a two-replica target, while an add is refused while that voter is down.
 */
export type ReplaceReplicaIntent = {
  kind: 'replace-replica';
  name: string;
  /**
   * Where the new replica goes. Default: the failed replica's zone, or, when that zone is unreachable, the
   * reachable zone of the region with the fewest replicas (with a ZoneToleranceReduced warning).
   */
  zone?: string;
};
/**
 * Undo a zone shared by two replicas (left by a recovery while a zone was down): add a replica in a free zone,
 * then remove one of the pair, as one plan. `zone`: the free zone (default: the first free reachable one);
 * `name`: which replica of the crowded zone goes (default: an unhealthy one, then not the etcd leader).
 */
export type RebalanceIntent = { kind: 'rebalance'; zone?: string; name?: string };
/**
 * The lighter fix the recovery wizard offers before a replacement: restart a failed replica in place. A stopped VM is
 * started; a running VM whose etcd or API server is down is reset (a hard restart). Its etcd members stay, and etcd
 * rejoins from its own disk: no membership change, so no snapshot gate. Which of the two follows from the VM's state.
 */
export type RestartReplicaIntent = { kind: 'restart-replica'; name: string };
export type Intent =
  | AddReplicaIntent
  | RemoveReplicaIntent
  | ReplaceReplicaIntent
  | RestartReplicaIntent
  | RebalanceIntent
  | ScaleIntent
  | CreateClusterIntent;
/** Intents that change an existing cluster, and so need its topology. */
export type ClusterIntent =
  AddReplicaIntent | RemoveReplicaIntent | ReplaceReplicaIntent | RestartReplicaIntent | RebalanceIntent | ScaleIntent;

// --- Steps -----------------------------------------------------------------------------------------------------

export const STEP_KINDS = [
  // add and remove: the backup gate, before the first step of each add or removal that changes the cluster
  'snapshot-etcd',
  // add, only when no load balancer exists yet (one replica so far)
  'move-first-replica-to-ephemeral-ip',
  'create-target-pool',
  'create-forwarding-rule',
  'await-cluster-address',
  // add
  'pick-name',
  'issue-certificates',
  'add-learner',
  'create-disk',
  'create-instance',
  'add-to-target-pool',
  'await-learner-catch-up',
  'promote-learner',
  'await-api-server',
  // remove
  'resolve-replica',
  'move-leadership',
  'remove-member',
  'remove-from-target-pool',
  'delete-instance',
  'delete-disk',
  'delete-forwarding-rule',
  'return-static-ip-to-last-replica',
  'delete-target-pool',
  // create
  'create-firewall-rules',
  'reserve-static-address',
  'issue-cluster-certificates',
  'await-etcd',
  // restart in place
  'restart-instance',
  'await-replica-rejoined',
  // all
  'verify',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export type StepParams = Record<string, string | number | boolean>;

/**
 * What a plan's sentence says, as plain JSON: the words of its summary, a warning or a refusal in any language
 * (messages/<locale>/plans.json, worded by components/wizards/use-plan-text.ts). The shape of a finding's params
 * (FindingParams): a string array is a list of names, a repeated part is flattened as `<part>.<i>.<field>`
 * (findings/params.ts). A step is worded from its kind and StepParams. The English sentence stays the record
 * (journal, audit, logs, webhooks), and the words of anything without params.
 */
export type PlanParams = FindingParams;

export type PlanStep = {
  /** Stable within a plan: `<op>:<zone>:<kind>`, prefixed by `<n>.` inside a scale plan (`2.add:us-central1-c:verify`). */
  id: string;
  kind: StepKind;
  title: string;
  params: StepParams;
  layoutAfter: Layout;
  toleranceAfter: Tolerance;
  /** Set when the state after this step is a temporary risky one (two voters); says so in words. */
  transient?: string;
};

export const PLAN_WARNING_CODES = [
  'ZoneShared',
  'EvenReplicaCount',
  'ZoneToleranceReduced',
  'ClusterAddressUnreachable',
] as const;
export type PlanWarningCode = (typeof PLAN_WARNING_CODES)[number];
export type PlanWarning = { code: PlanWarningCode; message: string; params?: PlanParams };

export type Plan = {
  intent: Intent;
  /** One line, e.g. "Add a replica in europe-west1-d". */
  summary: string;
  /** The summary's words (`plans.summary.<intent kind>`). */
  summaryParams: PlanParams;
  steps: PlanStep[];
  before: Tolerance;
  after: Tolerance;
  warnings: PlanWarning[];
  /** The kube-up/kube-down invocation doing the same; a scale joins them with ` && `. */
  kubeUpCommand: string;
  /** The dry run: the calls each step will make that change something (dry-run.ts). */
  calls: PlanCalls;
  /** The names the plan gives new replicas, in order: a start with the previewed plan uses these (plan-run.ts). */
  newNames: string[];
  /** Identifies the plan as previewed: a start whose re-plan differs is refused with the new plan (PlanChanged). */
  fingerprint: string;
  /** About how long the plan takes on Compute Engine, with the load balancer's propagation (an estimate). */
  etaSeconds: number;
};

export type Refusal = { code: DomainErrorCode; message: string; params?: PlanParams };
export type PlanResult = { ok: true; plan: Plan } | { ok: false; refusal: Refusal };

export type PlanInput =
  | {
      topology: Topology;
      assessment: Assessment;
      intent: ClusterIntent;
      operationInProgress: boolean;
      newNames?: string[];
      /** The operator lets the change go on when no verified snapshot can be taken (after a gate failure), with a reason. */
      backupGateOverride?: { reason: string };
      /** How long a new forwarding rule takes to forward (QUORUM_LB_PROPAGATION_SECONDS): the ETA and its warning. */
      lbPropagationSeconds?: number;
    }
  | {
      topology: null;
      assessment?: null;
      intent: CreateClusterIntent;
      operationInProgress?: boolean;
      regionZones?: string[];
      project?: string;
    };

// --- Entry point ---------------------------------------------------------------------------------------------

export function planOperation(input: PlanInput): PlanResult {
  if (input.topology === null) return planCreateCluster(input);
  const { topology: t, assessment: a, intent } = input;
  if (input.operationInProgress) {
    return refuse(
      'OperationInProgress',
      `Another operation is running on ${t.cluster.masterName}; wait for it to finish or cancel it first.`,
      { variant: 'running', cluster: t.cluster.masterName },
    );
  }
  const layout = layoutOf(t, a);
  const ctx = planContextOf(t, a, input);
  const bad = checkNewNames(ctx, layout);
  if (bad) return bad;
  const partition = partitionRefusal(a);
  if (partition) return partition;
  const draft = planIntent(ctx, layout, intent);
  if (!draft.ok) return draft;
  const lbSeconds = input.lbPropagationSeconds ?? DEFAULT_LB_PROPAGATION_SECONDS.gce;
  const moves = draft.plan.steps.find((s) => s.kind === 'move-first-replica-to-ephemeral-ip');
  const address = t.staticAddress?.address ?? `(${ctx.masterName}-ip)`;
  // formatDuration's units (min, s) are read as they are in every language, as the preview's ETA shows them.
  const duration = formatDuration((lbSeconds + STEP_SECONDS['move-first-replica-to-ephemeral-ip']) * 1_000);
  const warnings: PlanWarning[] = moves
    ? [
        ...draft.plan.warnings,
        {
          code: 'ClusterAddressUnreachable',
          message: `The cluster address ${address} does not answer for about ${duration} while the static IP moves from ${String(moves.params.name)} to the new load balancer: kubectl, the nodes' kubelets and anything else using it lose the API server meanwhile.`,
          params: { address, duration, replica: String(moves.params.name) },
        },
      ]
    : draft.plan.warnings;
  const plan = { ...draft.plan, warnings, calls: listPlanCalls(draft.plan.steps, dryRunWorldOf(t, a), ctx.masterName) };
  return { ok: true, plan: withRunFacts(plan, ctx.newNames.slice(0, ctx.namesUsed), lbSeconds) };
}

function withRunFacts(
  plan: Omit<Plan, 'newNames' | 'fingerprint' | 'etaSeconds'>,
  newNames: string[],
  lbSeconds: number,
): Plan {
  return {
    ...plan,
    newNames,
    fingerprint: planFingerprint(plan),
    etaSeconds: estimatePlanSeconds(plan.steps, lbSeconds),
  };
}

/** Plans a cluster intent with the planner of its kind (intents/index.ts). */
function planIntent<K extends ClusterIntentKind>(
  ctx: Ctx,
  layout: Layout,
  intent: Extract<ClusterIntent, { kind: K }>,
): Draft {
  const planner: IntentPlanner<K> = INTENT_PLANNERS[intent.kind];
  return planner.plan(ctx, layout, intent);
}

const NAME_SUFFIX = /^[a-z0-9]{3}$/;

function checkNewNames(ctx: Ctx, layout: Layout): PlanResult | null {
  const seen = new Set(layout.replicas.map((r) => r.name));
  for (const name of ctx.newNames) {
    const suffix = name.slice(ctx.masterName.length + 1);
    if (!isReplicaName(ctx.masterName, name) || !NAME_SUFFIX.test(suffix) || !name.startsWith(`${ctx.masterName}-`)) {
      return refuse(
        'InvalidInput',
        `${name} is not a replica name of ${ctx.masterName}: expected ${ctx.masterName}- and three characters a-z or 0-9.`,
        { variant: 'badName', name, cluster: ctx.masterName },
      );
    }
    if (seen.has(name))
      return refuse('InvalidInput', `${name} is already taken; pick another name.`, { variant: 'nameTaken', name });
    seen.add(name);
  }
  return null;
}

/**
 * Members that answer Quorum but not each other (connectivity.ts): a membership change now is counted on links
 * that are not there (a new member may not reach the leader, a removal may take the member the cluster holds
 * through), and replacing a member does not mend a network. Refused until etcd reports the links whole again.
 */
function partitionRefusal(a: Assessment): PlanResult | null {
  const cut = (['main', 'events'] as const).flatMap((c) => a.connectivity[c]?.cutPairs ?? []);
  if (cut.length === 0) return null;
  const zones = a.connectivity.main?.cutZones ?? [];
  const pairs = zones.length > 0 ? zones : cut;
  const where =
    zones.length > 0
      ? `zones ${listOf(zones.map(([x, y]) => `${x} and ${y}`))} cannot reach each other`
      : `${listOf(cut.map(([x, y]) => `${x} and ${y}`))} cannot reach each other`;
  return refuse(
    'NetworkPartition',
    `etcd reports a partition: ${where}, although every member answers Quorum. A membership change now would be counted on links that are not there, and no replacement mends a network: fix the path between them first (VPC routes, firewall rules for tcp:2380-2381 between the masters), then plan again.`,
    {
      between: zones.length > 0 ? 'zones' : 'members',
      ...partParams(
        'pairs',
        pairs.map(([x, y]) => ({ a: x, b: y })),
      ),
    },
  );
}

// --- Create ----------------------------------------------------------------------------------------------------

/**
 * The steps that start an HA-compatible cluster with one master (intents/create-cluster.ts). No topology exists yet;
 * `regionZones`, when known (from the Zones API), lets the zone be checked against its region.
 */
export function planCreateCluster(input: CreateClusterInput): PlanResult {
  const draft = draftCreateCluster(input);
  if (!draft.ok) return draft;
  const { masterName, zone } = input.intent;
  const world = emptyDryRunWorld(input.project ?? '(project)', regionOfZone(zone));
  const plan = { ...draft.plan, calls: listPlanCalls(draft.plan.steps, world, masterName) };
  return { ok: true, plan: withRunFacts(plan, [], DEFAULT_LB_PROPAGATION_SECONDS.gce) };
}
