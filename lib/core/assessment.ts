// Assessment: what a Topology means for availability. Pure: derived from the Topology alone.
import type { EtcdClusterName, Topology } from './topology';
import {
  describePrimaryFailure,
  diagnoseCluster,
  FAILURE_LABELS,
  type ClusterDiagnosis,
  type FailureClass,
} from './failure';
import {
  cutPairs,
  cutZonePairs,
  MAX_GRAPH_MEMBERS,
  membersHoldingQuorum,
  membersThatCanBeLost,
  possibleLeaders,
  zoneLossKeepsLeader,
  zonesThatCanBeLostGiven,
  type GraphMember,
  type PeerGraph,
} from './connectivity';
import { formatAge, listOf, pluralize } from './format';
import { hostKeyChangeOf, isNoAccessError, isTimeoutError, parseNoAccess, type NoAccessKind } from './probe-errors';
import {
  hasQuorum,
  quorumOf,
  remainingFailures,
  zoneLossKeepsQuorum,
  zonesThatCanBeLost,
  type ZoneLayout,
} from './quorum';
import {
  ETCD_CLUSTERS,
  LEADER_ELECTED_COMPONENTS,
  holderReplica,
  leaseExpiresAt,
  regionOfZone,
  type EtcdMember,
  type LeaderElectedComponent,
  type Replica,
} from './topology';

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FINDING_CODES = [
  'QuorumLost',
  'TwoReplicaLayout',
  'EvenReplicaCount',
  'ZoneShared',
  'ZoneHoldsQuorum',
  'ZoneOutsideRegion',
  'MemberWithoutVm',
  'VmWithoutMember',
  'LearnerPresent',
  'MembershipMismatch',
  'NoLoadBalancer',
  'StaticIpNotOnLoadBalancer',
  'QuorumReadsOff',
  'LeaseWithoutHolder',
  'ReplicaUnhealthy',
  'EtcdUnreachable',
  'ZoneUnreachable',
  'MemberLagging',
  'NoAccess',
  'ZonePartition',
  'PeersCut',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export type Finding = {
  code: FindingCode;
  severity: Severity;
  /** What the finding is about: a replica, zone, member or component name; null for the whole cluster. */
  subject: string | null;
  /** One sentence: what is wrong and why it matters. */
  message: string;
  /** What to do about it. */
  fix: string;
  /** For findings about a failed replica or zone: the failure class (failure.ts). */
  failure?: FailureClass;
  /** The guided fix the page offers with the finding: the recovery wizard for a replica, or a rebalance. */
  action?: FindingAction;
  /** NoAccess for a changed host key: what an admin may trust (the page offers it to admins only). */
  hostKey?: HostKeyChange;
};

/** A replica whose SSH host key is not the pinned one, with both fingerprints as `ssh-keygen -l` prints them. */
export type HostKeyChange = { replica: string; zone: string; pinnedFingerprint: string; presentedFingerprint: string };

export type FindingAction = { kind: 'recover'; replica: string } | { kind: 'rebalance'; zone: string };

export type ReplicaHealth = 'healthy' | 'unhealthy' | 'unknown';

export type EtcdQuorum = {
  voters: number;
  healthyVoters: number;
  /** Voters whose replica runs but did not answer in time, or Quorum could not get into: maybe fine, not counted. */
  unknownVoters: number;
  learners: number;
  /** floor(voters/2)+1 */
  quorum: number;
  /** Enough healthy voters to make a quorum, as far as Quorum can tell: what changes are planned on (never on silence). */
  hasQuorum: boolean;
  /**
   * Lost for sure, from etcd's own answers: not even the voters that did not answer in time could make a quorum (or
   * there is no voter). Silence alone never makes it true: the page says "Quorum lost" only on this.
   */
  quorumLost: boolean;
  leaderId: string | null;
};

export type ZoneAssessment = {
  zone: string;
  replicas: string[];
  /** Healthy voters (main) in this zone. */
  healthyVoters: number;
  /** Whether losing this zone now (on top of what is already down) keeps quorum in both etcd clusters. */
  lossKeepsQuorum: boolean;
};

/** What one replica's etcd reports about its peers, by name. */
export type MemberPeerView = {
  replica: string;
  zone: string;
  /** The leader its status reports, by replica name (the member's label when no replica backs it); null when it knows none. */
  leader: string | null;
  raftTerm: number;
  /** etcd_server_has_leader; null when the metric was missing. */
  hasLeader: boolean | null;
  /** The other members (voters and learners) it has an active peer link to, by name. */
  sees: string[];
  /** Every other member of the cluster, by name. */
  peers: string[];
};

/** An etcd cluster's links as its members report them (connectivity.ts); null in the Assessment when no member reported. */
export type EtcdConnectivity = {
  /** Per replica whose etcd answered and reported its peers, in replica order. */
  views: MemberPeerView[];
  /** Healthy voters (by name, each pair sorted) that do not reach each other although both answer Quorum. */
  cutPairs: Array<[string, string]>;
  /** Zones (each pair sorted) between which no healthy voter reaches another. */
  cutZones: Array<[string, string]>;
  /** Healthy voters that reach a quorum of the voters directly now: the leader is one of them. */
  possibleLeaders: string[];
  /** Healthy voters whose loss alone would leave no member reaching a quorum: the cluster holds through them. */
  holdingQuorum: string[];
};

export type Assessment = {
  etcd: Record<EtcdClusterName, EtcdQuorum>;
  /** Per etcd cluster, what its members report about their links; null where none reported (then the tolerance is counted). */
  connectivity: Record<EtcdClusterName, EtcdConnectivity | null>;
  replicaHealth: Record<string, ReplicaHealth>;
  healthyReplicas: number;
  /** Replicas whose health is unknown (a probe timed out, no access): neither counted healthy nor failed. */
  unknownReplicas: number;
  totalReplicas: number;
  /** How many more replicas can fail now (any ones) with quorum kept in both etcd clusters; 0 when quorum is already lost. */
  canLoseReplicas: number;
  /** How many more whole zones can fail now (any ones, worst case) with quorum kept. */
  canLoseZones: number;
  zones: ZoneAssessment[];
  /** Worst first (critical, warning, info), stable within a severity. */
  findings: Finding[];
  /** What exactly failed, per replica and zone, with the evidence. */
  diagnosis: ClusterDiagnosis;
};

// ---------------------------------------------------------------------------------------------------------------
// Rules. assessTopology derives everything from the Topology alone, plus `now` for lease expiry.
//
// Replica health
//   healthy    VM RUNNING, etcd main and events answered status, API server answered ready.
//   unhealthy  VM not RUNNING (stopped, booting, repairing...), or a probe answered negatively: an error that
//              is not a time-out (connection refused, TLS failure...) or an API server that says not ready.
//   unknown    VM RUNNING and nothing answered negatively, but at least one probe timed out: the replica may be
//              fine and Quorum's path to it slow or cut, so it is neither called healthy nor unhealthy.
//   The tolerance numbers never count an unknown member as healthy: they are a floor, not a guess.
//
// etcd, per cluster (main, events)
//   Members are bound to replicas: first a replica whose member answered is bound by the member id it reports
//   (so a replica running some other etcd is never taken for the listed member); then, for replicas that did
//   not answer, by member name `etcd-<instance>`; then by a peer URL host equal to the replica's internal IP or
//   its instance name (kube-up writes `https://<instance>:2380`; the sandbox uses the IP).
//   Voters are the non-learner members; with no member list, the replicas that did not report being learners.
//   A healthy voter is a voter whose bound replica is RUNNING and answered status as a voter. leaderId is the leader most
//   answering members report (ties: the highest raft term, then the smaller id).
//   canLoseReplicas and canLoseZones are the minimum over both clusters; the zone figure is the worst case
//   (the zones with the most healthy voters go first). Where members reported their peer links (Replica.etcdPeers),
//   both figures come from the links instead (connectivity.ts): losses after which no member reaches a quorum
//   of voters directly. Without any report they are the counting figures.
// ---------------------------------------------------------------------------------------------------------------

// --- Time-outs: the convention shared with the adapters (probe-errors.ts) ----------------------------------------

export { TIMEOUT_ERROR_PREFIX, isTimeoutError, timeoutError } from './probe-errors';

// --- Replica health --------------------------------------------------------------------------------------------

export type ReplicaHealthDetail = {
  health: ReplicaHealth;
  /** Short phrases for what is not fine, e.g. 'VM is STOPPED', 'etcd main did not answer in time'. */
  reasons: string[];
  /** The probes that timed out, e.g. ['etcd main', 'API server']. */
  timedOut: string[];
  /**
   * Quorum could not get into the replica (SSH: its key, the host key, port 22): why, and what kind of
   * problem; null when it could. Such a replica is `unknown`, never unhealthy, unless a probe that did get
   * through answered negatively.
   */
  noAccess: { kind: NoAccessKind; reason: string } | null;
};

export function describeReplicaHealth(replica: Replica): ReplicaHealthDetail {
  if (replica.vmStatus !== 'RUNNING')
    return { health: 'unhealthy', reasons: [`VM is ${replica.vmStatus}`], timedOut: [], noAccess: null };
  const negative: string[] = [];
  const timedOut: string[] = [];
  let noAccess: ReplicaHealthDetail['noAccess'] = null;
  const blocked = (error: string) => {
    noAccess ??= parseNoAccess(error);
  };
  for (const cluster of ETCD_CLUSTERS) {
    const status = replica.etcd[cluster];
    if (status.ok) continue;
    if (isNoAccessError(status.error)) blocked(status.error);
    else if (isTimeoutError(status.error)) timedOut.push(`etcd ${cluster}`);
    else negative.push(`etcd ${cluster} is not answering`);
  }
  const api = replica.apiServer;
  if (api.ready === null) {
    if (isNoAccessError(api.error)) blocked(api.error);
    else if (isTimeoutError(api.error)) timedOut.push('API server');
    else negative.push('API server is not answering');
  } else if (!api.ready) {
    negative.push('API server is not ready');
  }
  const late = timedOut.map((probe) => `${probe} did not answer in time`);
  const access: string[] = noAccess === null ? [] : [`no access (${(noAccess as { reason: string }).reason})`];
  if (negative.length > 0)
    return { health: 'unhealthy', reasons: [...negative, ...late, ...access], timedOut, noAccess };
  if (timedOut.length > 0 || noAccess !== null)
    return { health: 'unknown', reasons: [...access, ...late], timedOut, noAccess };
  return { health: 'healthy', reasons: [], timedOut: [], noAccess: null };
}

export function replicaHealthOf(replica: Replica): ReplicaHealth {
  return describeReplicaHealth(replica).health;
}

// --- Members and replicas ----------------------------------------------------------------------------------------

/** The host part of a URL such as `https://10.0.0.2:2380` or `https://[::1]:2380`. */
function urlHost(url: string): string | null {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(\[[^\]]+\]|[^:/?#]+)/i.exec(url.trim());
  return match?.[1]?.replace(/^\[|\]$/g, '') ?? null;
}

/**
 * Binds each etcd member of `cluster` to the replica that runs it (rules at the top of this file).
 * Returns member id -> replica name; members no replica runs are absent. One replica backs at most one member.
 */
export function bindMembersToReplicas(
  members: readonly EtcdMember[],
  replicas: readonly Replica[],
  cluster: EtcdClusterName,
): Map<string, string> {
  const bound = new Map<string, string>();
  const taken = new Set<string>();
  const bind = (member: EtcdMember, replica: Replica) => {
    bound.set(member.id, replica.name);
    taken.add(replica.name);
  };
  const ids = new Set(members.map((m) => m.id));
  for (const replica of replicas) {
    const status = replica.etcd[cluster];
    if (!status.ok || !ids.has(status.memberId) || bound.has(status.memberId)) continue;
    const member = members.find((m) => m.id === status.memberId);
    if (member) bind(member, replica);
  }
  // A replica whose member answered is bound by the id it reported, or not at all.
  const silent = (r: Replica) => !taken.has(r.name) && !r.etcd[cluster].ok;
  for (const member of members) {
    if (bound.has(member.id) || member.name === '') continue;
    const replica = replicas.find((r) => silent(r) && `etcd-${r.name}` === member.name);
    if (replica) bind(member, replica);
  }
  for (const member of members) {
    if (bound.has(member.id)) continue;
    const hosts = member.peerUrls.map(urlHost).filter((h): h is string => h !== null);
    const replica = replicas.find(
      (r) => silent(r) && ((r.internalIp !== null && hosts.includes(r.internalIp)) || hosts.includes(r.name)),
    );
    if (replica) bind(member, replica);
  }
  return bound;
}

/** How a member is named in findings: its name, else its first peer host, else its id. */
function memberLabel(member: EtcdMember): string {
  if (member.name) return member.name;
  const host = member.peerUrls.map(urlHost).find((h): h is string => h !== null);
  return host ?? `member ${member.id}`;
}

type Seat = {
  /** Replica name when bound, else the member's label. */
  label: string;
  /** The member's id: from the member list, else the id its replica reported; null when neither is known. */
  memberId: string | null;
  replica: Replica | null;
  /** Answered status (as a voter, for voters). */
  answering: boolean;
  /** Did not answer in time while its VM runs: maybe alive. */
  timedOut: boolean;
};

type ClusterEval = {
  name: EtcdClusterName;
  quorum: EtcdQuorum;
  membersKnown: boolean;
  voters: Seat[];
  learners: Seat[];
  /** Only when the member list is known. */
  replicasWithoutMember: Replica[];
  /** Who is a member, by replica name (or member label when unbound); null when the list is unknown. */
  identities: Set<string> | null;
  /** Some member answered status. */
  answered: boolean;
};

function seatOf(
  label: string,
  replica: Replica | null,
  cluster: EtcdClusterName,
  asLearner: boolean,
  memberId: string | null = null,
): Seat {
  const status = replica?.etcd[cluster];
  // A VM on its way down (STOPPING) may still answer for a moment: it is not counted on.
  const answering =
    replica?.vmStatus === 'RUNNING' && status !== undefined && status.ok && status.isLearner === asLearner;
  // A member Quorum cannot get to (no SSH access) may well be up: like a time-out, it is not counted as lost.
  const timedOut =
    replica !== null &&
    replica.vmStatus === 'RUNNING' &&
    status !== undefined &&
    !status.ok &&
    (isTimeoutError(status.error) || isNoAccessError(status.error));
  const id = memberId ?? (status?.ok ? status.memberId : null);
  return { label, memberId: id, replica, answering, timedOut };
}

function evaluateCluster(t: Topology, cluster: EtcdClusterName): ClusterEval {
  const members = t.etcd[cluster].members;
  const byName = new Map(t.replicas.map((r) => [r.name, r]));
  let voters: Seat[];
  let learners: Seat[];
  let replicasWithoutMember: Replica[] = [];
  let identities: Set<string> | null = null;
  let reporting: Replica[];
  if (members) {
    const bound = bindMembersToReplicas(members, t.replicas, cluster);
    const replicaOf = (m: EtcdMember) => byName.get(bound.get(m.id) ?? '') ?? null;
    const seat = (m: EtcdMember) =>
      seatOf(replicaOf(m)?.name ?? memberLabel(m), replicaOf(m), cluster, m.isLearner, m.id);
    voters = members.filter((m) => !m.isLearner).map(seat);
    learners = members.filter((m) => m.isLearner).map(seat);
    const boundNames = new Set(bound.values());
    replicasWithoutMember = t.replicas.filter((r) => !boundNames.has(r.name));
    identities = new Set([...voters, ...learners].map((s) => s.label));
    reporting = t.replicas.filter((r) => boundNames.has(r.name));
  } else {
    const isLearner = (r: Replica) => {
      const s = r.etcd[cluster];
      return s.ok && s.isLearner;
    };
    voters = t.replicas.filter((r) => !isLearner(r)).map((r) => seatOf(r.name, r, cluster, false));
    learners = t.replicas.filter(isLearner).map((r) => seatOf(r.name, r, cluster, true));
    reporting = t.replicas;
  }
  const healthyVoters = voters.filter((s) => s.answering).length;
  return {
    name: cluster,
    quorum: {
      voters: voters.length,
      healthyVoters,
      unknownVoters: voters.filter((s) => s.timedOut).length,
      learners: learners.length,
      quorum: quorumOf(voters.length),
      hasQuorum: hasQuorum(healthyVoters, voters.length),
      quorumLost:
        voters.length === 0 || !hasQuorum(healthyVoters + voters.filter((s) => s.timedOut).length, voters.length),
      leaderId: reportedLeader(reporting, cluster),
    },
    membersKnown: members !== null,
    voters,
    learners,
    replicasWithoutMember,
    identities,
    answered: t.replicas.some((r) => r.etcd[cluster].ok),
  };
}

/** The leader most answering members report; ties go to the highest raft term, then the smaller id. */
function reportedLeader(replicas: readonly Replica[], cluster: EtcdClusterName): string | null {
  const votes = new Map<string, { count: number; term: number }>();
  for (const r of replicas) {
    const s = r.etcd[cluster];
    if (!s.ok || s.leaderId === '' || s.leaderId === '0') continue;
    const v = votes.get(s.leaderId) ?? { count: 0, term: 0 };
    votes.set(s.leaderId, { count: v.count + 1, term: Math.max(v.term, s.raftTerm) });
  }
  let best: { id: string; count: number; term: number } | null = null;
  for (const [id, v] of votes) {
    if (
      !best ||
      v.count > best.count ||
      (v.count === best.count && (v.term > best.term || (v.term === best.term && id < best.id)))
    ) {
      best = { id, ...v };
    }
  }
  return best?.id ?? null;
}

/** Healthy voters per zone, every zone of `zones` listed. */
function healthyLayout(c: ClusterEval, zones: readonly string[]): ZoneLayout {
  const healthyByZone: Record<string, number> = Object.fromEntries(zones.map((z) => [z, 0]));
  for (const s of c.voters)
    if (s.answering && s.replica) healthyByZone[s.replica.zone] = (healthyByZone[s.replica.zone] ?? 0) + 1;
  return { voters: c.quorum.voters, healthyByZone };
}

/**
 * The placement as if every replica were healthy: the voters a replica backs, by zone. Members with no VM are
 * left out here; MemberWithoutVm reports them, and counting them would flag every zone at once.
 */
function placementLayout(c: ClusterEval): ZoneLayout {
  const healthyByZone: Record<string, number> = {};
  let voters = 0;
  for (const s of c.voters) {
    if (!s.replica) continue;
    voters += 1;
    healthyByZone[s.replica.zone] = (healthyByZone[s.replica.zone] ?? 0) + 1;
  }
  return { voters, healthyByZone };
}

// --- Peer links ------------------------------------------------------------------------------------------------

type ClusterLinks = { graph: PeerGraph; connectivity: EtcdConnectivity };

/** The healthy voters' links as their members report them; null when no healthy voter reported its peers. */
function linksOf(c: ClusterEval): ClusterLinks | null {
  const seats = [...c.voters, ...c.learners];
  const nameOf = new Map(seats.flatMap((s) => (s.memberId === null ? [] : [[s.memberId, s.label] as const])));
  const reportOf = (s: Seat) => {
    const view = s.replica?.etcdPeers?.[c.name];
    return view?.ok ? view : null;
  };
  const healthy = c.voters.filter(
    (s): s is Seat & { replica: Replica; memberId: string } => s.answering && s.replica !== null && s.memberId !== null,
  );
  if (!healthy.some((s) => reportOf(s) !== null) || healthy.length > MAX_GRAPH_MEMBERS) return null;
  const members: GraphMember[] = healthy.map((s) => {
    const report = reportOf(s);
    return { id: s.memberId, zone: s.replica.zone, sees: report ? new Set(report.activePeers) : null };
  });
  const graph: PeerGraph = { voters: c.quorum.voters, members };
  const name = (id: string) => nameOf.get(id) ?? `member ${id}`;
  const pair = (a: string, b: string): [string, string] => (a < b ? [a, b] : [b, a]);
  const views: MemberPeerView[] = seats.flatMap((s) => {
    const report = reportOf(s);
    const status = s.replica?.etcd[c.name];
    if (!report || !s.replica || !status?.ok) return [];
    const others = seats.filter((o) => o !== s && o.memberId !== null);
    return [
      {
        replica: s.label,
        zone: s.replica.zone,
        leader: status.leaderId === '0' || status.leaderId === '' ? null : name(status.leaderId),
        raftTerm: status.raftTerm,
        hasLeader: report.hasLeader,
        sees: others.filter((o) => report.activePeers.includes(o.memberId ?? '')).map((o) => o.label),
        peers: others.map((o) => o.label),
      },
    ];
  });
  return {
    graph,
    connectivity: {
      views,
      cutPairs: cutPairs(graph).map(([a, b]) => pair(name(a.id), name(b.id))),
      cutZones: cutZonePairs(graph),
      possibleLeaders: possibleLeaders(graph).map((m) => name(m.id)),
      holdingQuorum: membersHoldingQuorum(graph).map((m) => name(m.id)),
    },
  };
}

// --- Findings --------------------------------------------------------------------------------------------------

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** For sorting: negative when `a` is worse than `b`. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITY_RANK[a] - SEVERITY_RANK[b];
}

const ETCD_CLIENT_PORT: Record<EtcdClusterName, number> = { main: 2379, events: 4002 };

const COMPONENT_DUTY: Record<LeaderElectedComponent, string> = {
  'kube-controller-manager': 'controllers (replica sets, node lifecycle, endpoints) stop reconciling',
  'kube-scheduler': 'new pods stay Pending',
  'cluster-autoscaler': 'node groups stop scaling',
};

function clustersLabel(clusters: readonly EtcdClusterName[]): string {
  return clusters.length === ETCD_CLUSTERS.length ? 'main and events' : listOf(clusters);
}

type Context = {
  t: Topology;
  now: Date;
  health: Record<string, ReplicaHealthDetail>;
  diagnosis: ClusterDiagnosis;
  clusters: ClusterEval[];
  canLoseReplicas: number;
  links: Array<ClusterLinks | null>;
  /** Zones of the region with no replica, in order. */
  freeZones: string[];
  replicasByZone: Map<string, Replica[]>;
};

function quorumFindings(ctx: Context): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.clusters) {
    const { voters, healthyVoters, quorum } = c.quorum;
    // Running replicas Quorum could get into: where none could, the NoAccess findings say why instead.
    const vmStillRunning = ctx.t.replicas.some((r) => r.vmStatus === 'RUNNING' && ctx.health[r.name]?.noAccess == null);
    const unreachable = !c.answered && vmStillRunning;
    if (unreachable) {
      // Silence alone (every member timed out) is not etcd's answer: the members may be fine and Quorum's path to them
      // slow. Critical only when a member refused.
      const silentOnly = c.voters.every((s) => s.timedOut || s.replica === null || s.replica.vmStatus !== 'RUNNING');
      out.push({
        code: 'EtcdUnreachable',
        severity: silentOnly ? 'warning' : 'critical',
        subject: `etcd ${c.name}`,
        message: silentOnly
          ? `No member of etcd ${c.name} answered in time, so Quorum cannot tell whether it has quorum; the members may be fine and Quorum's path to them slow or cut.`
          : `No member of etcd ${c.name} answered, so Quorum cannot tell whether it has quorum, and the API servers that depend on it may be down.`,
        fix: `Check that etcd ${c.name} runs on the replicas and that its client port ${ETCD_CLIENT_PORT[c.name]} is reachable from Quorum (on GCE, through the SSH tunnel to a master).`,
      });
    }
    // Lost for sure only when the voters that may still be up (timed out) could not make a quorum either.
    if (!c.quorum.quorumLost) continue;
    if (voters === 0) {
      out.push({
        code: 'QuorumLost',
        severity: 'critical',
        subject: `etcd ${c.name}`,
        message: `etcd ${c.name} has no voting member left, so the API servers have no cluster state and the control plane is down.`,
        fix: 'Restore etcd from a backup onto a new replica, or create the cluster again with the Create cluster wizard.',
      });
      continue;
    }
    const downWithVm = c.voters.filter((s) => !s.answering && s.replica).map((s) => s.label);
    out.push({
      code: 'QuorumLost',
      severity: 'critical',
      subject: `etcd ${c.name}`,
      message: `etcd ${c.name} has lost quorum (${healthyVoters} of ${pluralize(voters, 'voter')} healthy, ${quorum} needed), so the API servers cannot read or write cluster state and the control plane is down.`,
      fix:
        downWithVm.length > 0
          ? `Bring back ${listOf(downWithVm)} (start the VM or its etcd) until ${quorum} voters answer; membership changes, and so the Recover replica wizard, need quorum first.`
          : `Restore quorum by hand: restart etcd ${c.name} on a surviving replica with --force-new-cluster on its data, then add replicas back with the Add replica wizard.`,
    });
  }
  return out;
}

