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
import { describeReplicaHealth, type Assessment } from './assessment';
import type { DomainErrorCode } from './errors';
import { LEARNER_MIN_VERSION, lowestEtcdVersion, supportsLearners } from './etcd-version';
import {
  votersOf,
  layoutOf,
  replicasPerZone,
  toleranceOf,
  type Layout,
  type LayoutReplica,
  type Tolerance,
} from './layout';
import { faultTolerance, quorumOf } from './quorum';
import { isReplicaName, regionOfZone, type Topology } from './topology';
import { formatDuration, listOf } from './format';
import { dryRunWorldOf, emptyDryRunWorld, listPlanCalls, type PlanCalls } from './dry-run';
import { DEFAULT_LB_PROPAGATION_SECONDS, estimatePlanSeconds, planFingerprint, STEP_SECONDS } from './plan-run';

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

/** Bounds of a scale target: one replica, up to seven (etcd's recommended maximum cluster size). */
export const MIN_REPLICAS = 1;
export const MAX_REPLICAS = 7;

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
export type PlanWarning = { code: PlanWarningCode; message: string };

export type Plan = {
  intent: Intent;
  /** One line, e.g. "Add a replica in europe-west1-d". */
  summary: string;
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

export type Refusal = { code: DomainErrorCode; message: string };
export type PlanResult = { ok: true; plan: Plan } | { ok: false; refusal: Refusal };
/** A plan before its dry run and run facts are added (the plan functions below); planOperation adds them. */
type Draft =
  { ok: true; plan: Omit<Plan, 'calls' | 'newNames' | 'fingerprint' | 'etaSeconds'> } | { ok: false; refusal: Refusal };

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

const refuse = (code: DomainErrorCode, message: string): { ok: false; refusal: Refusal } => ({
  ok: false,
  refusal: { code, message },
});

// --- Entry point ---------------------------------------------------------------------------------------------

export function planOperation(input: PlanInput): PlanResult {
  if (input.topology === null) return planCreateCluster(input);
  const { topology: t, assessment: a, intent } = input;
  if (input.operationInProgress) {
    return refuse(
      'OperationInProgress',
      `Another operation is running on ${t.cluster.masterName}; wait for it to finish or cancel it first.`,
    );
  }
  const layout = layoutOf(t, a);
  const ctx: Ctx = {
    t,
    a,
    masterName: t.cluster.masterName,
    leader: leaderOf(t, a),
    newNames: input.newNames ?? [],
    namesUsed: 0,
    steps: [],
    prefix: '',
    gateOverride: input.backupGateOverride?.reason.trim() || null,
  };
  const bad = checkNewNames(ctx, layout);
  if (bad) return bad;
  const partition = partitionRefusal(a);
  if (partition) return partition;
  const draft = planIntent(ctx, layout, intent);
  if (!draft.ok) return draft;
  const lbSeconds = input.lbPropagationSeconds ?? DEFAULT_LB_PROPAGATION_SECONDS.gce;
  const moves = draft.plan.steps.find((s) => s.kind === 'move-first-replica-to-ephemeral-ip');
  const warnings: PlanWarning[] = moves
    ? [
        ...draft.plan.warnings,
        {
          code: 'ClusterAddressUnreachable',
          message: `The cluster address ${t.staticAddress?.address ?? `(${ctx.masterName}-ip)`} does not answer for about ${formatDuration((lbSeconds + STEP_SECONDS['move-first-replica-to-ephemeral-ip']) * 1_000)} while the static IP moves from ${String(moves.params.name)} to the new load balancer: kubectl, the nodes' kubelets and anything else using it lose the API server meanwhile.`,
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

function planIntent(ctx: Ctx, layout: Layout, intent: ClusterIntent): Draft {
  switch (intent.kind) {
    case 'add-replica':
      return planAdds(ctx, layout, intent, [intent.zone]);
    case 'remove-replica':
      return planRemove(ctx, layout, intent);
    case 'replace-replica':
      return planReplace(ctx, layout, intent);
    case 'restart-replica':
      return planRestart(ctx, layout, intent);
    case 'rebalance':
      return planRebalance(ctx, layout, intent);
    case 'scale':
      return planScale(ctx, layout, intent);
  }
}

type Ctx = {
  t: Topology;
  a: Assessment;
  masterName: string;
  /** Name of the replica leading etcd main, when known. */
  leader: string | null;
  newNames: string[];
  namesUsed: number;
  steps: PlanStep[];
  /** Step id prefix inside a scale plan ('1.', '2.'...). */
  prefix: string;
  /** The operator's reason when the backup gate is overridden. */
  gateOverride: string | null;
};

function leaderOf(t: Topology, a: Assessment): string | null {
  const id = a.etcd.main.leaderId;
  if (id === null) return null;
  const r = t.replicas.find((x) => x.etcd.main.ok && x.etcd.main.memberId === id);
  return r?.name ?? null;
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
      );
    }
    if (seen.has(name)) return refuse('InvalidInput', `${name} is already taken; pick another name.`);
    seen.add(name);
  }
  return null;
}

function nextName(ctx: Ctx): { name: string; pending: boolean } {
  const i = ctx.namesUsed;
  ctx.namesUsed += 1;
  const given = ctx.newNames[i];
  if (given !== undefined) return { name: given, pending: false };
  return { name: i === 0 ? `${ctx.masterName}-???` : `${ctx.masterName}-???-${i + 1}`, pending: true };
}

// --- Shared helpers -----------------------------------------------------------------------------------------

const TRANSIENT_TWO =
  'Two voters for now: consensus needs both, so losing either stops the control plane until the next membership change.';

function pushStep(
  ctx: Ctx,
  op: string,
  zone: string,
  kind: StepKind,
  title: string,
  params: StepParams,
  layoutAfter: Layout,
): void {
  const toleranceAfter = toleranceOf(layoutAfter);
  const step: PlanStep = { id: `${ctx.prefix}${op}:${zone}:${kind}`, kind, title, params, layoutAfter, toleranceAfter };
  if (toleranceAfter.voters === 2) step.transient = TRANSIENT_TWO;
  ctx.steps.push(step);
}

/**
 * The backup gate of one add or removal: snapshots of etcd main and events, taken from a healthy voter other than
 * `exclude` (the replica a removal takes out), verified and stored before the membership changes.
 */
function pushSnapshot(ctx: Ctx, op: 'add' | 'remove', zone: string, layout: Layout, exclude: string | null): void {
  const override = ctx.gateOverride;
  const title =
    override === null
      ? `Take and verify etcd snapshots (main and events) before the membership changes`
      : `Take and verify etcd snapshots (main and events); go on without them if they fail (backup gate overridden: ${override})`;
  const params: StepParams = {
    zone,
    ...(exclude !== null ? { exclude } : {}),
    ...(override !== null ? { gateOverridden: true, overrideReason: override } : {}),
  };
  pushStep(ctx, op, zone, 'snapshot-etcd', title, params, layout);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** kube-up names the master `<KUBE_GCE_INSTANCE_PREFIX>-master`; without the prefix it would act on `kubernetes-master`. */
function clusterEnv(masterName: string, project: string | null): string {
  const parts: string[] = [];
  if (project !== null) parts.push(`PROJECT=${project}`);
  const prefix = masterName.endsWith('-master') ? masterName.slice(0, -'-master'.length) : null;
  if (prefix !== null && prefix !== 'kubernetes') parts.push(`KUBE_GCE_INSTANCE_PREFIX=${prefix}`);
  return parts.map((p) => `${p} `).join('');
}

function addCommand(ctx: Ctx, zone: string): string {
  return `${clusterEnv(ctx.masterName, ctx.t.cluster.project)}KUBE_GCE_ZONE=${zone} KUBE_REPLICATE_EXISTING_MASTER=true ./cluster/kube-up.sh`;
}

function removeCommand(ctx: Ctx, zone: string, name: string): string {
  return `${clusterEnv(ctx.masterName, ctx.t.cluster.project)}KUBE_DELETE_NODES=false KUBE_GCE_ZONE=${zone} KUBE_REPLICA_NAME=${name} ./cluster/kube-down.sh`;
}

function evenWarning(tol: Tolerance): PlanWarning[] {
  const v = tol.voters;
  if (v < 2 || v % 2 !== 0) return [];
  return [
    {
      code: 'EvenReplicaCount',
      message: `The cluster ends with ${v} etcd voters, which tolerate ${plural(faultTolerance(v), 'failure')} like ${v - 1} would, while every write needs ${quorumOf(v)} members instead of ${quorumOf(v - 1)}.`,
    },
  ];
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
  const where =
    zones.length > 0
      ? `zones ${listOf(zones.map(([x, y]) => `${x} and ${y}`))} cannot reach each other`
      : `${listOf(cut.map(([x, y]) => `${x} and ${y}`))} cannot reach each other`;
  return refuse(
    'NetworkPartition',
    `etcd reports a partition: ${where}, although every member answers Quorum. A membership change now would be counted on links that are not there, and no replacement mends a network: fix the path between them first (VPC routes, firewall rules for tcp:2380-2381 between the masters), then plan again.`,
  );
}

/** Why Quorum cannot get into replica `name` (SSH), or null when it can (or the replica is not RUNNING). */
function noAccessOf(ctx: Ctx, name: string): string | null {
  const replica = ctx.t.replicas.find((r) => r.name === name);
  if (!replica) return null;
  // Silent on port 22 in a zone that something beyond Quorum's own probes says is down: a zone outage, not access.
  if (ctx.a.diagnosis.zonesUnreachable.some((o) => o.replicas.includes(name))) return null;
  return describeReplicaHealth(replica).noAccess?.reason ?? null;
}

/** `removed`: a replica the plan has already taken out, whose own state no longer counts. */
function unhealthyVoterRefusal(ctx: Ctx, layout: Layout, removed: LayoutReplica | null = null): PlanResult | null {
  const down = votersOf(layout).filter((r) => !r.healthy);
  const blocked = down.filter((r) => noAccessOf(ctx, r.name) !== null);
  if (blocked.length > 0) {
    const names = listOf(blocked.map((r) => `${r.name} (${noAccessOf(ctx, r.name) ?? ''})`));
    return refuse(
      'NoAccess',
      `Quorum cannot get into ${names} over SSH, so it cannot tell whether ${blocked.length === 1 ? 'that voter is' : 'those voters are'} up, and etcd refuses a new member while a voter is down: fix Quorum's access first (see the cluster's findings).`,
    );
  }
  if (down.length > 0) {
    const why = (name: string) => {
      const replica = ctx.t.replicas.find((r) => r.name === name);
      const reasons = replica ? describeReplicaHealth(replica).reasons : [];
      return reasons.length > 0 ? `${name} (${reasons.join(', ')})` : name;
    };
    const names = listOf(down.map((r) => why(r.name)));
    return refuse(
      'VoterUnhealthy',
      `${names} ${down.length === 1 ? 'is' : 'are'} not healthy, and etcd refuses a new member while a voter is down: recover or remove ${down.length === 1 ? 'it' : 'them'} first.`,
    );
  }
  // Members no VM runs are voters too, and etcd counts them as down.
  if (layout.strayVoters > 0) {
    const n = layout.strayVoters;
    return refuse(
      'VoterUnhealthy',
      `etcd has ${plural(n, 'voting member')} with no replica behind ${n === 1 ? 'it' : 'them'}, which etcd counts as down and so refuses a new member: remove the stray member${n === 1 ? '' : 's'} first.`,
    );
  }
  // A voter that does not answer as one while its replica looks fine (the assessment's stricter view).
  for (const cluster of ['main', 'events'] as const) {
    const q = ctx.a.etcd[cluster];
    const down = q.voters - q.healthyVoters - (removed?.role === 'voter' && !removed.healthy ? 1 : 0);
    if (down > 0) {
      return refuse(
        'VoterUnhealthy',
        `${plural(down, 'voter')} of etcd ${cluster} ${down === 1 ? 'does' : 'do'} not answer as a voter, and etcd refuses a new member while a voter is down: check the cluster page's findings and recover ${down === 1 ? 'it' : 'them'} first.`,
      );
    }
  }
  return null;
}

/** etcd before 3.4 has no learners: MemberAdd ignores the flag and the new member votes before it has the data. */
function tooOldForLearners(ctx: Ctx): PlanResult | null {
  const v = lowestEtcdVersion(ctx.t);
  if (v === null || supportsLearners(v)) return null;
  return refuse(
    'EtcdTooOld',
    `etcd on ${ctx.masterName} is ${v.text}, and etcd before ${LEARNER_MIN_VERSION.major}.${LEARNER_MIN_VERSION.minor} has no learners: it would add the new member as a voter at once, which counts towards quorum before it holds any data. Upgrade etcd to ${LEARNER_MIN_VERSION.major}.${LEARNER_MIN_VERSION.minor} or later first.`,
  );
}

function learnerRefusal(layout: Layout): PlanResult | null {
  const learner = layout.replicas.find((r) => r.role === 'learner');
  if (!learner) return null;
  return refuse(
    'OperationInProgress',
    `${learner.name} is still an etcd learner from an unfinished add; etcd takes one learner at a time, so finish that add or remove ${learner.name} first.`,
  );
}

function outsideRegion(layout: Layout, zone: string): PlanResult | null {
  if (layout.regionZones.includes(zone)) return null;
  const other = regionOfZone(zone);
  return refuse(
    'ZoneOutsideRegion',
    `${zone} is ${other === layout.region ? 'not a zone of' : `in ${other}, outside`} the cluster's region ${layout.region}; pick one of ${listOf(layout.regionZones)}.`,
  );
}

/** Zones the diagnosis found unreachable (every replica there silent, and a second witness): nothing can be placed there. */
function unreachableZones(ctx: Ctx): Set<string> {
  return new Set((ctx.a.diagnosis?.zonesUnreachable ?? []).map((o) => o.zone));
}

function unavailableZone(ctx: Ctx, zone: string): PlanResult | null {
  if (!unreachableZones(ctx).has(zone)) return null;
  return refuse(
    'ZoneUnavailable',
    `${zone} is unreachable now (a zone outage), so no new replica can be created there; pick another zone, or wait until it is back.`,
  );
}

function twoReplicaRefusal(current: number, target: number): PlanResult {
  const offer =
    current < target
      ? 'Scale from 1 to 3 replicas instead: one plan that adds two replicas, with two voters only between the two adds.'
      : 'Scale from 3 to 1 replica instead, or keep three: two replicas are less available than one, because consensus needs both.';
  return refuse(
    'TwoReplicaLayout',
    `This would leave the cluster with two replicas, and consensus needs both of them. ${offer}`,
  );
}

// --- Add -------------------------------------------------------------------------------------------------------

/** Zone that maximises zone tolerance for the next replica: fewest replicas, ties by name. */
export function zoneForAdd(layout: Layout, exclude: ReadonlySet<string> = new Set()): string | null {
  const counts = replicasPerZone(layout);
  let best: { zone: string; n: number } | null = null;
  for (const zone of layout.regionZones) {
    if (exclude.has(zone)) continue;
    const n = counts.get(zone) ?? 0;
    if (!best || n < best.n) best = { zone, n };
  }
  return best?.zone ?? null;
}

function planAdds(ctx: Ctx, start: Layout, intent: Intent, zones: string[]): Draft {
  for (const zone of zones) {
    const bad = outsideRegion(start, zone) ?? unavailableZone(ctx, zone);
    if (bad) return bad;
  }
  if (start.replicas.length === 0)
    return refuse(
      'NotFound',
      `${ctx.masterName} has no replica to copy the configuration from; create the cluster instead.`,
    );
  const old = tooOldForLearners(ctx);
  if (old) return old;
  const target = start.replicas.length + zones.length;
  if (target === 2) return twoReplicaRefusal(start.replicas.length, target);
  const learner = learnerRefusal(start);
  if (learner) return learner;
  const unhealthy = unhealthyVoterRefusal(ctx, start);
  if (unhealthy) return unhealthy;

  const warnings: PlanWarning[] = [];
  let layout = start;
  const commands: string[] = [];
  zones.forEach((zone, i) => {
    if (zones.length > 1) ctx.prefix = `${i + 1}.`;
    const shared = sharedZoneWarning(layout, zone);
    if (shared) warnings.push(shared);
    layout = appendAdd(ctx, layout, zone);
    commands.push(addCommand(ctx, zone));
  });
  const before = toleranceOf(start);
  const after = toleranceOf(layout);
  warnings.push(...evenWarning(after));
  const summary =
    intent.kind === 'add-replica'
      ? `Add a replica in ${zones[0] ?? ''}`
      : `Scale from ${start.replicas.length} to ${target} replicas: add in ${listOf(zones)}`;
  return {
    ok: true,
    plan: { intent, summary, steps: ctx.steps, before, after, warnings, kubeUpCommand: commands.join(' && ') },
  };
}

function sharedZoneWarning(layout: Layout, zone: string): PlanWarning | null {
  const counts = replicasPerZone(layout);
  const here = counts.get(zone) ?? 0;
  if (here === 0) return null;
  const free = layout.regionZones.filter((z) => (counts.get(z) ?? 0) === 0);
  if (free.length === 0) return null;
  return {
    code: 'ZoneShared',
    message: `${zone} already runs ${plural(here, 'replica')} while ${listOf(free)} ${free.length === 1 ? 'has' : 'have'} none, so one zone outage would take down more replicas at once; ${listOf(free)} would survive more.`,
  };
}

/** Appends the steps of one add to ctx.steps and returns the layout at its end. */
function appendAdd(ctx: Ctx, start: Layout, zone: string): Layout {
  let layout = start;
  const step = (kind: StepKind, title: string, params: StepParams, next: Layout = layout) => {
    layout = next;
    pushStep(ctx, 'add', zone, kind, title, params, layout);
  };
  const master = ctx.masterName;
  const needsLb = !start.loadBalancer;
  // Before anything of this add changes the cluster: the load-balancer steps when there are any, else add-learner.
  if (needsLb) pushSnapshot(ctx, 'add', zone, layout, null);
  if (needsLb) {
    // The static IP sits on the first replica (kube-up's single master); the pool takes every replica there is.
    const first = start.replicas[0]?.name ?? master;
    const members = start.replicas.map((r) => r.name);
    step('move-first-replica-to-ephemeral-ip', `Move ${first} to an ephemeral external IP, freeing the static IP`, {
      zone,
      name: first,
    });
    step('create-target-pool', `Create target pool ${master} with ${listOf(members)}`, {
      zone,
      targetPool: master,
      instances: members.join(','),
    });
    step(
      'create-forwarding-rule',
      `Create forwarding rule ${master} on the static IP, port 443`,
      { zone, forwardingRule: master, port: 443 },
      {
        ...layout,
        loadBalancer: true,
      },
    );
    step('await-cluster-address', 'Wait until the cluster address answers through the load balancer', { zone });
  }
  const { name, pending } = nextName(ctx);
  const named = { zone, name, namePending: pending };
  step('pick-name', pending ? `Pick a free replica name in ${zone}` : `Use the name ${name}`, named);
  step('issue-certificates', `Issue etcd peer, etcd-apiserver and API server certificates for ${name}`, named);
  const learner: LayoutReplica = { name, zone, role: 'learner', healthy: false };
  if (!needsLb) pushSnapshot(ctx, 'add', zone, layout, null);
  step('add-learner', `Add ${name} as a learner in etcd main and events`, named, {
    ...layout,
    replicas: [...layout.replicas, learner],
  });
  step('create-disk', `Create the data disk ${name}-pd in ${zone}`, { ...named, disk: `${name}-pd` });
  step('create-instance', `Create the instance ${name} in ${zone}`, named);
  if (layout.loadBalancer)
    step('add-to-target-pool', `Add ${name} to target pool ${master}`, { ...named, targetPool: master });
  step(
    'await-learner-catch-up',
    `Wait until ${name} has caught up with the leader`,
    named,
    withReplica(layout, name, { healthy: true }),
  );
  step(
    'promote-learner',
    `Promote ${name} to a voter in etcd main and events`,
    named,
    withReplica(layout, name, { role: 'voter' }),
  );
  step('await-api-server', `Wait until the API server of ${name} is ready`, named);
  step('verify', `Check that ${name} is a healthy voter and the member lists match the replicas`, named);
  return layout;
}

function withReplica(layout: Layout, name: string, patch: Partial<LayoutReplica>): Layout {
  return { ...layout, replicas: layout.replicas.map((r) => (r.name === name ? { ...r, ...patch } : r)) };
}

// --- Remove ----------------------------------------------------------------------------------------------------

/** Which replica of `candidates` goes first: an unhealthy one, then one that does not lead etcd main, then by name. */
function pickForRemoval(candidates: readonly LayoutReplica[], leader: string | null): LayoutReplica | null {
  const rank = (r: LayoutReplica) => (r.healthy ? 2 : 0) + (r.name === leader ? 1 : 0);
  return (
    [...candidates].sort((x, y) => rank(x) - rank(y) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))[0] ?? null
  );
}

function removalRefusal(layout: Layout, victim: LayoutReplica): PlanResult | null {
  if (layout.replicas.length <= 1) {
    return refuse(
      'LastReplica',
      `${victim.name} is the cluster's only replica; removing it would delete the control plane (delete the cluster with kube-down instead).`,
    );
  }
  const now = toleranceOf(layout);
  if (!now.hasQuorum) {
    return refuse(
      'QuorumAtRisk',
      `etcd has lost quorum (${now.healthyVoters} of ${now.voters} voters healthy, ${now.quorum} needed), so it accepts no membership change; recover the failed replicas first.`,
    );
  }
  const after = toleranceOf({ ...layout, replicas: layout.replicas.filter((r) => r.name !== victim.name) });
  if (!after.hasQuorum) {
    return refuse(
      'QuorumAtRisk',
      `Removing ${victim.name} would leave ${after.healthyVoters} healthy of ${after.voters} voters, fewer than the ${after.quorum} quorum needs, and stop the control plane; recover the unhealthy replicas first.`,
    );
  }
  return null;
}

function planRemove(ctx: Ctx, start: Layout, intent: RemoveReplicaIntent): Draft {
  const inZone = start.replicas.filter((r) => r.zone === intent.zone);
  if (inZone.length === 0) {
    // A replica outside the region may be removed (the assessment asks for it), so this is checked only here.
    const bad = outsideRegion(start, intent.zone);
    if (bad) return bad;
    return refuse('NotFound', `No replica of ${ctx.masterName} runs in ${intent.zone}.`);
  }
  let victim: LayoutReplica | null;
  if (intent.name !== undefined) {
    victim = inZone.find((r) => r.name === intent.name) ?? null;
    if (!victim) {
      const elsewhere = start.replicas.find((r) => r.name === intent.name);
      return refuse(
        'NotFound',
        elsewhere
          ? `${intent.name} runs in ${elsewhere.zone}, not in ${intent.zone}.`
          : `${intent.name} is not a replica of ${ctx.masterName} in ${intent.zone}.`,
      );
    }
  } else {
    victim = pickForRemoval(inZone, ctx.leader);
  }
  if (!victim) return refuse('NotFound', `No replica runs in ${intent.zone}.`);
  // Counted in voters: removing a leftover learner is clean-up, not a step down to two replicas.
  if (victim.role === 'voter' && votersOf(start).length === 3) return twoReplicaRefusal(3, 2);
  const bad = removalRefusal(start, victim);
  if (bad) return bad;
  const end = appendRemove(ctx, start, victim, intent.name === undefined);
  const before = toleranceOf(start);
  const after = toleranceOf(end);
  return {
    ok: true,
    plan: {
      intent,
      summary: `Remove ${victim.name} from ${victim.zone}${intent.name === undefined ? ` (picked: ${pickReason(victim, inZone.length, ctx.leader)})` : ''}`,
      steps: ctx.steps,
      before,
      after,
      warnings: evenWarning(after),
      kubeUpCommand: removeCommand(ctx, victim.zone, victim.name),
    },
  };
}

/** VM states a start brings back (instances.start takes a TERMINATED instance; STOPPED is how some tools show it). */
const STARTABLE = new Set(['TERMINATED', 'STOPPED']);

function planRestart(ctx: Ctx, start: Layout, intent: RestartReplicaIntent): Draft {
  const victim = start.replicas.find((r) => r.name === intent.name);
  const replica = ctx.t.replicas.find((r) => r.name === intent.name);
  if (!victim || !replica) return refuse('NotFound', `${intent.name} is not a replica of ${ctx.masterName}.`);
  const blocked = noAccessOf(ctx, victim.name);
  if (blocked !== null) {
    return refuse(
      'NoAccess',
      `Quorum cannot get into ${victim.name} over SSH (${blocked}), so it does not know that ${victim.name} has failed and will not restart it: fix Quorum's access first (see the cluster's findings).`,
    );
  }
  if (unreachableZones(ctx).has(victim.zone)) {
    return refuse(
      'ZoneUnavailable',
      `${victim.zone} is unreachable: a restart of ${victim.name} cannot reach it, and it would come back behind the same outage. Replace it in another zone instead.`,
    );
  }
  // Its member must be there to rejoin: a replica that is no voter has nothing on its disk to come back with.
  if (
    victim.role !== 'voter' ||
    ctx.a.findings.some((f) => f.code === 'VmWithoutMember' && f.subject === victim.name)
  ) {
    return refuse(
      'NotFound',
      `${victim.name} is not a voting member of etcd, so restarting it brings nothing back: replace it instead.`,
    );
  }
  const health = describeReplicaHealth(replica).health;
  let action: 'start' | 'reset';
  if (STARTABLE.has(replica.vmStatus)) action = 'start';
  else if (replica.vmStatus === 'RUNNING') {
    if (health === 'healthy')
      return refuse(
        'QuorumAtRisk',
        `${victim.name} is healthy: restarting it would take a working voter away for nothing.`,
      );
    action = 'reset';
  } else {
    return refuse(
      'ProviderUnavailable',
      `${victim.name} is ${replica.vmStatus}: it can be started once it is TERMINATED, or reset while RUNNING; wait for it, or replace it.`,
    );
  }
  // Its voter is already down, so the restart costs no tolerance; a voter that still answers (only its API server is
  // down) would be taken away for the reset: refused when the others could not keep quorum without it.
  const before = toleranceOf(start);
  const voterUp = replica.vmStatus === 'RUNNING' && replica.etcd.main.ok && replica.etcd.events.ok;
  if (voterUp && ctx.a.canLoseReplicas < 1) {
    return refuse(
      'QuorumAtRisk',
      `Resetting ${victim.name} would take down a voter etcd needs for its quorum now (the cluster can lose 0 replicas); bring the other replicas back first.`,
    );
  }
  const during: Layout = {
    ...start,
    replicas: start.replicas.map((r) => (r.name === victim.name ? { ...r, healthy: false } : r)),
  };
  const after: Layout = {
    ...start,
    replicas: start.replicas.map((r) => (r.name === victim.name ? { ...r, healthy: true } : r)),
  };
  const params = { name: victim.name, zone: victim.zone, action };
  pushStep(
    ctx,
    'restart',
    victim.zone,
    'restart-instance',
    action === 'start'
      ? `Start the VM ${victim.name} in ${victim.zone} (instances.start: it boots from its own disks)`
      : `Reset the VM ${victim.name} in ${victim.zone} (instances.reset, a hard restart: etcd starts again from its disk)`,
    params,
    during,
  );
  pushStep(
    ctx,
    'restart',
    victim.zone,
    'await-replica-rejoined',
    `Wait until etcd main and events on ${victim.name} answer as the same members, caught up with the leader, and its API server is ready`,
    params,
    after,
  );
  pushStep(
    ctx,
    'restart',
    victim.zone,
    'verify',
    `Check that ${victim.name} is a healthy voter again and the member lists match the replicas`,
    params,
    after,
  );
  const project = ctx.t.cluster.project;
  return {
    ok: true,
    plan: {
      intent,
      summary:
        action === 'start'
          ? `Start ${victim.name} in ${victim.zone}; it rejoins etcd as the same member`
          : `Reset ${victim.name} in ${victim.zone}; it rejoins etcd as the same member`,
      steps: ctx.steps,
      before,
      after: toleranceOf(after),
      warnings: [],
      kubeUpCommand: `gcloud compute instances ${action} ${victim.name} --zone ${victim.zone} --project ${project}`,
    },
  };
}

function pickReason(r: LayoutReplica, candidates: number, leader: string | null): string {
  if (candidates === 1) return 'the only replica in the zone';
  if (!r.healthy) return 'it is not healthy';
  if (r.name !== leader) return 'it does not lead etcd';
  return 'first by name';
}

function appendRemove(ctx: Ctx, start: Layout, victim: LayoutReplica, picked: boolean): Layout {
  let layout = start;
  const zone = victim.zone;
  const step = (kind: StepKind, title: string, params: StepParams, next: Layout = layout) => {
    layout = next;
    pushStep(ctx, 'remove', zone, kind, title, params, layout);
  };
  const master = ctx.masterName;
  const p = { zone, name: victim.name };
  step('resolve-replica', picked ? `Remove ${victim.name}, picked in ${zone}` : `Remove ${victim.name} in ${zone}`, {
    ...p,
    picked,
  });
  step(
    'move-leadership',
    victim.healthy
      ? `Move etcd leadership off ${victim.name} if it leads`
      : `Move etcd leadership off ${victim.name} if it leads; skipped (and logged) while it does not answer, since the hand-over needs it`,
    { ...p, leadsNow: victim.name === ctx.leader },
  );
  pushSnapshot(ctx, 'remove', zone, layout, victim.name);
  step('remove-member', `Remove ${victim.name} from etcd main and events`, p, {
    ...layout,
    replicas: layout.replicas.filter((r) => r.name !== victim.name),
  });
  if (start.loadBalancer)
    step('remove-from-target-pool', `Remove ${victim.name} from target pool ${master}`, { ...p, targetPool: master });
  step('delete-instance', `Delete the instance ${victim.name}`, p);
  step('delete-disk', `Delete the data disk ${victim.name}-pd`, { ...p, disk: `${victim.name}-pd` });
  const last = layout.replicas.length === 1 ? layout.replicas[0] : undefined;
  if (last && start.loadBalancer) {
    step(
      'delete-forwarding-rule',
      `Delete forwarding rule ${master}, freeing the static IP`,
      { ...p, forwardingRule: master },
      { ...layout, loadBalancer: false },
    );
    step('return-static-ip-to-last-replica', `Give the static IP back to ${last.name}`, {
      ...p,
      lastReplica: last.name,
    });
    step('delete-target-pool', `Delete target pool ${master}`, { ...p, targetPool: master });
  }
  step('verify', `Check that ${victim.name} is gone and the member lists match the replicas`, p);
  return layout;
}

// --- Replace ---------------------------------------------------------------------------------------------------

function planReplace(ctx: Ctx, start: Layout, intent: ReplaceReplicaIntent): Draft {
  const victim = start.replicas.find((r) => r.name === intent.name);
  if (!victim) return refuse('NotFound', `${intent.name} is not a replica of ${ctx.masterName}.`);
  // No access is Quorum's own problem, not the replica's: replacing a replica that may be fine is not a fix.
  const blocked = noAccessOf(ctx, victim.name);
  if (blocked !== null) {
    return refuse(
      'NoAccess',
      `Quorum cannot get into ${victim.name} over SSH (${blocked}), so it does not know that ${victim.name} has failed and will not replace it: fix Quorum's access first (see the cluster's findings).`,
    );
  }
  if (intent.zone !== undefined) {
    const bad = outsideRegion(start, intent.zone) ?? unavailableZone(ctx, intent.zone);
    if (bad) return bad;
  } else if (outsideRegion(start, victim.zone)) {
    return refuse(
      'ZoneOutsideRegion',
      `${victim.name} runs in ${victim.zone}, outside the cluster's region ${start.region}, so its replacement cannot go there: add a replica in the region, then remove ${victim.name}.`,
    );
  }
  if (votersOf(start).length === 2 && victim.role === 'voter') {
    return refuse(
      'TwoReplicaLayout',
      `The cluster would stay at two replicas, and consensus needs both of them. Scale from 1 to 3 replicas instead, after removing ${victim.name}.`,
    );
  }
  // A leftover learner next to a single voter: its replacement would join as the second voter.
  if (votersOf(start).length === 1 && victim.role === 'learner') {
    return refuse(
      'TwoReplicaLayout',
      `Replacing the learner ${victim.name} would leave two voters, and consensus needs both of them. Remove ${victim.name}, then scale from 1 to 3 replicas.`,
    );
  }
  // The replacement joins as a learner, and etcd takes one at a time; the victim itself may be a stuck learner.
  const pending = learnerRefusal({ ...start, replicas: start.replicas.filter((r) => r.name !== victim.name) });
  if (pending) return pending;
  const removal = removalRefusal(start, victim);
  if (removal) return removal;
  ctx.prefix = '1.';
  const mid = appendRemove(ctx, start, victim, false);
  const unhealthy = unhealthyVoterRefusal(ctx, mid, victim);
  if (unhealthy) return unhealthy;
  const down = unreachableZones(ctx);
  const zone = intent.zone ?? (down.has(victim.zone) ? zoneForAdd(mid, down) : victim.zone);
  if (zone === null)
    return refuse(
      'ZoneUnavailable',
      `Every zone of ${start.region} is unreachable now; no replacement can be created.`,
    );
  ctx.prefix = '2.';
  const end = appendAdd(ctx, mid, zone);
  const after = toleranceOf(end);
  const warnings: PlanWarning[] = [];
  if (zone !== victim.zone) {
    // What the same replacement in the failed replica's zone would have kept, had that zone been available.
    const inPlace = toleranceOf({
      ...end,
      replicas: end.replicas.map((r) =>
        r.zone === zone && !mid.replicas.some((m) => m.name === r.name) ? { ...r, zone: victim.zone } : r,
      ),
    });
    const sharing = mid.replicas.filter((r) => r.zone === zone).map((r) => r.name);
    const why = down.has(victim.zone)
      ? `because ${victim.zone} is unreachable`
      : `instead of its own zone ${victim.zone}`;
    if (after.canLoseZones < inPlace.canLoseZones) {
      const rebalance = ` When ${victim.zone} is ${down.has(victim.zone) ? 'back' : 'free'}, rebalance (the cluster page offers it): add a replica there, then remove one of the pair.`;
      warnings.push({
        code: 'ZoneToleranceReduced',
        message: `The replacement goes to ${zone} ${why}${sharing.length > 0 ? `, next to ${listOf(sharing)}` : ''}: the cluster will survive ${plural(after.canLoseReplicas, 'replica failure')} but only ${plural(after.canLoseZones, 'zone outage')} instead of ${inPlace.canLoseZones}, since losing ${zone} would take ${sharing.length + 1} voters at once.${rebalance}`,
      });
    }
  }
  warnings.push(...evenWarning(after));
  return {
    ok: true,
    plan: {
      intent,
      summary:
        zone === victim.zone
          ? `Replace ${victim.name} in ${victim.zone}: remove it, then add a new replica there`
          : `Replace ${victim.name} (${victim.zone}) by a new replica in ${zone}: remove it, then add the new one`,
      steps: ctx.steps,
      before: toleranceOf(start),
      after,
      warnings,
      kubeUpCommand: `${removeCommand(ctx, victim.zone, victim.name)} && ${addCommand(ctx, zone)}`,
    },
  };
}

// --- Rebalance -------------------------------------------------------------------------------------------------

function planRebalance(ctx: Ctx, start: Layout, intent: RebalanceIntent): Draft {
  const counts = replicasPerZone(start);
  const crowded = [...counts.entries()].filter(([, n]) => n >= 2).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  if (crowded.length === 0)
    return refuse(
      'InvalidInput',
      `No zone runs more than one replica of ${ctx.masterName}; there is nothing to rebalance.`,
    );
  if (votersOf(start).length === 2) return twoReplicaRefusal(2, 2);
  const down = unreachableZones(ctx);
  let zone: string;
  if (intent.zone !== undefined) {
    const bad = outsideRegion(start, intent.zone) ?? unavailableZone(ctx, intent.zone);
    if (bad) return bad;
    if ((counts.get(intent.zone) ?? 0) > 0)
      return refuse('InvalidInput', `${intent.zone} already runs a replica; rebalance into a zone that has none.`);
    zone = intent.zone;
  } else {
    const free = start.regionZones.filter((z) => (counts.get(z) ?? 0) === 0);
    const reachable = free.find((z) => !down.has(z));
    if (reachable === undefined) {
      return free.length > 0
        ? refuse(
            'ZoneUnavailable',
            `${listOf(free)} ${free.length === 1 ? 'is' : 'are'} still unreachable; rebalance when ${free.length === 1 ? 'it is' : 'one is'} back.`,
          )
        : refuse(
            'InvalidInput',
            `Every zone of ${start.region} already runs a replica, so no replica can move to a free zone.`,
          );
    }
    zone = reachable;
  }
  let victim: LayoutReplica | null;
  if (intent.name !== undefined) {
    victim = start.replicas.find((r) => r.name === intent.name) ?? null;
    if (!victim) return refuse('NotFound', `${intent.name} is not a replica of ${ctx.masterName}.`);
    if ((counts.get(victim.zone) ?? 0) < 2)
      return refuse(
        'InvalidInput',
        `${victim.name} is alone in ${victim.zone}; rebalance removes one of the replicas that share a zone.`,
      );
  } else {
    const from = crowded[0]?.[0] ?? '';
    victim = pickForRemoval(
      start.replicas.filter((r) => r.zone === from),
      ctx.leader,
    );
  }
  if (!victim) return refuse('NotFound', `No replica to move.`);
  ctx.prefix = '1.';
  const added = planAdds(ctx, start, intent, [zone]);
  if (!added.ok) return added;
  const mid = added.plan.steps.at(-1)?.layoutAfter ?? start;
  const bad = removalRefusal(mid, victim);
  if (bad) return bad;
  ctx.prefix = '2.';
  const end = appendRemove(ctx, mid, victim, intent.name === undefined);
  const after = toleranceOf(end);
  return {
    ok: true,
    plan: {
      intent,
      summary: `Rebalance: add a replica in ${zone}, then remove ${victim.name} from ${victim.zone}`,
      steps: ctx.steps,
      before: toleranceOf(start),
      after,
      warnings: evenWarning(after),
      kubeUpCommand: `${addCommand(ctx, zone)} && ${removeCommand(ctx, victim.zone, victim.name)}`,
    },
  };
}

// --- Scale -----------------------------------------------------------------------------------------------------

/** Zone to remove from: the most replicas, ties to a zone with an unhealthy replica, then one without the leader, then by name. */
function zoneForRemoval(layout: Layout, leader: string | null): string | null {
  const byZone = new Map<string, LayoutReplica[]>();
  for (const r of layout.replicas) byZone.set(r.zone, [...(byZone.get(r.zone) ?? []), r]);
  const key = (zone: string, rs: LayoutReplica[]) => ({
    zone,
    n: rs.length,
    unhealthy: rs.some((r) => !r.healthy),
    leader: rs.some((r) => r.name === leader),
  });
  const zones = [...byZone.entries()].map(([z, rs]) => key(z, rs));
  zones.sort(
    (x, y) =>
      y.n - x.n ||
      Number(y.unhealthy) - Number(x.unhealthy) ||
      Number(x.leader) - Number(y.leader) ||
      (x.zone < y.zone ? -1 : x.zone > y.zone ? 1 : 0),
  );
  return zones[0]?.zone ?? null;
}

function planScale(ctx: Ctx, start: Layout, intent: ScaleIntent): Draft {
  const current = start.replicas.length;
  const target = intent.replicas;
  if (!Number.isInteger(target) || target < MIN_REPLICAS || target > MAX_REPLICAS) {
    return refuse(
      'InvalidInput',
      `A cluster runs ${MIN_REPLICAS} to ${MAX_REPLICAS} replicas; ${target} is outside that range.`,
    );
  }
  if (target === current) return refuse('InvalidInput', `The cluster already runs ${plural(current, 'replica')}.`);
  const delta = Math.abs(target - current);
  if (intent.zones !== undefined && intent.zones.length !== delta) {
    return refuse(
      'InvalidInput',
      `Scaling from ${current} to ${target} ${target > current ? 'adds' : 'removes'} ${plural(delta, 'replica')}, so give ${delta} zone${delta === 1 ? '' : 's'}, not ${intent.zones.length}.`,
    );
  }
  if (target === 2) return twoReplicaRefusal(current, target);
  // The target counts replicas; a learner left by an unfinished add would make it miscount voters.
  const learner = learnerRefusal(start);
  if (learner) return learner;

  if (target > current) {
    const zones: string[] = [];
    if (intent.zones) zones.push(...intent.zones);
    else {
      // Pick each zone on the layout as it will be after the adds before it.
      let sim = start;
      for (let i = 0; i < delta; i += 1) {
        const zone = zoneForAdd(sim, unreachableZones(ctx));
        if (zone === null) return refuse('InvalidInput', `The region ${start.region} has no zones to add replicas in.`);
        zones.push(zone);
        sim = { ...sim, replicas: [...sim.replicas, { name: `+${i}`, zone, role: 'voter', healthy: true }] };
      }
    }
    return planAdds(ctx, start, intent, zones);
  }

  // Removals, one at a time, each checked against the layout the ones before it leave.
  let layout = start;
  const commands: string[] = [];
  const removed: LayoutReplica[] = [];
  for (let i = 0; i < delta; i += 1) {
    const zone = intent.zones?.[i] ?? zoneForRemoval(layout, ctx.leader);
    const inZone = zone === null ? [] : layout.replicas.filter((r) => r.zone === zone);
    const victim = pickForRemoval(inZone, ctx.leader);
    if (zone === null || !victim)
      return refuse(
        'NotFound',
        `No replica ${removed.length > 0 ? 'is left ' : 'runs '}in ${zone ?? start.region} to remove.`,
      );
    const bad = removalRefusal(layout, victim);
    if (bad) return bad;
    ctx.prefix = `${i + 1}.`;
    layout = appendRemove(ctx, layout, victim, true);
    removed.push(victim);
    commands.push(removeCommand(ctx, victim.zone, victim.name));
  }
  const before = toleranceOf(start);
  const after = toleranceOf(layout);
  return {
    ok: true,
    plan: {
      intent,
      summary: `Scale from ${current} to ${plural(target, 'replica')}: remove ${listOf(removed.map((r) => `${r.name} (${r.zone})`))}`,
      steps: ctx.steps,
      before,
      after,
      warnings: evenWarning(after),
      kubeUpCommand: commands.join(' && '),
    },
  };
}

// --- Create ----------------------------------------------------------------------------------------------------

const GCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const MAX_MASTER_NAME_LENGTH = 63 - '-https'.length;
const GCE_ZONE = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;

/**
 * The steps that start an HA-compatible cluster with one master. No topology exists yet; `regionZones`, when
 * known (from the Zones API), lets the zone be checked against its region.
 */
export function planCreateCluster(input: {
  intent: CreateClusterIntent;
  operationInProgress?: boolean;
  regionZones?: string[];
  /** Named in the kube-up command when given. */
  project?: string;
}): PlanResult {
  const { intent } = input;
  const { masterName, zone } = intent;
  if (input.operationInProgress)
    return refuse('OperationInProgress', `Another operation is running on ${masterName}; wait for it to finish first.`);
  // The longest name derived from it, the firewall rule `<master>-https`, must still be a GCE name (63).
  if (!GCE_NAME.test(masterName) || masterName.length > MAX_MASTER_NAME_LENGTH) {
    return refuse(
      'InvalidInput',
      `${masterName} is not a usable master name: lower-case letters, digits and dashes, starting with a letter, at most ${MAX_MASTER_NAME_LENGTH} characters.`,
    );
  }
  // kube-up names the master `${KUBE_GCE_INSTANCE_PREFIX}-master`, and its replicas and firewall rules after it.
  if (!masterName.endsWith('-master') || masterName === '-master') {
    return refuse(
      'InvalidInput',
      `${masterName} is not a name kube-up gives a master: it always names it <prefix>-master (KUBE_GCE_INSTANCE_PREFIX, "kubernetes" by default), so the cluster could not be run with kube-up's scripts. Use a name ending in -master, like ${masterName.replace(/-+$/, '')}-master.`,
    );
  }
  if (!GCE_ZONE.test(zone))
    return refuse('InvalidInput', `${zone} is not a Compute Engine zone name (like europe-west1-b).`);
  const region = regionOfZone(zone);
  const regionZones = [...(input.regionZones ?? [zone])].sort();
  if (!regionZones.includes(zone)) {
    return refuse('ZoneOutsideRegion', `${zone} is not a zone of ${region}; pick one of ${listOf(regionZones)}.`);
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
    steps,
    before: toleranceOf(empty),
    after: toleranceOf(layout),
    warnings: [],
    kubeUpCommand: command,
    calls: listPlanCalls(steps, emptyDryRunWorld(input.project ?? '(project)', region), masterName),
  };
  return { ok: true, plan: withRunFacts(plan, [], DEFAULT_LB_PROPAGATION_SECONDS.gce) };
}
