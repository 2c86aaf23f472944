// Assessment: what a Topology means for availability. Pure: derived from the Topology alone.
import type { EtcdClusterName, Topology } from './topology';

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
};

export type ReplicaHealth = 'healthy' | 'unhealthy' | 'unknown';

export type EtcdQuorum = {
  voters: number;
  healthyVoters: number;
  learners: number;
  /** floor(voters/2)+1 */
  quorum: number;
  hasQuorum: boolean;
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

export type Assessment = {
  etcd: Record<EtcdClusterName, EtcdQuorum>;
  replicaHealth: Record<string, ReplicaHealth>;
  healthyReplicas: number;
  totalReplicas: number;
  /** How many more replicas can fail now (any ones) with quorum kept in both etcd clusters; 0 when quorum is already lost. */
  canLoseReplicas: number;
  /** How many more whole zones can fail now (any ones, worst case) with quorum kept. */
  canLoseZones: number;
  zones: ZoneAssessment[];
  /** Worst first (critical, warning, info), stable within a severity. */
  findings: Finding[];
};