function replicaFindings(ctx: Context): Finding[] {
  const out: Finding[] = [];
  const critical = ctx.canLoseReplicas === 0;
  const lost = ctx.clusters.some((c) => !c.quorum.hasQuorum);
  for (const r of ctx.t.replicas) {
    const detail = ctx.health[r.name];
    if (!detail || detail.health === 'healthy') continue;
    if (detail.health === 'unknown' && detail.noAccess) {
      out.push(noAccessFinding(r, detail.noAccess));
      continue;
    }
    const etcdFine = ctx.clusters.every((c) => c.voters.some((s) => s.replica === r && s.answering));
    const consequence = etcdFine
      ? 'requests the load balancer sends to it fail'
      : lost
        ? 'etcd is short of a quorum'
        : critical
          ? 'the cluster is down to its quorum and one more failure stops the control plane'
          : `the cluster can lose only ${pluralize(ctx.canLoseReplicas, 'more replica')}`;
    const reasons = detail.reasons.join(', ');
    const primary = ctx.diagnosis.replicas[r.name]?.primary ?? null;
    const label = primary ? `${FAILURE_LABELS[primary]}: ` : '';
    const message =
      detail.health === 'unknown'
        ? `Replica ${r.name} did not answer in time (${label}${listOf(detail.timedOut)}), so its health is unknown: it may be fine and Quorum's path to it slow, and until it answers it is not counted towards the tolerance.`
        : `Replica ${r.name} is unhealthy (${label}${reasons}), so ${consequence}.`;
    const cutOff = cutOffFromLeader(ctx, r.name);
    if (detail.health === 'unhealthy' && cutOff) {
      // Its etcd answers but has lost the leader behind a partition: the API server's etcd check fails with it.
      // A replacement would sit behind the same cut, so no recovery is offered; the network is the fix.
      out.push({
        code: 'ReplicaUnhealthy',
        severity: critical ? 'critical' : 'warning',
        subject: r.name,
        message: `Replica ${r.name} is unhealthy (${reasons}): its etcd main answers but knows no leader, because it has no link to ${listOf(cutOff)} (a partition, see the partition finding), so requests the load balancer sends to it fail.`,
        fix: `Do not replace ${r.name}: restore the network between its zone and ${listOf([...new Set(cutOff.map((n) => ctx.t.replicas.find((x) => x.name === n)?.zone ?? n))])} (VPC routes, firewall rules for etcd's peer ports); it rejoins by itself.`,
        ...(primary ? { failure: primary } : {}),
      });
      continue;
    }
    out.push({
      code: 'ReplicaUnhealthy',
      // Silence is never critical by itself: only a confirmed failure is.
      severity: critical && detail.health === 'unhealthy' ? 'critical' : 'warning',
      subject: r.name,
      message,
      fix: replicaFix(r, detail.health),
      ...(primary ? { failure: primary } : {}),
      action: { kind: 'recover', replica: r.name },
    });
  }
  for (const outage of ctx.diagnosis.zonesUnreachable) {
    if (outage.replicas.length === 0) {
      out.push({
        code: 'ZoneUnreachable',
        severity: 'warning',
        subject: outage.zone,
        message: `Zone ${outage.zone} looks unreachable (${outage.evidence}), so new replicas cannot be placed there until it is back.`,
        fix: `Wait until ${outage.zone} is back (its nodes Ready again); then rebalance any zone that holds two replicas.`,
        failure: 'zone-unreachable',
      });
      continue;
    }
    const names = listOf(outage.replicas);
    const others = ctx.t.regionZones.filter((z) => z !== outage.zone);
    out.push({
      code: 'ZoneUnreachable',
      severity: 'critical',
      subject: outage.zone,
      message: `Zone ${outage.zone} is unreachable: ${outage.evidence}, so ${outage.replicas.length === 1 ? `replica ${names} counts` : `replicas ${names} count`} as down and ${lost ? 'etcd is short of a quorum' : critical ? 'one more failure stops the control plane' : `the cluster can lose only ${pluralize(ctx.canLoseReplicas, 'more replica')}`}.`,
      fix: `Wait for the zone to come back, or replace ${names} in ${others.length > 0 ? listOf(others) : 'another zone of the region'} with the Recover replica wizard (one zone then holds two replicas: rebalance when ${outage.zone} returns).`,
      failure: 'zone-unreachable',
      ...(outage.replicas[0] !== undefined
        ? { action: { kind: 'recover' as const, replica: outage.replicas[0] } }
        : {}),
    });
  }
  for (const d of Object.values(ctx.diagnosis.replicas)) {
    if (d.primary !== 'member-lagging' || ctx.health[d.replica]?.health !== 'healthy') continue;
    out.push({
      code: 'MemberLagging',
      severity: 'warning',
      subject: d.replica,
      message: `Replica ${d.replica} is lagging behind the etcd leader (${describePrimaryFailure(d) ?? ''}), so its API server may serve stale reads and it would not count towards a quorum if the leader needed it now.`,
      fix: `Check ${d.replica}'s disk and network latency (etcd's log warns about slow fsync or heartbeats); if it does not catch up, replace it with the Recover replica wizard.`,
      failure: 'member-lagging',
      action: { kind: 'recover', replica: d.replica },
    });
  }
  return out;
}

