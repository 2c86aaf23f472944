// What an intent planner works with (intents/<kind>.ts): the plan being built (Ctx), what it returns before the run
// facts are added (Draft), and the pieces more than one intent uses: steps and the backup gate, the steps of one add
// and of one removal, kube-up commands, warnings and the refusals several intents share. Imports planner.ts for types
// only, so that planner.ts and the intents can both import this module without a runtime cycle.
import { describeReplicaHealth, type Assessment } from '../assessment';
import { partParams } from '../findings/params';
import type { DomainErrorCode } from '../errors';
import { LEARNER_MIN_VERSION, lowestEtcdVersion, supportsLearners } from '../etcd-version';
import { listOf } from '../format';
import { replicasPerZone, toleranceOf, votersOf, type Layout, type LayoutReplica, type Tolerance } from '../layout';
import type {
  ClusterIntent,
  Intent,
  Plan,
  PlanParams,
  PlanResult,
  PlanStep,
  PlanWarning,
  Refusal,
  StepKind,
  StepParams,
} from '../planner';
import { faultTolerance, quorumOf } from '../quorum';
import { regionOfZone, type Topology } from '../topology';

// --- Context ------------------------------------------------------------------------------------------------

/** A plan before its dry run and run facts are added (what an intent planner returns); planner.ts adds them. */
export type Draft =
  { ok: true; plan: Omit<Plan, 'calls' | 'newNames' | 'fingerprint' | 'etaSeconds'> } | { ok: false; refusal: Refusal };

