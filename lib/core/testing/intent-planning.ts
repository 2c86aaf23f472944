// For the intent planners' tests only: what one planner makes of a topology on its own (without planOperation's
// checks before it), and the step sequences of one add and one removal that the expected plans are made of.
import { assessTopology } from '../assessment';
import type { DomainErrorCode } from '../errors';
import { layoutOf } from '../layout';
import type { ClusterIntent, StepKind } from '../planner';
import { NOW } from './topology-builder';
import type { Topology } from '../topology';
import { planContextOf, type ClusterIntentKind, type Draft, type IntentPlanner } from '../intents/context';

/** One add to a cluster that has a load balancer. */
export const ADD: readonly StepKind[] = [
  'pick-name',
  'issue-certificates',
  'snapshot-etcd',
  'add-learner',
  'create-disk',
  'create-instance',
  'add-to-target-pool',
  'await-learner-catch-up',
  'promote-learner',
  'await-api-server',
  'verify',
];
/** The first add to a cluster without a load balancer: the gate, then these, then the add without its own gate. */
export const LB_UP: readonly StepKind[] = [
  'snapshot-etcd',
  'move-first-replica-to-ephemeral-ip',
  'create-target-pool',
  'create-forwarding-rule',
  'await-cluster-address',
];
export const ADD_AFTER_LB_UP: readonly StepKind[] = ADD.filter((k) => k !== 'snapshot-etcd');
/** One removal from a cluster that keeps its load balancer. */
export const REMOVE: readonly StepKind[] = [
  'resolve-replica',
  'move-leadership',
  'snapshot-etcd',
  'remove-member',
  'remove-from-target-pool',
  'delete-instance',
  'delete-disk',
  'verify',
];
/** A removal that leaves one replica: the load balancer goes before its verify. */
export const REMOVE_TO_ONE: readonly StepKind[] = [
  ...REMOVE.slice(0, -1),
  'delete-forwarding-rule',
  'return-static-ip-to-last-replica',
  'delete-target-pool',
  'verify',
];

/** What `planner` alone returns for `intent` on `t`, as planOperation would call it. */
export function draftOf<K extends ClusterIntentKind>(
  planner: IntentPlanner<K>,
  t: Topology,
  intent: Extract<ClusterIntent, { kind: K }>,
  newNames?: string[],
): Draft {
  const a = assessTopology(t, NOW);
  return planner.plan(planContextOf(t, a, { newNames }), layoutOf(t, a), intent);
}

/** A draft as a table compares it: the step kinds of its plan, or the code of its refusal. */
export function outcomeOf(draft: Draft): StepKind[] | DomainErrorCode {
  return draft.ok ? draft.plan.steps.map((s) => s.kind) : draft.refusal.code;
}

/** The plan's summary, or the refusal's message: what a row's `says` is matched against. */
export function wordsOf(draft: Draft): string {
  return draft.ok ? draft.plan.summary : draft.refusal.message;
}