/**
 * The members (by name) `replica`'s etcd main has no link to, when it knows no leader and is one side of a cut
 * pair (connectivity.ts): a member that lost its leader to a partition, not a failed one. Null otherwise.
 */
function cutOffFromLeader(ctx: Context, replica: string): string[] | null {
  const k = ctx.links[0]?.connectivity;
  const view = k?.views.find((v) => v.replica === replica);
  if (!k || !view || view.leader !== null) return null;
  const cut = k.cutPairs.flatMap(([a, b]) => (a === replica ? [b] : b === replica ? [a] : []));
  return cut.length > 0 ? cut : null;
}

/**
 * Quorum's own access problem on a replica: a warning that says what to fix, with no recovery offered (the
 * replica may be perfectly fine) and no claim about quorum.
 */
export function noAccessFinding(
  r: Pick<Replica, 'name' | 'zone'>,
  noAccess: { kind: NoAccessKind; reason: string },
): Finding {
  const change = noAccess.kind === 'host-key' ? hostKeyChangeOf(noAccess.reason) : null;
  const consequence = 'so its health is unknown: it is not counted as failed, and no change that needs it can be made.';
  if (change) {
    return {
      code: 'NoAccess',
      severity: 'warning',
      subject: r.name,
      message: `Quorum refuses to log in to replica ${r.name}: its SSH host key changed from ${change.pinnedFingerprint} (pinned) to ${change.presentedFingerprint}, ${consequence}`,
      fix: `Check on the VM itself (its serial console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) that ${change.presentedFingerprint} is its key, e.g. because it was re-imaged; if so, an admin trusts the new host key here. If it is not, someone may be in the middle: never accept it unchecked.`,
      hostKey: { replica: r.name, zone: r.zone, ...change },
    };
  }
  return {
    code: 'NoAccess',
    severity: 'warning',
    subject: r.name,
    message: `Quorum cannot get into replica ${r.name} over SSH (${noAccess.reason}), ${consequence}`,
    fix: NO_ACCESS_FIX[noAccess.kind](r.name),
  };
}

