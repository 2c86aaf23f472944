// The intent planners, one kind per file. A new intent: its type in Intent and ClusterIntent and its kind in
// INTENT_KINDS (../planner.ts), a planner file here, and its entry below (the compiler asks for it). create-cluster is
// planned without a topology (create-cluster.ts, called by planOperation directly), so it has no entry.
import { addReplicaPlanner } from './add-replica';
import type { ClusterIntentKind, IntentPlanner } from './context';
import { rebalancePlanner } from './rebalance';
import { removeReplicaPlanner } from './remove-replica';
import { replaceReplicaPlanner } from './replace-replica';
import { restartReplicaPlanner } from './restart-replica';
import { scalePlanner } from './scale';

export type { ClusterIntentKind, Ctx, Draft, IntentPlanner } from './context';

/** Every kind of ClusterIntent, with the planner of that kind and no other (its `kind` is its key). */
export type IntentPlanners = { readonly [K in ClusterIntentKind]: IntentPlanner<K> };

export const INTENT_PLANNERS: IntentPlanners = {
  'add-replica': addReplicaPlanner,
  'remove-replica': removeReplicaPlanner,
  'replace-replica': replaceReplicaPlanner,
  'restart-replica': restartReplicaPlanner,
  rebalance: rebalancePlanner,
  scale: scalePlanner,
};
