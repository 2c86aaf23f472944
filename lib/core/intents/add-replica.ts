// Add one replica in a zone of the region: the load balancer first when the cluster has none yet, then the new
// member as a learner, promoted once it has caught up (planAdds in context.ts, which a scale-up shares).
import type { AddReplicaIntent } from '../planner';
import type { Layout } from '../layout';
import { planAdds, type Ctx, type Draft, type IntentPlanner } from './context';

function planAddReplica(ctx: Ctx, start: Layout, intent: AddReplicaIntent): Draft {
  return planAdds(ctx, start, intent, [intent.zone]);
}

export const addReplicaPlanner: IntentPlanner<'add-replica'> = { kind: 'add-replica', plan: planAddReplica };