const NO_ACCESS_FIX: Record<NoAccessKind, (name: string) => string> = {
  key: (name) =>
    `Quorum publishes its key in ${name}'s ssh-keys metadata again by itself, and the guest agent takes it up within seconds. If this stays, check that Quorum's service account may set instance metadata (compute.instances.setMetadata), that the guest agent runs on the VM, and that nothing keeps removing the key.`,
  network: (name) =>
    `Check the network path from Quorum to port 22 of ${name}: a firewall rule allowing tcp:22 from Quorum's address, the address Quorum dials (QUORUM_SSH_ADDRESS: internal inside the VPC, external otherwise), and that sshd runs on the VM.`,
  'host-key': (name) =>
    `The host key of ${name} is not one Quorum can trust: verify on the VM (its serial console) that the key changed legitimately, e.g. the VM was re-imaged; never accept it unchecked.`,
  'os-login': (name) =>
    `OS Login is enabled for ${name} (enable-oslogin=TRUE); Quorum does not support OS Login yet: turn it off for the masters or reach them another way.`,
  other: (name) =>
    `Check Quorum's SSH access to ${name} (its key in the instance metadata, port 22, the pinned host key).`,
};

function replicaFix(r: Replica, health: ReplicaHealth): string {
  switch (r.vmStatus) {
    case 'RUNNING':
      return health === 'unknown'
        ? `Check whether ${r.name} is overloaded or cut off from Quorum's network; if it stays unknown, replace it with the Recover replica wizard.`
        : `Check etcd and the API server on ${r.name} (their logs on the VM), and replace it with the Recover replica wizard if they do not recover.`;
    case 'STOPPED':
    case 'TERMINATED':
      return `Start ${r.name} (gcloud compute instances start ${r.name} --zone ${r.zone}); if it cannot come back, replace it with the Recover replica wizard.`;
    case 'SUSPENDED':
      return `Resume ${r.name} (gcloud compute instances resume ${r.name} --zone ${r.zone}); if it cannot come back, replace it with the Recover replica wizard.`;
    default:
      return `Wait for ${r.name} to finish ${r.vmStatus.toLowerCase()}; if it does not reach RUNNING, replace it with the Recover replica wizard.`;
  }
}

