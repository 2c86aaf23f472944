// What pages show: a cluster's observed topology with its assessment, and the fleet's one-line summaries.
// Pure and free of secrets: these objects are serialised to the browser.
import { compareSeverity, type Assessment, type Finding, type Severity } from './assessment';
import type { DomainErrorCode } from './errors';
import type { FailureSince } from './failure';
import type { HeldProbe } from './silence';
import type { Tolerance } from './layout';
import { planOperation, type PlanParams, type PlanWarning } from './planner';
import {
  holderReplica,
  leaseExpiresAt,
  type ClusterRef,
  type EtcdMemberStatus,
  type LeaderElectedComponent,
  type Topology,
} from './topology';

export type ClusterView = {
  id: string;
  topology: Topology;
  assessment: Assessment;
  /** Since when each failure of assessment.diagnosis has been seen (kept by the server across observations). */
  failureSince: FailureSince;
  /**
   * Probes that timed out in this observation for the first time in a row, whose previous answers stand in for them
   * (lib/core/silence.ts): silence changes what the page says only when it happens twice in a row.
   */
  heldOver?: HeldProbe[];
};

export type ClusterSummary = {
  id: string;
  cluster: ClusterRef;
  observedAt: string;
  healthyReplicas: number;
  /** Replicas that did not answer in time (health unknown): not counted healthy, not failed either. */
  unknownReplicas: number;
  totalReplicas: number;
  zones: number;
  canLoseReplicas: number;
  canLoseZones: number;
  worstFinding: Finding | null;
};

export type FleetEntry =
  { ok: true; summary: ClusterSummary } | { ok: false; id: string; cluster: ClusterRef; error: string };

export type FleetView = {
  observedAt: string;
  clusters: FleetEntry[];
  /** Zones Compute Engine could not answer for at discovery: masters there are missing from `clusters`. */
  unreachableZones?: Array<{ project: string; zone: string }>;
};

export function summarizeCluster(view: ClusterView): ClusterSummary {
  const { topology: t, assessment: a } = view;
  return {
    id: view.id,
    cluster: t.cluster,
    observedAt: t.observedAt,
    healthyReplicas: a.healthyReplicas,
    unknownReplicas: a.unknownReplicas,
    totalReplicas: a.totalReplicas,
    zones: new Set(t.replicas.map((r) => r.zone)).size,
    canLoseReplicas: a.canLoseReplicas,
    canLoseZones: a.canLoseZones,
    worstFinding: a.findings[0] ?? null,
  };
}

/** The worst severity among a cluster's findings (they come worst first), null when it has none. */
export function worstSeverityOf(view: ClusterView): Severity | null {
  return view.assessment.findings[0]?.severity ?? null;
}

/**
 * The worst severity over a fleet: its clusters' worst findings, and a cluster Quorum could not read counts as
 * a warning (its state is not known). Null when every cluster is fine.
 */
export function fleetWorstSeverity(fleet: FleetView): Severity | null {
  const all = fleet.clusters.flatMap((e): Severity[] =>
    e.ok ? (e.summary.worstFinding ? [e.summary.worstFinding.severity] : []) : ['warning'],
  );
  return all.sort(compareSeverity)[0] ?? null;
}

const TITLE_PREFIX = /^\[(critical|warning)\] /;

/**
 * The browser tab's title with the worst state in front, so a background tab says when something is wrong:
 * `[critical] prod-master · Quorum`, `[warning] …`; unchanged when the worst is info or nothing. Idempotent.
 */
export function healthTitle(title: string, worst: Severity | null): string {
  const base = title.replace(TITLE_PREFIX, '');
  return worst === 'critical' || worst === 'warning' ? `[${worst}] ${base}` : base;
}

/**
 * Whether a live update should replace what the client holds: updates can arrive out of order (an SSE
 * reconnect racing a slow refetch), and an older observation must never overwrite a newer one.
 */
export function isNewerObservation(currentAt: string | undefined, incomingAt: string): boolean {
  if (currentAt === undefined) return true;
  return Date.parse(incomingAt) >= Date.parse(currentAt);
}

export type EtcdRole = 'leader' | 'follower' | 'learner' | 'unknown';

export function etcdRoleOf(status: EtcdMemberStatus): EtcdRole {
  if (!status.ok) return 'unknown';
  if (status.isLearner) return 'learner';
  return status.memberId === status.leaderId ? 'leader' : 'follower';
}

/** Components whose lease this replica holds and has renewed within its duration, as of the observation. */
export function leasesHeldBy(topology: Topology, replicaName: string): LeaderElectedComponent[] {
  const now = Date.parse(topology.observedAt);
  return (topology.leases ?? [])
    .filter((lease) => {
      if (!lease.holderIdentity || holderReplica(lease.holderIdentity) !== replicaName) return false;
      const expiresAt = leaseExpiresAt(lease);
      return expiresAt === null || expiresAt >= now;
    })
    .map((lease) => lease.component);
}

