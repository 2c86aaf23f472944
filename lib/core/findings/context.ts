// What every finding rule reads: the Topology evaluated once by assessTopology (contextOf in ../assessment.ts).
// Types only, so that the rules and assessment.ts can both import it without a runtime cycle.
import type { EtcdConnectivity, EtcdQuorum, FindingCode, ReplicaHealthDetail, RuleFinding } from '../assessment';
import type { PeerGraph } from '../connectivity';
import type { ClusterDiagnosis } from '../failure';
import type { EtcdClusterName, Replica, Topology } from '../topology';

/** An etcd member as the rules see it: bound to the replica that runs it, when one does. */
export type Seat = {
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

export type ClusterEval = {
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

export type ClusterLinks = { graph: PeerGraph; connectivity: EtcdConnectivity };

export type Context = {
  t: Topology;
  now: Date;
  health: Record<string, ReplicaHealthDetail>;
  diagnosis: ClusterDiagnosis;
  /** main, then events (ETCD_CLUSTERS order). */
  clusters: ClusterEval[];
  canLoseReplicas: number;
  /** Per entry of `clusters`: the healthy voters' peer links, null when none reported them. */
  links: Array<ClusterLinks | null>;
  /** Zones of the region with no replica, in order. */
  freeZones: string[];
  replicasByZone: Map<string, Replica[]>;
};

/**
 * One family of findings. `codes` lists every code `evaluate` can emit, and each code belongs to exactly one
 * rule (findings/index.test.ts), so a code's wording and severity live in one file; its words in other languages
 * live in messages/<locale>/findings.json, made of the finding's params (tests/unit/findings-catalog.test.ts holds
 * the English catalog to the rule's own sentences).
 */
export type FindingRule = {
  name: string;
  codes: readonly FindingCode[];
  evaluate(ctx: Context): RuleFinding[];
};