function membershipFindings(ctx: Context): Finding[] {
  const out: Finding[] = [];
  // Voters without a VM, grouped by label across main and events.
  const orphans = new Map<string, EtcdClusterName[]>();
  for (const c of ctx.clusters)
    for (const s of c.voters) if (!s.replica) orphans.set(s.label, [...(orphans.get(s.label) ?? []), c.name]);
  for (const [label, clusters] of orphans) {
    out.push({
      code: 'MemberWithoutVm',
      severity: 'critical',
      subject: label,
      message: `etcd member ${label} (${clustersLabel(clusters)}) has no replica VM behind it, so it counts as a voter that never answers and uses up the cluster's fault tolerance.`,
      fix: `Replace it with the Recover replica wizard, which removes member ${label} from etcd ${clustersLabel(clusters)} first and then adds a replica.`,
    });
  }
  // Replicas that are no member, grouped by replica.
  const strays = new Map<string, EtcdClusterName[]>();
  for (const c of ctx.clusters)
    for (const r of c.replicasWithoutMember) strays.set(r.name, [...(strays.get(r.name) ?? []), c.name]);
  for (const [name, clusters] of strays) {
    out.push({
      code: 'VmWithoutMember',
      severity: 'warning',
      subject: name,
      message: `Replica ${name} runs no member of etcd ${clustersLabel(clusters)}, so it adds nothing to etcd's fault tolerance and its API server, which talks only to its local etcd, does not serve the cluster's data.`,
      fix: `Replace ${name} with the Recover replica wizard, or remove it with the Remove replica wizard if the cluster does not need it.`,
    });
  }
  // Learners, grouped by label: info while one catches up, warning when it is stranded.
  const learners = new Map<string, { clusters: EtcdClusterName[]; stranded: boolean; hasVm: boolean }>();
  for (const c of ctx.clusters) {
    for (const s of c.learners) {
      const prev = learners.get(s.label) ?? { clusters: [], stranded: false, hasVm: s.replica !== null };
      const stranded = !s.replica || s.replica.vmStatus !== 'RUNNING' || !s.answering;
      learners.set(s.label, {
        clusters: [...prev.clusters, c.name],
        stranded: prev.stranded || stranded,
        hasVm: prev.hasVm && s.replica !== null,
      });
    }
  }
  for (const [label, l] of learners) {
    const where = clustersLabel(l.clusters);
    out.push(
      l.stranded
        ? {
            code: 'LearnerPresent',
            severity: 'warning',
            subject: label,
            message: `etcd ${where} ${l.clusters.length > 1 ? 'have' : 'has'} a learner ${label} ${l.hasVm ? 'whose replica does not answer' : 'that no replica VM backs'}, most likely left by an interrupted add, and it blocks further adds because etcd allows one learner at a time.`,
            fix: `Resume the add with the Add replica wizard, or abandon it by removing learner ${label} from etcd ${where} with the Remove replica wizard.`,
          }
        : {
            code: 'LearnerPresent',
            severity: 'info',
            subject: label,
            message: `Replica ${label} is an etcd learner in ${where}, catching up with the leader, so it does not vote yet and etcd refuses another add until it is promoted.`,
            fix: 'Let the running add operation promote it once it has caught up; if no operation is running, resume the add with the Add replica wizard.',
          },
    );
  }
  // Main and events should have the same members (the same replicas).
  const [main, events] = ctx.clusters;
  if (main?.identities && events?.identities) {
    const onlyMain = [...main.identities].filter((x) => !events.identities?.has(x));
    const onlyEvents = [...events.identities].filter((x) => !main.identities?.has(x));
    if (onlyMain.length > 0 || onlyEvents.length > 0) {
      const parts = [
        ...(onlyMain.length > 0 ? [`only in main: ${onlyMain.join(', ')}`] : []),
        ...(onlyEvents.length > 0 ? [`only in events: ${onlyEvents.join(', ')}`] : []),
      ];
      out.push({
        code: 'MembershipMismatch',
        severity: 'warning',
        subject: null,
        message: `etcd main and events list different members (${parts.join('; ')}), so the two clusters tolerate different failures and a change that must touch both can fail halfway.`,
        fix: `Make both list the same replicas: replace ${listOf([...onlyMain, ...onlyEvents])} with the Recover replica wizard, which changes main and events together.`,
      });
    }
  }
  return out;
}