/** The plan being built: what planOperation knows of the cluster, and the steps and names used so far. */
export type Ctx = {
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

export type ClusterIntentKind = ClusterIntent['kind'];

/**
 * Plans one kind of intent on an existing cluster, after planOperation has checked what every intent shares (the
 * operation lock, the new names, a partition). Appends its steps to ctx.steps; the first refusal that applies wins.
 */
export type IntentPlanner<K extends ClusterIntentKind> = {
  kind: K;
  plan(ctx: Ctx, layout: Layout, intent: Extract<ClusterIntent, { kind: K }>): Draft;
};

/** A fresh context for planning one intent on topology `t`. */
export function planContextOf(
  t: Topology,
  a: Assessment,
  opts: { newNames?: string[]; backupGateOverride?: { reason: string } } = {},
): Ctx {
  return {
    t,
    a,
    masterName: t.cluster.masterName,
    leader: leaderOf(t, a),
    newNames: opts.newNames ?? [],
    namesUsed: 0,
    steps: [],
    prefix: '',
    gateOverride: opts.backupGateOverride?.reason.trim() || null,
  };
}

function leaderOf(t: Topology, a: Assessment): string | null {
  const id = a.etcd.main.leaderId;
  if (id === null) return null;
  const r = t.replicas.find((x) => x.etcd.main.ok && x.etcd.main.memberId === id);
  return r?.name ?? null;
}

/** A refusal; `params` word it in the reader's language (messages/<locale>/plans.json `refusals.<code>`). */
export const refuse = (
  code: DomainErrorCode,
  message: string,
  params?: PlanParams,
): { ok: false; refusal: Refusal } => ({
  ok: false,
  refusal: params ? { code, message, params } : { code, message },
});

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

export function pushStep(
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

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** kube-up names the master `<KUBE_GCE_INSTANCE_PREFIX>-master`; without the prefix it would act on `kubernetes-master`. */
export function clusterEnv(masterName: string, project: string | null): string {
  const parts: string[] = [];
  if (project !== null) parts.push(`PROJECT=${project}`);
  const prefix = masterName.endsWith('-master') ? masterName.slice(0, -'-master'.length) : null;
  if (prefix !== null && prefix !== 'kubernetes') parts.push(`KUBE_GCE_INSTANCE_PREFIX=${prefix}`);
  return parts.map((p) => `${p} `).join('');
}

export function addCommand(ctx: Ctx, zone: string): string {
  return `${clusterEnv(ctx.masterName, ctx.t.cluster.project)}KUBE_GCE_ZONE=${zone} KUBE_REPLICATE_EXISTING_MASTER=true ./cluster/kube-up.sh`;
}

export function removeCommand(ctx: Ctx, zone: string, name: string): string {
  return `${clusterEnv(ctx.masterName, ctx.t.cluster.project)}KUBE_DELETE_NODES=false KUBE_GCE_ZONE=${zone} KUBE_REPLICA_NAME=${name} ./cluster/kube-down.sh`;
}

export function evenWarning(tol: Tolerance): PlanWarning[] {
  const v = tol.voters;
  if (v < 2 || v % 2 !== 0) return [];
  return [
    {
      code: 'EvenReplicaCount',
      message: `The cluster ends with ${v} etcd voters, which tolerate ${plural(faultTolerance(v), 'failure')} like ${v - 1} would, while every write needs ${quorumOf(v)} members instead of ${quorumOf(v - 1)}.`,
      params: {
        voters: v,
        tolerated: faultTolerance(v),
        fewer: v - 1,
        quorum: quorumOf(v),
        fewerQuorum: quorumOf(v - 1),
      },
    },
  ];
}

/** Why Quorum cannot get into replica `name` (SSH), or null when it can (or the replica is not RUNNING). */
export function noAccessOf(ctx: Ctx, name: string): string | null {
  const replica = ctx.t.replicas.find((r) => r.name === name);
  if (!replica) return null;
  // Silent on port 22 in a zone that something beyond Quorum's own probes says is down: a zone outage, not access.
  if (ctx.a.diagnosis.zonesUnreachable.some((o) => o.replicas.includes(name))) return null;
  return describeReplicaHealth(replica).noAccess?.reason ?? null;
}

/** `removed`: a replica the plan has already taken out, whose own state no longer counts. */
export function unhealthyVoterRefusal(
  ctx: Ctx,
  layout: Layout,
  removed: LayoutReplica | null = null,
): PlanResult | null {
  const down = votersOf(layout).filter((r) => !r.healthy);
  const blocked = down.filter((r) => noAccessOf(ctx, r.name) !== null);
  if (blocked.length > 0) {
    const items = blocked.map((r) => ({ name: r.name, reason: noAccessOf(ctx, r.name) ?? '' }));
    const names = listOf(items.map((r) => `${r.name} (${r.reason})`));
    return refuse(
      'NoAccess',
      `Quorum cannot get into ${names} over SSH, so it cannot tell whether ${blocked.length === 1 ? 'that voter is' : 'those voters are'} up, and etcd refuses a new member while a voter is down: fix Quorum's access first (see the cluster's findings).`,
      { variant: 'voters', count: blocked.length, ...partParams('blocked', items) },
    );
  }
  if (down.length > 0) {
    // What is wrong with each, in words and as data: its causes are a part of its item (`down.<i>.reasons.<j>.<field>`),
    // worded like the findings' reasons.
    const details = down.map((r) => {
      const replica = ctx.t.replicas.find((x) => x.name === r.name);
      const { reasons, causes } = replica ? describeReplicaHealth(replica) : { reasons: [], causes: [] };
      return { name: r.name, reasons, causes };
    });
    const names = listOf(details.map((d) => (d.reasons.length > 0 ? `${d.name} (${d.reasons.join(', ')})` : d.name)));
    const params: Record<string, PlanParams[string]> = {
      variant: 'down',
      count: down.length,
      ...partParams(
        'down',
        details.map((d) => ({ name: d.name, hasReasons: d.causes.length > 0 })),
      ),
    };
    details.forEach((d, i) => Object.assign(params, partParams(`down.${i}.reasons`, d.causes)));
    return refuse(
      'VoterUnhealthy',
      `${names} ${down.length === 1 ? 'is' : 'are'} not healthy, and etcd refuses a new member while a voter is down: recover or remove ${down.length === 1 ? 'it' : 'them'} first.`,
      params,
    );
  }
  // Members no VM runs are voters too, and etcd counts them as down.
  if (layout.strayVoters > 0) {
    const n = layout.strayVoters;
    return refuse(
      'VoterUnhealthy',
      `etcd has ${plural(n, 'voting member')} with no replica behind ${n === 1 ? 'it' : 'them'}, which etcd counts as down and so refuses a new member: remove the stray member${n === 1 ? '' : 's'} first.`,
      { variant: 'stray', count: n },
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
        { variant: 'silent', count: down, cluster },
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
    {
      cluster: ctx.masterName,
      version: v.text,
      minVersion: `${LEARNER_MIN_VERSION.major}.${LEARNER_MIN_VERSION.minor}`,
    },
  );
}

export function learnerRefusal(layout: Layout): PlanResult | null {
  const learner = layout.replicas.find((r) => r.role === 'learner');
  if (!learner) return null;
  return refuse(
    'OperationInProgress',
    `${learner.name} is still an etcd learner from an unfinished add; etcd takes one learner at a time, so finish that add or remove ${learner.name} first.`,
    { variant: 'learner', learner: learner.name },
  );
}

export function outsideRegion(layout: Layout, zone: string): PlanResult | null {
  if (layout.regionZones.includes(zone)) return null;
  const other = regionOfZone(zone);
  return refuse(
    'ZoneOutsideRegion',
    `${zone} is ${other === layout.region ? 'not a zone of' : `in ${other}, outside`} the cluster's region ${layout.region}; pick one of ${listOf(layout.regionZones)}.`,
    {
      variant: other === layout.region ? 'notInRegion' : 'otherRegion',
      zone,
      zoneRegion: other,
      region: layout.region,
      zones: layout.regionZones,
    },
  );
}

/** Zones the diagnosis found unreachable (every replica there silent, and a second witness): nothing can be placed there. */
export function unreachableZones(ctx: Ctx): Set<string> {
  return new Set((ctx.a.diagnosis?.zonesUnreachable ?? []).map((o) => o.zone));
}

export function unavailableZone(ctx: Ctx, zone: string): PlanResult | null {
  if (!unreachableZones(ctx).has(zone)) return null;
  return refuse(
    'ZoneUnavailable',
    `${zone} is unreachable now (a zone outage), so no new replica can be created there; pick another zone, or wait until it is back.`,
    { variant: 'zone', zone },
  );
}

export function twoReplicaRefusal(current: number, target: number): PlanResult {
  const offer =
    current < target
      ? 'Scale from 1 to 3 replicas instead: one plan that adds two replicas, with two voters only between the two adds.'
      : 'Scale from 3 to 1 replica instead, or keep three: two replicas are less available than one, because consensus needs both.';
  return refuse(
    'TwoReplicaLayout',
    `This would leave the cluster with two replicas, and consensus needs both of them. ${offer}`,
    { variant: current < target ? 'scaleUp' : 'scaleDown' },
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

/**
 * The adds of an add-replica, a scale-up or a rebalance's first half: every check on `start` first, then one add after
 * the other, each in its zone (step ids prefixed '1.', '2.'... when there are several).
 */
export function planAdds(ctx: Ctx, start: Layout, intent: Intent, zones: string[]): Draft {
  for (const zone of zones) {
    const bad = outsideRegion(start, zone) ?? unavailableZone(ctx, zone);
    if (bad) return bad;
  }
  if (start.replicas.length === 0)
    return refuse(
      'NotFound',
      `${ctx.masterName} has no replica to copy the configuration from; create the cluster instead.`,
      { variant: 'noReplica', cluster: ctx.masterName },
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
  const summaryParams: PlanParams =
    intent.kind === 'add-replica'
      ? { zone: zones[0] ?? '' }
      : { direction: 'up', current: start.replicas.length, target, zones };
  return {
    ok: true,
    plan: {
      intent,
      summary,
      summaryParams,
      steps: ctx.steps,
      before,
      after,
      warnings,
      kubeUpCommand: commands.join(' && '),
    },
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
    params: { zone, replicas: here, freeZones: free, freeZoneCount: free.length },
  };
}

/** Appends the steps of one add to ctx.steps and returns the layout at its end. */
export function appendAdd(ctx: Ctx, start: Layout, zone: string): Layout {
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

export function withReplica(layout: Layout, name: string, patch: Partial<LayoutReplica>): Layout {
  return { ...layout, replicas: layout.replicas.map((r) => (r.name === name ? { ...r, ...patch } : r)) };
}

// --- Remove ----------------------------------------------------------------------------------------------------

/** Which replica of `candidates` goes first: an unhealthy one, then one that does not lead etcd main, then by name. */
export function pickForRemoval(candidates: readonly LayoutReplica[], leader: string | null): LayoutReplica | null {
  const rank = (r: LayoutReplica) => (r.healthy ? 2 : 0) + (r.name === leader ? 1 : 0);
  return (
    [...candidates].sort((x, y) => rank(x) - rank(y) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))[0] ?? null
  );
}

export function removalRefusal(layout: Layout, victim: LayoutReplica): PlanResult | null {
  if (layout.replicas.length <= 1) {
    return refuse(
      'LastReplica',
      `${victim.name} is the cluster's only replica; removing it would delete the control plane (delete the cluster with kube-down instead).`,
      { name: victim.name },
    );
  }
  const now = toleranceOf(layout);
  if (!now.hasQuorum) {
    return refuse(
      'QuorumAtRisk',
      `etcd has lost quorum (${now.healthyVoters} of ${now.voters} voters healthy, ${now.quorum} needed), so it accepts no membership change; recover the failed replicas first.`,
      { variant: 'lost', healthy: now.healthyVoters, voters: now.voters, quorum: now.quorum },
    );
  }
  const after = toleranceOf({ ...layout, replicas: layout.replicas.filter((r) => r.name !== victim.name) });
  if (!after.hasQuorum) {
    return refuse(
      'QuorumAtRisk',
      `Removing ${victim.name} would leave ${after.healthyVoters} healthy of ${after.voters} voters, fewer than the ${after.quorum} quorum needs, and stop the control plane; recover the unhealthy replicas first.`,
      {
        variant: 'removal',
        name: victim.name,
        healthy: after.healthyVoters,
        voters: after.voters,
        quorum: after.quorum,
      },
    );
  }
  return null;
}

/** Appends the steps of one removal to ctx.steps and returns the layout at its end. */
export function appendRemove(ctx: Ctx, start: Layout, victim: LayoutReplica, picked: boolean): Layout {
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
    { ...p, leadsNow: victim.name === ctx.leader, healthy: victim.healthy },
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
