// Restart a failed replica in place (the recovery wizard's lighter fix): start a stopped VM, or reset a running one
// whose etcd or API server is down. Its members stay, so there is no membership change and no backup gate.
import { describeReplicaHealth } from '../assessment';
import { toleranceOf, type Layout } from '../layout';
import type { RestartReplicaIntent } from '../planner';
import { noAccessOf, pushStep, refuse, unreachableZones, type Ctx, type Draft, type IntentPlanner } from './context';

/** VM states a start brings back (instances.start takes a TERMINATED instance; STOPPED is how some tools show it). */
const STARTABLE = new Set(['TERMINATED', 'STOPPED']);

function planRestartReplica(ctx: Ctx, start: Layout, intent: RestartReplicaIntent): Draft {
  const victim = start.replicas.find((r) => r.name === intent.name);
  const replica = ctx.t.replicas.find((r) => r.name === intent.name);
  if (!victim || !replica)
    return refuse('NotFound', `${intent.name} is not a replica of ${ctx.masterName}.`, {
      variant: 'notReplica',
      name: intent.name,
      cluster: ctx.masterName,
    });
  const blocked = noAccessOf(ctx, victim.name);
  if (blocked !== null) {
    return refuse(
      'NoAccess',
      `Quorum cannot get into ${victim.name} over SSH (${blocked}), so it does not know that ${victim.name} has failed and will not restart it: fix Quorum's access first (see the cluster's findings).`,
      { variant: 'restart', name: victim.name, reason: blocked },
    );
  }
  if (unreachableZones(ctx).has(victim.zone)) {
    return refuse(
      'ZoneUnavailable',
      `${victim.zone} is unreachable: a restart of ${victim.name} cannot reach it, and it would come back behind the same outage. Replace it in another zone instead.`,
      { variant: 'restart', zone: victim.zone, name: victim.name },
    );
  }
  // Its member must be there to rejoin: a replica that is no voter has nothing on its disk to come back with.
  if (
    victim.role !== 'voter' ||
    ctx.a.findings.some((f) => f.code === 'VmWithoutMember' && f.subject === victim.name)
  ) {
    return refuse(
      'NotFound',
      `${victim.name} is not a voting member of etcd, so restarting it brings nothing back: replace it instead.`,
      { variant: 'notVoter', name: victim.name },
    );
  }
  const health = describeReplicaHealth(replica).health;
  let action: 'start' | 'reset';
  if (STARTABLE.has(replica.vmStatus)) action = 'start';
  else if (replica.vmStatus === 'RUNNING') {
    if (health === 'healthy')
      return refuse(
        'QuorumAtRisk',
        `${victim.name} is healthy: restarting it would take a working voter away for nothing.`,
        { variant: 'healthy', name: victim.name },
      );
    action = 'reset';
  } else {
    return refuse(
      'ProviderUnavailable',
      `${victim.name} is ${replica.vmStatus}: it can be started once it is TERMINATED, or reset while RUNNING; wait for it, or replace it.`,
      { name: victim.name, vmStatus: replica.vmStatus },
    );
  }
  // Its voter is already down, so the restart costs no tolerance; a voter that still answers (only its API server is
  // down) would be taken away for the reset: refused when the others could not keep quorum without it.
  const before = toleranceOf(start);
  const voterUp = replica.vmStatus === 'RUNNING' && replica.etcd.main.ok && replica.etcd.events.ok;
  if (voterUp && ctx.a.canLoseReplicas < 1) {
    return refuse(
      'QuorumAtRisk',
      `Resetting ${victim.name} would take down a voter etcd needs for its quorum now (the cluster can lose 0 replicas); bring the other replicas back first.`,
      { variant: 'reset', name: victim.name },
    );
  }
  const during: Layout = {
    ...start,
    replicas: start.replicas.map((r) => (r.name === victim.name ? { ...r, healthy: false } : r)),
  };
  const after: Layout = {
    ...start,
    replicas: start.replicas.map((r) => (r.name === victim.name ? { ...r, healthy: true } : r)),
  };
  const params = { name: victim.name, zone: victim.zone, action };
  pushStep(
    ctx,
    'restart',
    victim.zone,
    'restart-instance',
    action === 'start'
      ? `Start the VM ${victim.name} in ${victim.zone} (instances.start: it boots from its own disks)`
      : `Reset the VM ${victim.name} in ${victim.zone} (instances.reset, a hard restart: etcd starts again from its disk)`,
    params,
    during,
  );
  pushStep(
    ctx,
    'restart',
    victim.zone,
    'await-replica-rejoined',
    `Wait until etcd main and events on ${victim.name} answer as the same members, caught up with the leader, and its API server is ready`,
    params,
    after,
  );
  pushStep(
    ctx,
    'restart',
    victim.zone,
    'verify',
    `Check that ${victim.name} is a healthy voter again and the member lists match the replicas`,
    params,
    after,
  );
  const project = ctx.t.cluster.project;
  return {
    ok: true,
    plan: {
      intent,
      summary:
        action === 'start'
          ? `Start ${victim.name} in ${victim.zone}; it rejoins etcd as the same member`
          : `Reset ${victim.name} in ${victim.zone}; it rejoins etcd as the same member`,
      summaryParams: params,
      steps: ctx.steps,
      before,
      after: toleranceOf(after),
      warnings: [],
      kubeUpCommand: `gcloud compute instances ${action} ${victim.name} --zone ${victim.zone} --project ${project}`,
    },
  };
}

export const restartReplicaPlanner: IntentPlanner<'restart-replica'> = {
  kind: 'restart-replica',
  plan: planRestartReplica,
};