/** A zone to suggest for a new replica: a free zone of the region, else the region zone with fewest replicas. */
function zoneToAdd(ctx: Context, exclude: string | null = null): string {
  const free = ctx.freeZones.find((z) => z !== exclude);
  if (free) return free;
  const candidates = ctx.t.regionZones.filter((z) => z !== exclude);
  const sorted = [...candidates].sort(
    (a, b) => (ctx.replicasByZone.get(a)?.length ?? 0) - (ctx.replicasByZone.get(b)?.length ?? 0),
  );
  return sorted[0] ?? `a zone of ${ctx.t.cluster.region}`;
}

function layoutFindings(ctx: Context): Finding[] {
  const out: Finding[] = [];
  const { t } = ctx;
  // Counts are about placement: voters a replica backs. A member without a VM is MemberWithoutVm's business,
  // and counting it here would ask the operator to add or remove replicas for the wrong reason.
  const [main] = ctx.clusters;
  const voters = main ? placementLayout(main).voters : 0;

  if (voters === 2) {
    out.push({
      code: 'TwoReplicaLayout',
      severity: 'critical',
      subject: null,
      message:
        'The cluster has two etcd voters and consensus needs both, so it is less available than a single replica: losing either one stops the control plane.',
      fix: `Add a replica in ${zoneToAdd(ctx)} to reach three (Add replica wizard), or remove one to go back to a single replica (Remove replica wizard).`,
    });
  }

  for (const r of t.replicas) {
    if (regionOfZone(r.zone) === t.cluster.region) continue;
    out.push({
      code: 'ZoneOutsideRegion',
      severity: 'critical',
      subject: r.name,
      message: `Replica ${r.name} runs in ${r.zone}, outside the cluster's region ${t.cluster.region}, so the regional load balancer cannot send it traffic and every etcd write waits on a cross-region round trip.`,
      fix: `Add a replica in ${zoneToAdd(ctx)} (Add replica wizard), then remove ${r.name} (Remove replica wizard).`,
    });
  }

  // Placement: a zone whose outage alone loses quorum when everything else is up. Two voters are covered by
  // TwoReplicaLayout and a single replica by its tolerance of 0, so only three or more voters are checked.
  const holding = new Map<string, { inZone: number; voters: number }>();
  for (const c of ctx.clusters) {
    const layout = placementLayout(c);
    if (layout.voters < 3) continue;
    for (const zone of Object.keys(layout.healthyByZone).sort()) {
      if (zoneLossKeepsQuorum(layout, zone) || holding.has(zone)) continue;
      holding.set(zone, { inZone: layout.healthyByZone[zone] ?? 0, voters: layout.voters });
    }
  }
  for (const [zone, { inZone, voters: v }] of holding) {
    const free = ctx.freeZones.find((z) => z !== zone);
    const removalSuffices = 2 * inZone <= v && v - 1 >= 3;
    out.push({
      code: 'ZoneHoldsQuorum',
      severity: 'critical',
      subject: zone,
      message: `Zone ${zone} holds ${inZone} of the ${v} etcd voters, so an outage of that one zone loses quorum and stops the control plane.`,
      fix: free
        ? `Move a replica out of ${zone}: rebalance (one operation: add a replica in ${free}, then remove one in ${zone}).`
        : removalSuffices
          ? `Remove one replica in ${zone} (Remove replica wizard), so that the remaining ${v - 1} voters survive the loss of any zone.`
          : `Add replicas in other zones of ${t.cluster.region} (Add replica wizard), or remove replicas in ${zone} (Remove replica wizard), until ${zone} holds fewer than half of the voters.`,
      ...(free && (ctx.replicasByZone.get(zone)?.length ?? 0) >= 2
        ? { action: { kind: 'rebalance' as const, zone: free } }
        : {}),
    });
  }

  if (voters >= 4 && voters % 2 === 0) {
    const crowded =
      [...ctx.replicasByZone.entries()].sort((a, b) => b[1].length - a[1].length)[0]?.[0] ?? t.cluster.region;
    out.push({
      code: 'EvenReplicaCount',
      severity: 'warning',
      subject: null,
      message: `The cluster has ${voters} etcd voters, which tolerate ${pluralize(voters - quorumOf(voters), 'failure')} like ${voters - 1} would, while every write needs ${quorumOf(voters)} members instead of ${quorumOf(voters - 1)}.`,
      fix: `Remove a replica in ${crowded} (Remove replica wizard) to run ${voters - 1}, or add one in ${zoneToAdd(ctx)} (Add replica wizard) to run ${voters + 1}.`,
    });
  }

  if (ctx.freeZones.length > 0) {
    for (const [zone, replicas] of ctx.replicasByZone) {
      if (replicas.length < 2) continue;
      const moves = Math.min(replicas.length - 1, ctx.freeZones.length);
      const targets = ctx.freeZones.slice(0, moves);
      out.push({
        code: 'ZoneShared',
        severity: 'warning',
        subject: zone,
        message: `Zone ${zone} runs ${replicas.length} replicas while ${listOf(ctx.freeZones)} ${ctx.freeZones.length === 1 ? 'has' : 'have'} none, so one zone outage takes down ${replicas.length} replicas at once.`,
        fix:
          moves === 1
            ? `Move a replica from ${zone} to ${listOf(targets)}: rebalance (one operation: add a replica in ${listOf(targets)}, then remove one in ${zone}).`
            : `Move ${moves} replicas from ${zone} to ${listOf(targets)}, one at a time: rebalance (add a replica in a free zone, then remove one in ${zone}), then again.`,
        action: { kind: 'rebalance', zone: targets[0] ?? '' },
      });
    }
  }
  return out;
}

