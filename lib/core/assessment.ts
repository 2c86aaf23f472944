// Assessment: what a Topology means for availability. Pure: derived from the Topology alone.
import type { EtcdClusterName, Topology } from './topology';
import { diagnoseCluster, type ClusterDiagnosis, type FailureClass } from './failure';
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
import { FINDING_RULES } from './findings';
import type { ClusterEval, ClusterLinks, Context, Seat } from './findings/context';
import { isNoAccessError, isTimeoutError, parseNoAccess, type NoAccessKind } from './probe-errors';
import {
  hasQuorum,
  quorumOf,
  remainingFailures,
  zoneLossKeepsQuorum,
  zonesThatCanBeLost,
  type ZoneLayout,
} from './quorum';
import { ETCD_CLUSTERS, type EtcdMember, type Replica } from './topology';

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
  /**
   * Everything `message` and `fix` are made of, for the pages to word them in the reader's language (the catalog's
   * `findings.<code>.message` and `.fix`). Every rule sets it; a finding without it (stored before it existed) is
   * shown in English.
   */
  params?: FindingParams;
};

/**
 * A finding's words as plain JSON. A string array is a list of names, which the page joins in the reader's language
 * ('a, b and c'). A repeated part of a sentence (what each member reports, each thing wrong with a replica) is
 * flattened as `<part>.<i>.<field>`: the catalog's `findings.parts.<part>` words one item, and the message's
 * argument `{<part>}` receives the items joined (findings/params.ts builds these keys).
 */
export type FindingParams = { readonly [key: string]: string | number | boolean | readonly string[] };

/** A finding as the rules make it: always with its params. */
export type RuleFinding = Finding & { params: FindingParams };

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

// --- Findings: each family is a rule in ./findings (their registry: FINDING_RULES in findings/index.ts) ----------

export { noAccessFinding } from './findings/replica-health';

// --- Replica health --------------------------------------------------------------------------------------------

/** One thing that is not fine with a replica; `reasons` words each in English. */
export type HealthCause =
  | { kind: 'vm'; status: Replica['vmStatus'] }
  /** A probe that answered negatively: `etcd main`, `etcd events`, `API server`. */
  | { kind: 'notAnswering'; probe: string }
  | { kind: 'notReady'; probe: 'API server' }
  | { kind: 'late'; probe: string }
  | { kind: 'noAccess'; reason: string };

function reasonOf(c: HealthCause): string {
  switch (c.kind) {
    case 'vm':
      return `VM is ${c.status}`;
    case 'notAnswering':
      return `${c.probe} is not answering`;
    case 'notReady':
      return `${c.probe} is not ready`;
    case 'late':
      return `${c.probe} did not answer in time`;
    case 'noAccess':
      return `no access (${c.reason})`;
  }
}

export type ReplicaHealthDetail = {
  health: ReplicaHealth;
  /** Short phrases for what is not fine, e.g. 'VM is STOPPED', 'etcd main did not answer in time'. */
  reasons: string[];
  /** The same, as data (for findings worded in the reader's language). */
  causes: HealthCause[];
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
    return healthDetail('unhealthy', [{ kind: 'vm', status: replica.vmStatus }], [], null);
  const negative: HealthCause[] = [];
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
    else negative.push({ kind: 'notAnswering', probe: `etcd ${cluster}` });
  }
  const api = replica.apiServer;
  if (api.ready === null) {
    if (isNoAccessError(api.error)) blocked(api.error);
    else if (isTimeoutError(api.error)) timedOut.push('API server');
    else negative.push({ kind: 'notAnswering', probe: 'API server' });
  } else if (!api.ready) {
    negative.push({ kind: 'notReady', probe: 'API server' });
  }
  const late = timedOut.map((probe): HealthCause => ({ kind: 'late', probe }));
  const access: HealthCause[] =
    noAccess === null ? [] : [{ kind: 'noAccess', reason: (noAccess as { reason: string }).reason }];
  if (negative.length > 0) return healthDetail('unhealthy', [...negative, ...late, ...access], timedOut, noAccess);
  if (timedOut.length > 0 || noAccess !== null)
    return healthDetail('unknown', [...access, ...late], timedOut, noAccess);
  return healthDetail('healthy', [], [], null);
}

function healthDetail(
  health: ReplicaHealth,
  causes: HealthCause[],
  timedOut: string[],
  noAccess: ReplicaHealthDetail['noAccess'],
): ReplicaHealthDetail {
  return { health, reasons: causes.map(reasonOf), causes, timedOut, noAccess };
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
// --- Peer links ------------------------------------------------------------------------------------------------

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

// --- Severity ----------------------------------------------------------------------------------------------------

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** For sorting: negative when `a` is worse than `b`. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITY_RANK[a] - SEVERITY_RANK[b];
}

// --- Assessment: the Context the finding rules read, and the figures around them --------------------------------

/**
 * What the finding rules read: the Topology evaluated once, exactly as assessTopology does. Exported for the
 * rules' own tests.
 */
export function contextOf(t: Topology, now: Date): Context {
  return buildContext(t, now, evaluateClusters(t));
}

function evaluateClusters(t: Topology): Record<EtcdClusterName, ClusterEval> {
  return { main: evaluateCluster(t, 'main'), events: evaluateCluster(t, 'events') };
}

function buildContext(t: Topology, now: Date, evaluated: Record<EtcdClusterName, ClusterEval>): Context {
  const health: Record<string, ReplicaHealthDetail> = {};
  for (const r of t.replicas) health[r.name] = describeReplicaHealth(r);
  const clusters = ETCD_CLUSTERS.map((c) => evaluated[c]);
  const replicasByZone = new Map<string, Replica[]>();
  for (const r of t.replicas) replicasByZone.set(r.zone, [...(replicasByZone.get(r.zone) ?? []), r]);
  const links = clusters.map(linksOf);
  const canLoseReplicas = Math.min(
    ...clusters.map((c, i) => {
      const g = links[i]?.graph;
      return g ? membersThatCanBeLost(g) : remainingFailures(c.quorum.healthyVoters, c.quorum.voters);
    }),
  );
  const diagnosis = diagnoseCluster(t);
  return {
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
}

export function assessTopology(t: Topology, now: Date): Assessment {
  const evaluated = evaluateClusters(t);
  const ctx = buildContext(t, now, evaluated);
  const { health, clusters, links, replicasByZone, canLoseReplicas, diagnosis } = ctx;

  const zoneNames = [...t.regionZones];
  for (const z of [...new Set(t.replicas.map((r) => r.zone))].sort()) if (!zoneNames.includes(z)) zoneNames.push(z);
  const layouts = clusters.map((c) => healthyLayout(c, zoneNames));
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

  const findings = FINDING_RULES.flatMap((rule) => rule.evaluate(ctx));
  // Array.prototype.sort is stable (ES2019): equal severities keep the order of FINDING_RULES.
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
