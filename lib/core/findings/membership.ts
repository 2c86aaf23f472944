// Membership: etcd members and replicas that do not match, learners, and main and events that list different members.
import type { RuleFinding } from '../assessment';
import { listOf } from '../format';
import { ETCD_CLUSTERS, type EtcdClusterName } from '../topology';
import type { Context, FindingRule } from './context';

function clustersLabel(clusters: readonly EtcdClusterName[]): string {
  return clusters.length === ETCD_CLUSTERS.length ? 'main and events' : listOf(clusters);
}

function membershipFindings(ctx: Context): RuleFinding[] {
  const out: RuleFinding[] = [];
  // Voters without a VM, grouped by label across main and events.
  const orphans = new Map<string, EtcdClusterName[]>();
  for (const c of ctx.clusters)
    for (const s of c.voters) if (!s.replica) orphans.set(s.label, [...(orphans.get(s.label) ?? []), c.name]);
  for (const [label, clusters] of orphans) {
    out.push({
      code: 'MemberWithoutVm',
      severity: 'critical',
      subject: label,
      message: `etcd member ${label} (${clustersLabel(clusters)}) has no replica VM behind it, so it counts as a voter that never answers and uses up the cluster's fault tolerance.`,
      fix: `Replace it with the Recover replica wizard, which removes member ${label} from etcd ${clustersLabel(clusters)} first and then adds a replica.`,
      params: { member: label, clusters },
    });
  }
  // Replicas that are no member, grouped by replica.
  const strays = new Map<string, EtcdClusterName[]>();
  for (const c of ctx.clusters)
    for (const r of c.replicasWithoutMember) strays.set(r.name, [...(strays.get(r.name) ?? []), c.name]);
  for (const [name, clusters] of strays) {
    out.push({
      code: 'VmWithoutMember',
      severity: 'warning',
      subject: name,
      message: `Replica ${name} runs no member of etcd ${clustersLabel(clusters)}, so it adds nothing to etcd's fault tolerance and its API server, which talks only to its local etcd, does not serve the cluster's data.`,
      fix: `Replace ${name} with the Recover replica wizard, or remove it with the Remove replica wizard if the cluster does not need it.`,
      params: { replica: name, clusters },
    });
  }
  // Learners, grouped by label: info while one catches up, warning when it is stranded.
  const learners = new Map<string, { clusters: EtcdClusterName[]; stranded: boolean; hasVm: boolean }>();
  for (const c of ctx.clusters) {
    for (const s of c.learners) {
      const prev = learners.get(s.label) ?? { clusters: [], stranded: false, hasVm: s.replica !== null };
      const stranded = !s.replica || s.replica.vmStatus !== 'RUNNING' || !s.answering;
      learners.set(s.label, {
        clusters: [...prev.clusters, c.name],
        stranded: prev.stranded || stranded,
        hasVm: prev.hasVm && s.replica !== null,
      });
    }
  }
  for (const [label, l] of learners) {
    const where = clustersLabel(l.clusters);
    const params = {
      variant: l.stranded ? 'stranded' : 'catchingUp',
      member: label,
      clusters: l.clusters,
      clusterCount: l.clusters.length,
      hasVm: l.hasVm,
    };
    out.push(
      l.stranded
        ? {
            code: 'LearnerPresent',
            severity: 'warning',
            subject: label,
            message: `etcd ${where} ${l.clusters.length > 1 ? 'have' : 'has'} a learner ${label} ${l.hasVm ? 'whose replica does not answer' : 'that no replica VM backs'}, most likely left by an interrupted add, and it blocks further adds because etcd allows one learner at a time.`,
            fix: `Resume the add with the Add replica wizard, or abandon it by removing learner ${label} from etcd ${where} with the Remove replica wizard.`,
            params,
          }
        : {
            code: 'LearnerPresent',
            severity: 'info',
            subject: label,
            message: `Replica ${label} is an etcd learner in ${where}, catching up with the leader, so it does not vote yet and etcd refuses another add until it is promoted.`,
            fix: 'Let the running add operation promote it once it has caught up; if no operation is running, resume the add with the Add replica wizard.',
            params,
          },
    );
  }
  // Main and events should have the same members (the same replicas).
  const [main, events] = ctx.clusters;
  if (main?.identities && events?.identities) {
    const onlyMain = [...main.identities].filter((x) => !events.identities?.has(x));
    const onlyEvents = [...events.identities].filter((x) => !main.identities?.has(x));
    if (onlyMain.length > 0 || onlyEvents.length > 0) {
      const parts = [
        ...(onlyMain.length > 0 ? [`only in main: ${onlyMain.join(', ')}`] : []),
        ...(onlyEvents.length > 0 ? [`only in events: ${onlyEvents.join(', ')}`] : []),
      ];
      out.push({
        code: 'MembershipMismatch',
        severity: 'warning',
        subject: null,
        message: `etcd main and events list different members (${parts.join('; ')}), so the two clusters tolerate different failures and a change that must touch both can fail halfway.`,
        fix: `Make both list the same replicas: replace ${listOf([...onlyMain, ...onlyEvents])} with the Recover replica wizard, which changes main and events together.`,
        params: {
          differs: onlyMain.length > 0 && onlyEvents.length > 0 ? 'both' : onlyMain.length > 0 ? 'main' : 'events',
          onlyMain,
          onlyEvents,
          replace: [...onlyMain, ...onlyEvents],
        },
      });
    }
  }
  return out;
}

export const membershipRule: FindingRule = {
  name: 'membership',
  codes: ['MemberWithoutVm', 'VmWithoutMember', 'LearnerPresent', 'MembershipMismatch'],
  evaluate: membershipFindings,
};
