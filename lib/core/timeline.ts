// A cluster's history, as the cluster page draws it ("what happened at 3 a.m.?"): the states the server observed,
// one entry per change, each with the time it was first and last seen. Pure: the server records entries
// (lib/server/monitor/timeline-recorder.ts) and the page reads them back.
import { ETCD_CLUSTERS } from './topology';
import type { ReplicaHealth, Severity } from './assessment';
import type { ClusterView } from './view';
import type { OperationView } from './operation-view';

/** How long the store keeps a cluster's history. */
export const TIMELINE_DAYS = 7;
/** Longer than this without an observation is a gap (the dashboard was down, or nothing observed the cluster). */
export const TIMELINE_GAP_MS = 60_000;

export type TimelineState = {
  canLoseReplicas: number;
  canLoseZones: number;
  quorumLost: boolean;
  /** Replica name -> health. */
  replicas: Record<string, ReplicaHealth>;
  /** The replica whose etcd main member leads, as the members report it; null when none is known. */
  leader: string | null;
  worst: Severity | null;
};

/** An operation as the timeline lists it. */
export type TimelineOperation = {
  id: string;
  kind: string;
  status: OperationView['status'];
  createdAt: string;
  endedAt: string | null;
};

/** A state from when it was first observed (`at`) to when it was last observed (`until`). */
export type TimelineEntry = { at: string; until: string; state: TimelineState };

export function timelineStateOf(view: Pick<ClusterView, 'topology' | 'assessment'>): TimelineState {
  const { topology: t, assessment: a } = view;
  const leaderId = a.etcd.main.leaderId;
  const leader =
    leaderId === null
      ? null
      : (t.replicas.find((r) => r.etcd.main.ok && r.etcd.main.memberId === leaderId)?.name ?? null);
  return {
    canLoseReplicas: a.canLoseReplicas,
    canLoseZones: a.canLoseZones,
    quorumLost: ETCD_CLUSTERS.some((c) => a.etcd[c].quorumLost),
    replicas: Object.fromEntries(Object.entries(a.replicaHealth).sort(([x], [y]) => x.localeCompare(y))),
    leader,
    worst: a.findings[0]?.severity ?? null,
  };
}

export function sameTimelineState(a: TimelineState, b: TimelineState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** How the strip colours a state: a confirmed failure first, then silence, then a thin margin. */
export type TimelineTone = 'ok' | 'degraded' | 'down' | 'unknown';

export function toneOf(s: TimelineState): TimelineTone {
  const healths = Object.values(s.replicas);
  if (s.quorumLost) return 'down';
  if (healths.includes('unhealthy')) return s.canLoseReplicas === 0 ? 'down' : 'degraded';
  if (healths.includes('unknown')) return 'unknown';
  return s.canLoseReplicas === 0 ? 'degraded' : 'ok';
}

/** A period in which a replica was not healthy, merged across gaps in which nobody observed it healthy. */
export type ReplicaOutage = {
  replica: string;
  from: string;
  to: string | null;
  health: Exclude<ReplicaHealth, 'healthy'>;
  gaps: boolean;
};

/**
 * Each period a replica was not healthy, oldest first; `to` is null while it lasts (it is not healthy in the last
 * entry). An outage that spans a gap (the dashboard restarted) keeps its real start: only an observation of the
 * replica healthy ends it. `health` is the worst seen: unhealthy over unknown.
 */
export function replicaOutages(entries: readonly TimelineEntry[]): ReplicaOutage[] {
  const open = new Map<string, ReplicaOutage>();
  const out: ReplicaOutage[] = [];
  let previousUntil: string | null = null;
  for (const e of entries) {
    const gap = previousUntil !== null && Date.parse(e.at) - Date.parse(previousUntil) > TIMELINE_GAP_MS;
    for (const [replica, health] of Object.entries(e.state.replicas)) {
      const current = open.get(replica);
      if (health === 'healthy') {
        if (current) {
          current.to = e.at;
          open.delete(replica);
        }
        continue;
      }
      if (current) {
        if (health === 'unhealthy') current.health = 'unhealthy';
        if (gap) current.gaps = true;
      } else {
        const outage: ReplicaOutage = { replica, from: e.at, to: null, health, gaps: false };
        open.set(replica, outage);
        out.push(outage);
      }
    }
    // A replica gone from the state (removed) ends its outage where it was last seen.
    for (const [replica, outage] of open) {
      if (!(replica in e.state.replicas)) {
        outage.to = previousUntil ?? e.at;
        open.delete(replica);
      }
    }
    previousUntil = e.until;
  }
  return out;
}

/** Every change of the etcd main leader between two entries. */
export function leaderChanges(
  entries: readonly TimelineEntry[],
): Array<{ at: string; from: string | null; to: string | null }> {
  const out: Array<{ at: string; from: string | null; to: string | null }> = [];
  for (let i = 1; i < entries.length; i++) {
    const [a, b] = [entries[i - 1], entries[i]];
    if (a && b && a.state.leader !== b.state.leader) out.push({ at: b.at, from: a.state.leader, to: b.state.leader });
  }
  return out;
}

/** The strip: the window [from, to] cut into coloured segments, with 'none' where nothing was observed. */
export type TimelineSegment = { from: string; to: string; tone: TimelineTone | 'none' };

export function timelineSegments(entries: readonly TimelineEntry[], from: string, to: string): TimelineSegment[] {
  const start = Date.parse(from);
  const end = Date.parse(to);
  const out: TimelineSegment[] = [];
  let cursor = start;
  const push = (a: number, b: number, tone: TimelineSegment['tone']) => {
    if (b <= a) return;
    const last = out[out.length - 1];
    if (last && last.tone === tone && Date.parse(last.to) === a) last.to = new Date(b).toISOString();
    else out.push({ from: new Date(a).toISOString(), to: new Date(b).toISOString(), tone });
  };
  entries.forEach((e, i) => {
    const next = entries[i + 1];
    const a = Math.max(start, Date.parse(e.at));
    // A state lasts until the next one began, unless nothing observed the cluster in between for too long.
    const seenUntil = Date.parse(e.until);
    const nextAt = next ? Date.parse(next.at) : null;
    const b = Math.min(end, nextAt !== null && nextAt - seenUntil <= TIMELINE_GAP_MS ? nextAt : seenUntil);
    if (b <= start || a >= end) return;
    push(cursor, a, 'none');
    push(a, b, toneOf(e.state));
    cursor = Math.max(cursor, b);
  });
  push(cursor, end, 'none');
  return out;
}
