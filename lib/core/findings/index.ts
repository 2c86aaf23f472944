// The finding rules, one family per file. A new finding: its code in FINDING_CODES (../assessment.ts), a rule
// file here (or a case in the rule it belongs to), and its line below.
import type { FindingRule } from './context';
import { layoutRule } from './layout';
import { leasesRule } from './leases';
import { loadBalancerRule } from './load-balancer';
import { membershipRule } from './membership';
import { partitionRule } from './partition';
import { quorumRule } from './quorum';
import { replicaHealthRule } from './replica-health';
import { settingsRule } from './settings';

export type { ClusterEval, ClusterLinks, Context, FindingRule, Seat } from './context';

/**
 * Every rule, in the order assessTopology lists their findings within a severity (it sorts stably, worst first):
 * changing the order changes what the page shows first.
 */
export const FINDING_RULES: readonly FindingRule[] = [
  quorumRule,
  replicaHealthRule,
  membershipRule,
  layoutRule,
  loadBalancerRule,
  leasesRule,
  settingsRule,
  partitionRule,
];