function loadBalancerFindings(ctx: Context): Finding[] {
  const { t } = ctx;
  const n = t.replicas.length;
  const fr = t.forwardingRule;
  const pool = t.targetPool;
  const sa = t.staticAddress;
  const master = t.cluster.masterName;
  if (n === 0) return [];
  if (n > 1) {
    if (!fr || !pool) {
      const missing =
        !fr && !pool ? 'neither forwarding rule nor target pool' : !fr ? 'no forwarding rule' : 'no target pool';
      return [
        {
          code: 'NoLoadBalancer',
          severity: 'critical',
          subject: null,
          message: `The cluster runs ${n} replicas but has no load balancer (${missing}), so clients reach the masters through a single address and lose the control plane when the replica behind it fails.`,
          fix: `Create target pool ${master} with every replica and forwarding rule ${master} on static address ${sa?.address ?? `${master}-ip`}, port 443, as kube-up does when it adds the second replica.`,
        },
      ];
    }
    const out: Finding[] = [];
    const inPool = new Set(pool.instances.map((i) => i.slice(i.lastIndexOf('/') + 1)));
    for (const r of t.replicas) {
      if (inPool.has(r.name)) continue;
      out.push({
        code: 'NoLoadBalancer',
        severity: 'warning',
        subject: r.name,
        message: `Replica ${r.name} is not in target pool ${pool.name}, so the load balancer sends it no traffic and its API server adds no availability.`,
        fix: `Add it: gcloud compute target-pools add-instances ${pool.name} --instances ${r.name} --instances-zone ${r.zone}.`,
      });
    }
    if (!sa) {
      out.push({
        code: 'StaticIpNotOnLoadBalancer',
        severity: 'warning',
        subject: fr.name,
        message: `The load balancer's address ${fr.ipAddress} is not reserved as a static address, so it changes if forwarding rule ${fr.name} is recreated and kubelets lose the masters.`,
        fix: `Reserve it: gcloud compute addresses create ${master}-ip --region ${t.cluster.region} --addresses ${fr.ipAddress}.`,
      });
    } else if (sa.address !== fr.ipAddress) {
      const holder = t.replicas.find((r) => r.externalIp === sa.address || sa.users.includes(r.name));
      out.push({
        code: 'StaticIpNotOnLoadBalancer',
        severity: 'critical',
        subject: sa.name,
        message: `Static address ${sa.name} (${sa.address}) is not the load balancer's address (${fr.ipAddress}), so kubelets and the kubernetes service, which use it, ${holder ? `reach only ${holder.name} and lose the control plane with it` : 'reach no master'}.`,
        fix: `Move ${sa.address} onto the load balancer: ${holder ? `give ${holder.name} an ephemeral external IP, then ` : ''}recreate forwarding rule ${fr.name} on ${sa.address}, port 443, targeting pool ${pool.name}.`,
      });
    }
    return out;
  }
  // One replica: kube-up gives it the static address directly, no load balancer.
  const [only] = t.replicas;
  if (!only) return [];
  if (!sa) {
    return [
      {
        code: 'StaticIpNotOnLoadBalancer',
        severity: 'warning',
        subject: only.name,
        message: `Replica ${only.name} has no reserved static address, so its external IP can change when the VM restarts and kubelets lose the master.`,
        fix: `Promote its external IP to a static address: gcloud compute addresses create ${master}-ip --region ${t.cluster.region} --addresses ${only.externalIp ?? '<its external IP>'}.`,
      },
    ];
  }
  if (only.externalIp === sa.address || sa.users.includes(only.name)) return [];
  const heldByRule = fr !== null && fr.ipAddress === sa.address;
  return [
    {
      code: 'StaticIpNotOnLoadBalancer',
      severity: 'critical',
      subject: sa.name,
      message: `Static address ${sa.name} (${sa.address}) is not on ${only.name}, the only replica, so kubelets and the kubernetes service, which use it, ${heldByRule ? 'go through a load balancer that is left over' : 'cannot reach the master'}.`,
      fix: `Attach ${sa.address} to ${only.name}: ${heldByRule && fr ? `delete forwarding rule ${fr.name}${pool ? ` and target pool ${pool.name}` : ''}, then ` : ''}replace its access config with one on ${sa.address} (gcloud compute instances delete-access-config, then add-access-config --address ${sa.address}).`,
    },
  ];
}

function leaseFindings(ctx: Context): Finding[] {
  const { t, now } = ctx;
  if (!t.leases) return [];
  const out: Finding[] = [];
  const running = new Set(t.replicas.filter((r) => r.vmStatus === 'RUNNING').map((r) => r.name));
  const known = new Map(t.replicas.map((r) => [r.name, r]));
  for (const component of LEADER_ELECTED_COMPONENTS) {
    const lease = t.leases.find((l) => l.component === component);
    const duty = COMPONENT_DUTY[component];
    const checkFix = `Check that ${component} runs on the healthy replicas (its static pod manifest and logs); a running one takes the lease within its duration.`;
    if (!lease) {
      // The cluster autoscaler is optional in kube-up (ENABLE_CLUSTER_AUTOSCALER): no lease may be normal.
      const optional = component === 'cluster-autoscaler';
      out.push({
        code: 'LeaseWithoutHolder',
        severity: optional ? 'info' : 'warning',
        subject: component,
        message: optional
          ? 'No cluster-autoscaler lease exists, so no cluster autoscaler is active, which is expected only when autoscaling is disabled.'
          : `No ${component} lease exists, so no ${component} is active and ${duty}.`,
        fix: optional
          ? `If autoscaling should be on, ${checkFix.charAt(0).toLowerCase()}${checkFix.slice(1)}`
          : checkFix,
      });
      continue;
    }
    if (!lease.holderIdentity) {
      out.push({
        code: 'LeaseWithoutHolder',
        severity: 'warning',
        subject: component,
        message: `The ${component} lease has no holder, so no ${component} is active and ${duty}.`,
        fix: checkFix,
      });
      continue;
    }
    const holder = holderReplica(lease.holderIdentity);
    const expiresAt = leaseExpiresAt(lease);
    if (expiresAt !== null) {
      if (expiresAt < now.getTime()) {
        out.push({
          code: 'LeaseWithoutHolder',
          severity: 'warning',
          subject: component,
          message: `The ${component} lease held by ${holder} expired ${formatAge(new Date(expiresAt), now)} ago and nobody renewed it, so no ${component} is active and ${duty}.`,
          fix: checkFix,
        });
        continue;
      }
    }
    if (!running.has(holder)) {
      const r = known.get(holder);
      const what = r ? `which is ${r.vmStatus}` : 'which is not a replica of this cluster';
      out.push({
        code: 'LeaseWithoutHolder',
        severity: 'warning',
        subject: component,
        message: `The ${component} lease is held by ${holder}, ${what}, so ${duty} until the lease expires and a running replica takes it over.`,
        fix: `Wait up to ${lease.leaseDurationSeconds ?? 15} s for a running replica to take the lease; if none does, ${checkFix.charAt(0).toLowerCase()}${checkFix.slice(1)}`,
      });
    }
  }
  return out;
}

/**
 * Only an HA-era kube-env has the quorum-read setting (ETCD_QUORUM_READ); current kube-up has none, since
 * etcd3 storage reads are linearizable (settings.quorumReads null): no finding there.
 */
function settingsFindings(ctx: Context): Finding[] {
  if (ctx.t.settings?.quorumReads !== false) return [];
  return [
    {
      code: 'QuorumReadsOff',
      severity: 'info',
      subject: null,
      message:
        "Quorum reads are off, so an API server may answer reads from its local etcd member with data older than the leader's.",
      fix: 'Set ETCD_QUORUM_READ=true in the kube-env of every replica (kube-up: ENABLE_ETCD_QUORUM_READS=true) and restart its API server; replicas added later copy the setting.',
    },
  ];
}

/** `prod-master-b01 reports leader prod-master-d01 (term 3) and sees 1 of 2 peers: prod-master-d01` */
function describeView(v: MemberPeerView): string {
  const leader =
    v.leader === null
      ? 'knows no leader'
      : v.leader === v.replica
        ? `is the leader (term ${v.raftTerm})`
        : `reports leader ${v.leader} (term ${v.raftTerm})`;
  const sees =
    v.sees.length === 0
      ? 'sees no peer'
      : v.sees.length === v.peers.length
        ? `sees all ${pluralize(v.peers.length, 'peer')}`
        : `sees ${v.sees.length} of ${pluralize(v.peers.length, 'peer')}: ${listOf(v.sees)}`;
  return `${v.replica} ${leader} and ${sees}`;
}

/**
 * Members that answer Quorum but not each other: a partition. Nothing is wrong with the replicas, so no recovery
 * is offered (a replacement would sit behind the same cut); the finding says what each side's etcd reports,
 * what the cut leaves of the tolerance, and where to look.
 */