export type AddZoneChoice = {
  zone: string;
  replicas: string[];
  recommended: boolean;
  after: Tolerance | null;
  refusal: string | null;
  refusalCode: DomainErrorCode | null;
  /** The planner's words for `refusal` (Refusal.params), to say it in the reader's language. */
  refusalParams: PlanParams | null;
};

/**
 * Every zone of the region as a place for one more replica: what the cluster would survive after the add,
 * or why the planner refuses. The recommended zone maximises zone tolerance, then replica tolerance, then
 * prefers the emptiest zone. `operationInProgress`: another operation holds the cluster's lock.
 */
export function addZoneChoices(
  view: Omit<ClusterView, 'failureSince'>,
  opts: { operationInProgress?: boolean } = {},
): AddZoneChoice[] {
  const { topology, assessment } = view;
  const choices = topology.regionZones.map((zone): AddZoneChoice => {
    const replicas = topology.replicas.filter((r) => r.zone === zone).map((r) => r.name);
    const result = planOperation({
      topology,
      assessment,
      intent: { kind: 'add-replica', zone },
      operationInProgress: opts.operationInProgress ?? false,
    });
    return result.ok
      ? {
          zone,
          replicas,
          recommended: false,
          after: result.plan.after,
          refusal: null,
          refusalCode: null,
          refusalParams: null,
        }
      : {
          zone,
          replicas,
          recommended: false,
          after: null,
          refusal: result.refusal.message,
          refusalCode: result.refusal.code,
          refusalParams: result.refusal.params ?? null,
        };
  });
  const score = (c: AddZoneChoice) =>
    c.after ? c.after.canLoseZones * 100 + c.after.canLoseReplicas * 10 - c.replicas.length : -Infinity;
  const best = choices.reduce<AddZoneChoice | null>(
    (top, c) => (c.after && (!top || score(c) > score(top)) ? c : top),
    null,
  );
  return choices.map((c) => (c === best ? { ...c, recommended: true } : c));
}

export type OutsideZoneChoice = { zone: string; refusal: string; refusalParams: PlanParams | null };

/**
 * Zones of other regions, listed so the operator sees why they are not offered: each with the planner's
 * refusal of an add there (a replica must stay in the cluster's region).
 */
export function outsideZoneChoices(
  view: Omit<ClusterView, 'failureSince'>,
  zones: readonly string[],
): OutsideZoneChoice[] {
  const { topology, assessment } = view;
  return zones
    .filter((zone) => !topology.regionZones.includes(zone))
    .flatMap((zone) => {
      const result = planOperation({
        topology,
        assessment,
        intent: { kind: 'add-replica', zone },
        operationInProgress: false,
      });
      return !result.ok && result.refusal.code === 'ZoneOutsideRegion'
        ? [{ zone, refusal: result.refusal.message, refusalParams: result.refusal.params ?? null }]
        : [];
    });
}

export type ReplacementZoneChoice = AddZoneChoice & { warning: PlanWarning | null };

/**
 * Every zone of the region as a place for the replacement of `replica`: what the cluster survives after the
 * replacement there, the planner's tolerance warning, or why it refuses. Recommended is the zone the planner picks
 * by itself (the replica's own zone, or the best reachable one when that zone is down).
 */
export function replacementZoneChoices(
  view: Omit<ClusterView, 'failureSince'>,
  replica: string,
  opts: { operationInProgress?: boolean } = {},
): ReplacementZoneChoice[] {
  const { topology, assessment } = view;
  const plan = (zone?: string) =>
    planOperation({
      topology,
      assessment,
      intent: { kind: 'replace-replica', name: replica, ...(zone ? { zone } : {}) },
      operationInProgress: opts.operationInProgress ?? false,
    });
  const byDefault = plan();
  const defaultZone = byDefault.ok
    ? (byDefault.plan.steps.find((s) => s.kind === 'add-learner')?.params.zone ?? null)
    : null;
  return topology.regionZones.map((zone): ReplacementZoneChoice => {
    const replicas = topology.replicas.filter((r) => r.zone === zone && r.name !== replica).map((r) => r.name);
    const result = plan(zone);
    if (!result.ok)
      return {
        zone,
        replicas,
        recommended: false,
        after: null,
        refusal: result.refusal.message,
        refusalCode: result.refusal.code,
        refusalParams: result.refusal.params ?? null,
        warning: null,
      };
    const warning = result.plan.warnings.find((w) => w.code === 'ZoneToleranceReduced') ?? null;
    return {
      zone,
      replicas,
      recommended: zone === defaultZone,
      after: result.plan.after,
      refusal: null,
      refusalCode: null,
      refusalParams: null,
      warning,
    };
  });
}
