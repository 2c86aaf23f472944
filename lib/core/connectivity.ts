// Who can talk to whom among an etcd cluster's voters, from what each member's etcd reports (its active peer
// links), and what that leaves of the fault tolerance. Pure.
//
// Raft commits through a leader that reaches a majority of the voters directly (itself included): the leader's
// heartbeats and appends go member to member, never relayed. So with the links known, the cluster keeps working
// while some member still has direct links to a quorum of the live voters; counting live voters is not enough
// once links are cut (a partition between two zones leaves every member up and answering, but a leader in the
// third zone is then the only one that can hold the cluster together).
//
// Links: a pair is cut only when every side that reported its view lacks the other (and at least one side
// reported); when one side lists the other as an active peer, the pair is linked. One side's word is not enough:
// etcd's gauge can stay at 0 for a link that works after a member restarts (etcd-io/etcd#14523: "Peer
// occasionally becomes and stays inactive after member restart"), and a member that just started or joined
// reports its links before all of them are up, while in a real partition both sides lose the link within
// etcd's 5 s stream read timeout. A pair neither side reported on is assumed linked (as the counting tolerance
// assumes every link), so with no view known the results equal the counting ones (quorum.ts).

import { quorumOf } from './quorum';

export type GraphMember = {
  /** Member id (decimal), as the views name peers. */
  id: string;
  zone: string;
  /** The member ids it reports an active link to; null when its view is unknown. */
  sees: ReadonlySet<string> | null;
};

export type PeerGraph = {
  /** Total voters, healthy or not: sets the quorum. */
  voters: number;
  /** The healthy (answering) voters, the only ones that can lead or vote now. */
  members: readonly GraphMember[];
};

/** Larger graphs are not searched (2^n subsets): the counting tolerance stands for them. */
export const MAX_GRAPH_MEMBERS = 12;

export function linked(a: GraphMember, b: GraphMember): boolean {
  return a.sees?.has(b.id) === true || b.sees?.has(a.id) === true || (a.sees === null && b.sees === null);
}

/** Whether some member of `alive` reaches a quorum of the voters directly, itself included. */
export function someMemberReachesQuorum(alive: readonly GraphMember[], voters: number): boolean {
  const q = quorumOf(voters);
  if (voters <= 0) return false;
  return alive.some((m) => 1 + alive.filter((o) => o !== m && linked(m, o)).length >= q);
}

/** The members that reach a quorum directly now: the ones that can be (or are) the leader. */
export function possibleLeaders(g: PeerGraph): GraphMember[] {
  const q = quorumOf(g.voters);
  if (g.voters <= 0) return [];
  return g.members.filter((m) => 1 + g.members.filter((o) => o !== m && linked(m, o)).length >= q);
}

function* subsetsOfSize<T>(items: readonly T[], k: number, start = 0): Generator<T[]> {
  if (k === 0) {
    yield [];
    return;
  }
  for (let i = start; i <= items.length - k; i++) {
    for (const rest of subsetsOfSize(items, k - 1, i + 1)) yield [items[i] as T, ...rest];
  }
}

/**
 * How many more members can be lost (any ones) with some member still reaching a quorum directly: one less than
 * the smallest number of losses after which none does. 0 when none does now.
 */
export function membersThatCanBeLost(g: PeerGraph): number {
  const all = g.members;
  if (!someMemberReachesQuorum(all, g.voters)) return 0;
  for (let k = 1; k <= all.length; k++) {
    for (const lost of subsetsOfSize(all, k)) {
      if (
        !someMemberReachesQuorum(
          all.filter((m) => !lost.includes(m)),
          g.voters,
        )
      )
        return k - 1;
    }
  }
  return all.length;
}

/** Zones holding healthy members, sorted. */
function zonesOf(g: PeerGraph): string[] {
  return [...new Set(g.members.map((m) => m.zone))].sort();
}

export function zoneLossKeepsLeader(g: PeerGraph, zone: string): boolean {
  return someMemberReachesQuorum(
    g.members.filter((m) => m.zone !== zone),
    g.voters,
  );
}

/** As membersThatCanBeLost, for whole zones (any ones, worst case). */
export function zonesThatCanBeLostGiven(g: PeerGraph): number {
  if (!someMemberReachesQuorum(g.members, g.voters)) return 0;
  const zones = zonesOf(g);
  for (let k = 1; k <= zones.length; k++) {
    for (const lost of subsetsOfSize(zones, k)) {
      if (
        !someMemberReachesQuorum(
          g.members.filter((m) => !lost.includes(m.zone)),
          g.voters,
        )
      )
        return k - 1;
    }
  }
  return zones.length;
}

/** Members whose loss alone leaves no member reaching a quorum (while one does now): the cluster holds through them. */
export function membersHoldingQuorum(g: PeerGraph): GraphMember[] {
  if (!someMemberReachesQuorum(g.members, g.voters)) return [];
  return g.members.filter(
    (m) =>
      !someMemberReachesQuorum(
        g.members.filter((o) => o !== m),
        g.voters,
      ),
  );
}

/** Pairs of healthy members that are not linked although at least one of them reported its view. */
export function cutPairs(g: PeerGraph): Array<[GraphMember, GraphMember]> {
  const out: Array<[GraphMember, GraphMember]> = [];
  g.members.forEach((a, i) => {
    for (const b of g.members.slice(i + 1)) if ((a.sees !== null || b.sees !== null) && !linked(a, b)) out.push([a, b]);
  });
  return out;
}

/** Pairs of zones (sorted, each pair sorted) between which no healthy member is linked to another. */
export function cutZonePairs(g: PeerGraph): Array<[string, string]> {
  const zones = zonesOf(g);
  const out: Array<[string, string]> = [];
  zones.forEach((za, i) => {
    for (const zb of zones.slice(i + 1)) {
      const a = g.members.filter((m) => m.zone === za);
      const b = g.members.filter((m) => m.zone === zb);
      const reported = [...a, ...b].some((m) => m.sees !== null);
      if (reported && a.every((x) => b.every((y) => !linked(x, y)))) out.push([za, zb]);
    }
  });
  return out;
}