function partitionFindings(ctx: Context): Finding[] {
  const out: Finding[] = [];
  ctx.clusters.forEach((c, i) => {
    const links = ctx.links[i];
    if (!links) return;
    const { connectivity: k, graph } = links;
    if (k.cutPairs.length === 0) return;
    const zoneOf = new Map(ctx.t.replicas.map((r) => [r.name, r.zone]));
    const critical = membersThatCanBeLost(graph) === 0;
    const leaders = new Set(k.views.filter((v) => v.leader !== null).map((v) => v.leader));
    const named = (names: readonly string[]) => names.map((n) => `${n}${leaders.has(n) ? ', the leader' : ''}`);
    let meaning: string;
    if (k.possibleLeaders.length === 0) {
      meaning = `No member reaches a majority of the ${pluralize(c.quorum.voters, 'voter')} directly, so etcd ${c.name} cannot commit and writes stop until the links are back.`;
    } else if (k.holdingQuorum.length > 0) {
      const zones = [...new Set(k.holdingQuorum.map((n) => zoneOf.get(n) ?? n))];
      meaning = `etcd ${c.name} keeps quorum only through ${listOf(zones)} (${listOf(named(k.holdingQuorum))}); losing ${k.holdingQuorum.length === 1 ? 'it' : 'any of them'} stops writes.`;
    } else {
      meaning = `etcd ${c.name} still has a leader reaching a majority, and can lose ${pluralize(membersThatCanBeLost(graph), 'more replica')}.`;
    }
    const where = (zones: readonly string[]) =>
      `Replacing a replica would not help: the replicas are up, the network between ${listOf(zones)} is not. Check the VPC's routes and the firewall rules between the masters of ${zones.length === 2 ? 'these zones' : 'those zones'} (etcd's peer ports tcp:2380 and tcp:2381 between masters: kube-up's default-internal-master rule), and any appliance or route between them; etcd reconnects by itself once packets flow.`;
    const covered = new Set<string>();
    for (const [za, zb] of k.cutZones) {
      const side = (zone: string) => k.views.filter((v) => v.zone === zone);
      const views = [...side(za), ...side(zb)];
      for (const [a, b] of k.cutPairs)
        if (
          zoneOf.get(a) !== zoneOf.get(b) &&
          [za, zb].includes(zoneOf.get(a) ?? '') &&
          [za, zb].includes(zoneOf.get(b) ?? '')
        )
          covered.add(`${a}|${b}`);
      out.push({
        code: 'ZonePartition',
        severity: critical ? 'critical' : 'warning',
        subject: `${za} | ${zb}`,
        message: `etcd ${c.name} members in ${za} and ${zb} cannot reach each other, although both answer Quorum: ${views.map(describeView).join('; ')}. ${meaning}`,
        fix: where([za, zb]),
      });
    }
    const rest = k.cutPairs.filter(([a, b]) => !covered.has(`${a}|${b}`));
    if (rest.length > 0) {
      const names = [...new Set(rest.flat())].sort();
      const views = k.views.filter((v) => names.includes(v.replica));
      out.push({
        code: 'PeersCut',
        severity: critical ? 'critical' : 'warning',
        subject: null,
        message: `etcd ${c.name} members ${listOf(rest.map(([a, b]) => `${a} and ${b}`))} cannot reach each other, although all answer Quorum: ${views.map(describeView).join('; ')}. ${meaning}`,
        fix: where([...new Set(names.map((n) => zoneOf.get(n) ?? n))].sort()),
      });
    }
  });
  return out;
}

export function assessTopology(t: Topology, now: Date): Assessment {
  const health: Record<string, ReplicaHealthDetail> = {};
  for (const r of t.replicas) health[r.name] = describeReplicaHealth(r);
  const evaluated: Record<EtcdClusterName, ClusterEval> = {
    main: evaluateCluster(t, 'main'),
    events: evaluateCluster(t, 'events'),
  };
  const clusters = ETCD_CLUSTERS.map((c) => evaluated[c]);

  const zoneNames = [...t.regionZones];
  for (const z of [...new Set(t.replicas.map((r) => r.zone))].sort()) if (!zoneNames.includes(z)) zoneNames.push(z);
  const replicasByZone = new Map<string, Replica[]>();
  for (const r of t.replicas) replicasByZone.set(r.zone, [...(replicasByZone.get(r.zone) ?? []), r]);
  const layouts = clusters.map((c) => healthyLayout(c, zoneNames));

  const links = clusters.map(linksOf);
  const canLoseReplicas = Math.min(
    ...clusters.map((c, i) => {
      const g = links[i]?.graph;
      return g ? membersThatCanBeLost(g) : remainingFailures(c.quorum.healthyVoters, c.quorum.voters);
    }),
  );
  const canLoseZones = Math.min(
    ...layouts.map((l, i) => {
      const g = links[i]?.graph;
      return g ? zonesThatCanBeLostGiven(g) : zonesThatCanBeLost(l);
    }),
  );
  const mainLayout = layouts[0];
  const zones: ZoneAssessment[] = zoneNames.map((zone) => ({
    zone,
    replicas: (replicasByZone.get(zone) ?? []).map((r) => r.name),
    healthyVoters: mainLayout?.healthyByZone[zone] ?? 0,
    lossKeepsQuorum: layouts.every((l, i) => {
      const g = links[i]?.graph;
      return zoneLossKeepsQuorum(l, zone) && (!g || zoneLossKeepsLeader(g, zone));
    }),
  }));

  const diagnosis = diagnoseCluster(t);
  const ctx: Context = {
    t,
    now,
    health,
    diagnosis,
    clusters,
    canLoseReplicas,
    links,
    // A zone that is down cannot take a replica, so it is not offered as free.
    freeZones: t.regionZones.filter(
      (z) => !replicasByZone.has(z) && !diagnosis.zonesUnreachable.some((o) => o.zone === z),
    ),
    replicasByZone,
  };
  const findings = [
    ...quorumFindings(ctx),
    ...replicaFindings(ctx),
    ...membershipFindings(ctx),
    ...layoutFindings(ctx),
    ...loadBalancerFindings(ctx),
    ...leaseFindings(ctx),
    ...settingsFindings(ctx),
    ...partitionFindings(ctx),
  ];
  // Array.prototype.sort is stable (ES2019): equal severities keep the order above.
  findings.sort((a, b) => compareSeverity(a.severity, b.severity));

  const etcd: Record<EtcdClusterName, EtcdQuorum> = { main: evaluated.main.quorum, events: evaluated.events.quorum };
  const replicaHealth: Record<string, ReplicaHealth> = Object.fromEntries(
    Object.entries(health).map(([name, d]) => [name, d.health]),
  );
  return {
    etcd,
    connectivity: { main: links[0]?.connectivity ?? null, events: links[1]?.connectivity ?? null },
    replicaHealth,
    healthyReplicas: Object.values(replicaHealth).filter((h) => h === 'healthy').length,
    unknownReplicas: Object.values(replicaHealth).filter((h) => h === 'unknown').length,
    totalReplicas: t.replicas.length,
    canLoseReplicas,
    canLoseZones,
    zones,
    findings,
    diagnosis,
  };
}

/** The finding to show when there is room for one: the first of the worst severity, or null. */
export function worstFinding(a: Pick<Assessment, 'findings'>): Finding | null {
  let worst: Finding | null = null;
  for (const f of a.findings) if (!worst || compareSeverity(f.severity, worst.severity) < 0) worst = f;
  return worst;
}

/** 'can lose 1 replica and 1 zone', 'can lose 0 replicas and 0 zones': the UI shows it verbatim. */
export function toleranceSentence(a: Pick<Assessment, 'canLoseReplicas' | 'canLoseZones'>): string {
  return `can lose ${pluralize(a.canLoseReplicas, 'replica')} and ${pluralize(a.canLoseZones, 'zone')}`;
}
