// Failure classification: what exactly is wrong with each replica, with the evidence, from one Topology.
// Pure. "Since when" needs a history of observations, which the server keeps (trackFailureSince).
import { formatAge } from './format';
import { isNoAccessError, isTimeoutError, parseNoAccess } from './probe-errors';
import { ETCD_CLUSTERS, type EtcdClusterName, type Replica, type Topology } from './topology';

/** Most telling first: a replica's primary class is the first of its classes in this order. */
export const FAILURE_CLASSES = [
  'vm-stopped',
  'zone-unreachable',
  'etcd-unreachable',
  'etcd-frozen',
  'apiserver-not-ready',
  'member-lagging',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

export const FAILURE_LABELS: Record<FailureClass, string> = {
  'vm-stopped': 'VM stopped',
  'zone-unreachable': 'zone unreachable',
  'etcd-unreachable': 'etcd unreachable',
  'etcd-frozen': 'etcd frozen',
  'apiserver-not-ready': 'API server not ready',
  'member-lagging': 'member lagging',
};

/**
 * A follower this many raft entries behind its leader is lagging. Members' statuses are read a few ms apart,
 * so a healthy follower under a heavy write load can trail by a few hundred; a member that was cut off and is
 * catching up, or cannot keep up, trails by thousands.
 */
export const LAG_ENTRIES = 1000;

export type FailureEvidence = {
  class: FailureClass;
  /** What said so: 'Compute', 'etcd main', 'etcd events', 'API server', 'nodes'. */
  source: string;
  /** The probe's error or the numbers, e.g. 'prod-master-c02:2379: connection refused'. */
  detail: string;
};

export type ReplicaDiagnosis = {
  replica: string;
  zone: string;
  /** null when nothing is wrong. */
  primary: FailureClass | null;
  /** Every failure found, primary first. */
  failures: FailureEvidence[];
};

export type ZoneOutage = {
  zone: string;
  replicas: string[];
  /** Nodes of the zone, and how many of them are not Ready; null when no API server listed nodes. */
  nodes: { total: number; notReady: number } | null;
  evidence: string;
};

export type ClusterDiagnosis = {
  replicas: Record<string, ReplicaDiagnosis>;
  zonesUnreachable: ZoneOutage[];
};

// ---------------------------------------------------------------------------------------------------------------
// Rules
//   vm-stopped           Compute reports the VM anything but RUNNING (then no probe is trusted).
//   etcd-unreachable     an etcd probe failed with an answer: connection refused, reset, TLS... (the process is
//                        gone or broken, the host is reachable).
//   etcd-frozen          an etcd probe got no answer within the deadline (the process lives, or the network
//                        holds the packets, but nothing answers).
//   (none)               a probe that failed with `noaccess:` (Quorum's SSH access, not the replica) is no evidence.
//   apiserver-not-ready  /readyz said not ready, or the API server probe failed or timed out.
//   member-lagging       the member answered, is a voter, and its raft index is more than LAG_ENTRIES behind
//                        the index its leader reported in the same observation.
//   zone-unreachable     every replica of a zone is RUNNING for Compute and silent (every probe timed out), and
//                        something beyond those replicas agrees: a second silent replica in the zone, or every
//                        Node of the zone not Ready. A single silent replica alone reads as frozen: with one
//                        replica per zone, a frozen VM and a lost zone look the same from its probes. A zone of
//                        the region with no replica is unreachable when it has Nodes and none is Ready (what is
//                        left to see after a recovery moved its replica out); no replica is marked by it.
// ---------------------------------------------------------------------------------------------------------------

const ETCD_PORTS: Record<EtcdClusterName, number> = { main: 2379, events: 4002 };

/** `<instance>:<port>: `: the port on the replica's own loopback, which Quorum reaches over SSH (not an address it dials). */
function at(replica: Replica, port: number): string {
  return `${replica.name}:${port}: `;
}

/**
 * Nothing of a RUNNING replica answered at all: every probe timed out, or its port 22 did not answer either (the
 * network kind of "no access"). Alone that is Quorum's access problem; with a second witness it is a zone outage.
 */
function isSilent(r: Replica): boolean {
  if (r.vmStatus !== 'RUNNING') return false;
  const silent = (error: string) =>
    isTimeoutError(error) || (isNoAccessError(error) && parseNoAccess(error).kind === 'network');
  const etcdSilent = ETCD_CLUSTERS.every((c) => {
    const s = r.etcd[c];
    return !s.ok && silent(s.error);
  });
  const api = r.apiServer;
  return etcdSilent && api.ready === null && silent(api.error);
}

/** Raft index of the leader of `cluster`, as the leader itself reported it; null when it did not answer. */
function leaderIndex(
  t: Topology,
  cluster: EtcdClusterName,
): { index: number; replica: string; leaderId: string } | null {
  const votes = new Map<string, number>();
  for (const r of t.replicas) {
    const s = r.etcd[cluster];
    if (s.ok && s.leaderId !== '0' && s.leaderId !== '') votes.set(s.leaderId, (votes.get(s.leaderId) ?? 0) + 1);
  }
  const leaderId = [...votes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  if (leaderId === undefined) return null;
  for (const r of t.replicas) {
    const s = r.etcd[cluster];
    if (s.ok && s.memberId === leaderId) return { index: s.raftIndex, replica: r.name, leaderId };
  }
  return null;
}

function replicaEvidence(
  t: Topology,
  r: Replica,
  leaders: Record<EtcdClusterName, ReturnType<typeof leaderIndex>>,
): FailureEvidence[] {
  if (r.vmStatus !== 'RUNNING')
    return [{ class: 'vm-stopped', source: 'Compute', detail: `instance status ${r.vmStatus}` }];
  const out: FailureEvidence[] = [];
  for (const cluster of ETCD_CLUSTERS) {
    const s = r.etcd[cluster];
    const source = `etcd ${cluster}`;
    // Quorum could not get in (its SSH access): no evidence either way about the member (assessment.ts says so).
    if (!s.ok && isNoAccessError(s.error)) continue;
    if (!s.ok) {
      out.push({
        class: isTimeoutError(s.error) ? 'etcd-frozen' : 'etcd-unreachable',
        source,
        detail: `${at(r, ETCD_PORTS[cluster])}${s.error}`,
      });
      continue;
    }
    const leader = leaders[cluster];
    if (s.isLearner || !leader || leader.leaderId === s.memberId) continue;
    const behind = leader.index - s.raftIndex;
    if (behind > LAG_ENTRIES) {
      out.push({
        class: 'member-lagging',
        source,
        detail: `raft index ${s.raftIndex}, leader ${leader.replica} at ${leader.index}: ${behind} entries behind`,
      });
    }
  }
  const api = r.apiServer;
  if (api.ready === null && isNoAccessError(api.error)) return out;
  if (api.ready === null) out.push({ class: 'apiserver-not-ready', source: 'API server', detail: api.error });
  else if (!api.ready)
    out.push({
      class: 'apiserver-not-ready',
      source: 'API server',
      detail: `/readyz: not ready${api.live ? ' (livez ok)' : ', /livez failing'}`,
    });
  return out;
}

function zoneOutages(t: Topology): ZoneOutage[] {
  const byZone = new Map<string, Replica[]>(t.regionZones.map((z) => [z, []]));
  for (const r of t.replicas) byZone.set(r.zone, [...(byZone.get(r.zone) ?? []), r]);
  const out: ZoneOutage[] = [];
  for (const [zone, replicas] of [...byZone.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (!replicas.every(isSilent)) continue;
    const zoneNodes = t.nodes?.filter((n) => n.zone === zone) ?? null;
    const nodes =
      zoneNodes === null ? null : { total: zoneNodes.length, notReady: zoneNodes.filter((n) => !n.ready).length };
    const nodesDown = nodes !== null && nodes.total > 0 && nodes.notReady === nodes.total;
    if (replicas.length === 0) {
      // No replica to probe there (a recovery moved it out): the zone's Nodes are the only witness.
      if (nodesDown && nodes)
        out.push({
          zone,
          replicas: [],
          nodes,
          evidence: `none of its ${nodes.total} nodes is Ready (no replica runs there to probe)`,
        });
      continue;
    }
    if (replicas.length < 2 && !nodesDown) continue;
    const silent =
      replicas.length === 1 ? 'its replica answered nothing' : `none of its ${replicas.length} replicas answered`;
    const nodeText = nodes && nodes.total > 0 ? ` and ${nodes.notReady} of its ${nodes.total} nodes are not Ready` : '';
    out.push({
      zone,
      replicas: replicas.map((r) => r.name),
      nodes,
      evidence: `${silent} (every probe timed out)${nodeText}`,
    });
  }
  return out;
}

const RANK: Record<FailureClass, number> = Object.fromEntries(FAILURE_CLASSES.map((c, i) => [c, i])) as Record<
  FailureClass,
  number
>;

export function diagnoseCluster(t: Topology): ClusterDiagnosis {
  const leaders = { main: leaderIndex(t, 'main'), events: leaderIndex(t, 'events') };
  const outages = zoneOutages(t);
  const outageOf = new Map(outages.flatMap((o) => o.replicas.map((name) => [name, o] as const)));
  const replicas: Record<string, ReplicaDiagnosis> = {};
  for (const r of t.replicas) {
    const failures = replicaEvidence(t, r, leaders);
    const outage = outageOf.get(r.name);
    if (outage) failures.push({ class: 'zone-unreachable', source: `zone ${outage.zone}`, detail: outage.evidence });
    // Stable: equal classes keep their order (main before events).
    failures.sort((a, b) => RANK[a.class] - RANK[b.class]);
    replicas[r.name] = { replica: r.name, zone: r.zone, primary: failures[0]?.class ?? null, failures };
  }
  return { replicas, zonesUnreachable: outages };
}

/** Distinct classes of a diagnosis, primary first. */
export function failureClassesOf(d: ReplicaDiagnosis): FailureClass[] {
  return [...new Set(d.failures.map((f) => f.class))];
}

/** 'etcd unreachable: etcd main prod-master-c02:2379: connection refused', the primary failure in one line. */
export function describePrimaryFailure(d: ReplicaDiagnosis): string | null {
  const first = d.failures[0];
  if (!first) return null;
  return `${FAILURE_LABELS[first.class]}: ${first.source} ${first.detail}`;
}

// --- Since when --------------------------------------------------------------------------------------------------

/**
 * When each current failure class was first seen, per subject (a replica name, or `zone:<zone>` for a zone
 * outage), as ISO timestamps of observations.
 */
export type FailureSince = Record<string, Partial<Record<FailureClass, string>>>;

export function zoneSubject(zone: string): string {
  return `zone:${zone}`;
}

/**
 * The next FailureSince after an observation: a class seen before keeps its first time, a new one starts at
 * `observedAt`, one no longer seen is dropped (if it comes back, it starts again).
 */
export function trackFailureSince(
  previous: FailureSince,
  diagnosis: ClusterDiagnosis,
  observedAt: string,
): FailureSince {
  const next: FailureSince = {};
  const keep = (subject: string, classes: readonly FailureClass[]) => {
    if (classes.length === 0) return;
    const entry: Partial<Record<FailureClass, string>> = {};
    for (const c of classes) entry[c] = previous[subject]?.[c] ?? observedAt;
    next[subject] = entry;
  };
  for (const d of Object.values(diagnosis.replicas)) keep(d.replica, failureClassesOf(d));
  for (const o of diagnosis.zonesUnreachable) keep(zoneSubject(o.zone), ['zone-unreachable']);
  return next;
}

/**
 * How long a failure has lasted as of the observation at `observedAt` ('12s') and since when ('14:02:11', UTC), for
 * the pages to word ("for 12s, since 14:02:11 UTC"); null when the time is not known.
 */
export function sinceParts(since: string | undefined, observedAt: string): { age: string; at: string } | null {
  if (since === undefined || !Number.isFinite(Date.parse(since))) return null;
  return { age: formatAge(since, new Date(observedAt)), at: since.slice(11, 19) };
}
