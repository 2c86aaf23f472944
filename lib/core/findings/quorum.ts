// Quorum: an etcd cluster that lost quorum for sure, or that Quorum cannot reach at all.
import type { RuleFinding } from '../assessment';
import { listOf, pluralize } from '../format';
import type { EtcdClusterName } from '../topology';
import type { Context, FindingRule } from './context';

const ETCD_CLIENT_PORT: Record<EtcdClusterName, number> = { main: 2379, events: 4002 };

function quorumFindings(ctx: Context): RuleFinding[] {
  const out: RuleFinding[] = [];
  for (const c of ctx.clusters) {
    const { voters, healthyVoters, quorum } = c.quorum;
    // Running replicas Quorum could get into: where none could, the NoAccess findings say why instead.
    const vmStillRunning = ctx.t.replicas.some((r) => r.vmStatus === 'RUNNING' && ctx.health[r.name]?.noAccess == null);
    const unreachable = !c.answered && vmStillRunning;
    if (unreachable) {
      // Silence alone (every member timed out) is not etcd's answer: the members may be fine and Quorum's path to them
      // slow. Critical only when a member refused.
      const silentOnly = c.voters.every((s) => s.timedOut || s.replica === null || s.replica.vmStatus !== 'RUNNING');
      out.push({
        code: 'EtcdUnreachable',
        severity: silentOnly ? 'warning' : 'critical',
        subject: `etcd ${c.name}`,
        message: silentOnly
          ? `No member of etcd ${c.name} answered in time, so Quorum cannot tell whether it has quorum; the members may be fine and Quorum's path to them slow or cut.`
          : `No member of etcd ${c.name} answered, so Quorum cannot tell whether it has quorum, and the API servers that depend on it may be down.`,
        fix: `Check that etcd ${c.name} runs on the replicas and that its client port ${ETCD_CLIENT_PORT[c.name]} is reachable from Quorum (on GCE, through the SSH tunnel to a master).`,
        params: { cluster: c.name, silentOnly, port: ETCD_CLIENT_PORT[c.name] },
      });
    }
    // Lost for sure only when the voters that may still be up (timed out) could not make a quorum either.
    if (!c.quorum.quorumLost) continue;
    if (voters === 0) {
      out.push({
        code: 'QuorumLost',
        severity: 'critical',
        subject: `etcd ${c.name}`,
        message: `etcd ${c.name} has no voting member left, so the API servers have no cluster state and the control plane is down.`,
        fix: 'Restore etcd from a backup onto a new replica, or create the cluster again with the Create cluster wizard.',
        params: { variant: 'noVoters', cluster: c.name },
      });
      continue;
    }
    const downWithVm = c.voters.filter((s) => !s.answering && s.replica).map((s) => s.label);
    out.push({
      code: 'QuorumLost',
      severity: 'critical',
      subject: `etcd ${c.name}`,
      message: `etcd ${c.name} has lost quorum (${healthyVoters} of ${pluralize(voters, 'voter')} healthy, ${quorum} needed), so the API servers cannot read or write cluster state and the control plane is down.`,
      fix:
        downWithVm.length > 0
          ? `Bring back ${listOf(downWithVm)} (start the VM or its etcd) until ${quorum} voters answer; membership changes, and so the Recover replica wizard, need quorum first.`
          : `Restore quorum by hand: restart etcd ${c.name} on a surviving replica with --force-new-cluster on its data, then add replicas back with the Add replica wizard.`,
      params: {
        variant: downWithVm.length > 0 ? 'bringBack' : 'byHand',
        cluster: c.name,
        healthy: healthyVoters,
        voters,
        quorum,
        down: downWithVm,
      },
    });
  }
  return out;
}

export const quorumRule: FindingRule = {
  name: 'quorum',
  codes: ['EtcdUnreachable', 'QuorumLost'],
  evaluate: quorumFindings,
};
