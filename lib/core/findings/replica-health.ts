// Replica health: replicas that failed or did not answer, zones that are down, members that lag, and replicas
// Quorum cannot get into (NoAccess, which is about Quorum's access, not the replica).
import type { ReplicaHealth, RuleFinding } from '../assessment';
import { describePrimaryFailure, FAILURE_LABELS } from '../failure';
import { listOf, pluralize } from '../format';
import { hostKeyChangeOf, type NoAccessKind } from '../probe-errors';
import type { Replica } from '../topology';
import type { Context, FindingRule } from './context';
import { partParams } from './params';

/** A failure class as a catalog's `select` names it: `vm-stopped` -> `vmStopped` (a select key has no hyphen). */
function selectKey(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function replicaFindings(ctx: Context): RuleFinding[] {
  const out: RuleFinding[] = [];
  const critical = ctx.canLoseReplicas === 0;
  const lost = ctx.clusters.some((c) => !c.quorum.hasQuorum);
  for (const r of ctx.t.replicas) {
    const detail = ctx.health[r.name];
    if (!detail || detail.health === 'healthy') continue;
    if (detail.health === 'unknown' && detail.noAccess) {
      out.push(noAccessFinding(r, detail.noAccess));
      continue;
    }
    const etcdFine = ctx.clusters.every((c) => c.voters.some((s) => s.replica === r && s.answering));
    const consequenceKey = etcdFine ? 'requestsFail' : lost ? 'noQuorum' : critical ? 'atQuorum' : 'canLose';
    const consequence = etcdFine
      ? 'requests the load balancer sends to it fail'
      : lost
        ? 'etcd is short of a quorum'
        : critical
          ? 'the cluster is down to its quorum and one more failure stops the control plane'
          : `the cluster can lose only ${pluralize(ctx.canLoseReplicas, 'more replica')}`;
    const reasons = detail.reasons.join(', ');
    const primary = ctx.diagnosis.replicas[r.name]?.primary ?? null;
    const label = primary ? `${FAILURE_LABELS[primary]}: ` : '';
    const params = {
      replica: r.name,
      failure: primary ? selectKey(primary) : 'none',
      timedOut: detail.timedOut,
      ...partParams('reasons', detail.causes),
      consequence: consequenceKey,
      canLose: ctx.canLoseReplicas,
    };
    const message =
      detail.health === 'unknown'
        ? `Replica ${r.name} did not answer in time (${label}${listOf(detail.timedOut)}), so its health is unknown: it may be fine and Quorum's path to it slow, and until it answers it is not counted towards the tolerance.`
        : `Replica ${r.name} is unhealthy (${label}${reasons}), so ${consequence}.`;
    const cutOff = cutOffFromLeader(ctx, r.name);
    if (detail.health === 'unhealthy' && cutOff) {
      // Its etcd answers but has lost the leader behind a partition: the API server's etcd check fails with it.
      // A replacement would sit behind the same cut, so no recovery is offered; the network is the fix.
      const cutOffZones = [...new Set(cutOff.map((n) => ctx.t.replicas.find((x) => x.name === n)?.zone ?? n))];
      out.push({
        code: 'ReplicaUnhealthy',
        severity: critical ? 'critical' : 'warning',
        subject: r.name,
        message: `Replica ${r.name} is unhealthy (${reasons}): its etcd main answers but knows no leader, because it has no link to ${listOf(cutOff)} (a partition, see the partition finding), so requests the load balancer sends to it fail.`,
        fix: `Do not replace ${r.name}: restore the network between its zone and ${listOf(cutOffZones)} (VPC routes, firewall rules for etcd's peer ports); it rejoins by itself.`,
        ...(primary ? { failure: primary } : {}),
        params: { ...params, state: 'cutOff', cutOff, cutOffZones, remedy: 'network' },
      });
      continue;
    }
    out.push({
      code: 'ReplicaUnhealthy',
      // Silence is never critical by itself: only a confirmed failure is.
      severity: critical && detail.health === 'unhealthy' ? 'critical' : 'warning',
      subject: r.name,
      message,
      fix: replicaFix(r, detail.health),
      ...(primary ? { failure: primary } : {}),
      action: { kind: 'recover', replica: r.name },
      params: { ...params, state: detail.health, ...replicaFixParams(r, detail.health) },
    });
  }
  for (const outage of ctx.diagnosis.zonesUnreachable) {
    if (outage.replicas.length === 0) {
      out.push({
        code: 'ZoneUnreachable',
        severity: 'warning',
        subject: outage.zone,
        message: `Zone ${outage.zone} looks unreachable (${outage.evidence}), so new replicas cannot be placed there until it is back.`,
        fix: `Wait until ${outage.zone} is back (its nodes Ready again); then rebalance any zone that holds two replicas.`,
        failure: 'zone-unreachable',
        params: { variant: 'free', zone: outage.zone, nodesTotal: outage.nodes?.total ?? 0 },
      });
      continue;
    }
    const names = listOf(outage.replicas);
    const others = ctx.t.regionZones.filter((z) => z !== outage.zone);
    out.push({
      code: 'ZoneUnreachable',
      severity: 'critical',
      subject: outage.zone,
      message: `Zone ${outage.zone} is unreachable: ${outage.evidence}, so ${outage.replicas.length === 1 ? `replica ${names} counts` : `replicas ${names} count`} as down and ${lost ? 'etcd is short of a quorum' : critical ? 'one more failure stops the control plane' : `the cluster can lose only ${pluralize(ctx.canLoseReplicas, 'more replica')}`}.`,
      fix: `Wait for the zone to come back, or replace ${names} in ${others.length > 0 ? listOf(others) : 'another zone of the region'} with the Recover replica wizard (one zone then holds two replicas: rebalance when ${outage.zone} returns).`,
      failure: 'zone-unreachable',
      ...(outage.replicas[0] !== undefined
        ? { action: { kind: 'recover' as const, replica: outage.replicas[0] } }
        : {}),
      // outage.evidence, as data (failure.ts words it from these).
      params: {
        variant: 'withReplicas',
        zone: outage.zone,
        replicaCount: outage.replicas.length,
        nodesKnown: outage.nodes !== null && outage.nodes.total > 0,
        nodesNotReady: outage.nodes?.notReady ?? 0,
        nodesTotal: outage.nodes?.total ?? 0,
        replicas: outage.replicas,
        consequence: lost ? 'noQuorum' : critical ? 'atQuorum' : 'canLose',
        canLose: ctx.canLoseReplicas,
        otherZones: others,
        hasOtherZones: others.length > 0,
      },
    });
  }
  for (const d of Object.values(ctx.diagnosis.replicas)) {
    if (d.primary !== 'member-lagging' || ctx.health[d.replica]?.health !== 'healthy') continue;
    out.push({
      code: 'MemberLagging',
      severity: 'warning',
      subject: d.replica,
      message: `Replica ${d.replica} is lagging behind the etcd leader (${describePrimaryFailure(d) ?? ''}), so its API server may serve stale reads and it would not count towards a quorum if the leader needed it now.`,
      fix: `Check ${d.replica}'s disk and network latency (etcd's log warns about slow fsync or heartbeats); if it does not catch up, replace it with the Recover replica wizard.`,
      failure: 'member-lagging',
      action: { kind: 'recover', replica: d.replica },
      params: { replica: d.replica, evidence: describePrimaryFailure(d) ?? '' },
    });
  }
  return out;
}

/**
 * The members (by name) `replica`'s etcd main has no link to, when it knows no leader and is one side of a cut
 * pair (connectivity.ts): a member that lost its leader to a partition, not a failed one. Null otherwise.
 */
function cutOffFromLeader(ctx: Context, replica: string): string[] | null {
  const k = ctx.links[0]?.connectivity;
  const view = k?.views.find((v) => v.replica === replica);
  if (!k || !view || view.leader !== null) return null;
  const cut = k.cutPairs.flatMap(([a, b]) => (a === replica ? [b] : b === replica ? [a] : []));
  return cut.length > 0 ? cut : null;
}

/**
 * Quorum's own access problem on a replica: a warning that says what to fix, with no recovery offered (the
 * replica may be perfectly fine) and no claim about quorum.
 */
export function noAccessFinding(
  r: Pick<Replica, 'name' | 'zone'>,
  noAccess: { kind: NoAccessKind; reason: string },
): RuleFinding {
  const change = noAccess.kind === 'host-key' ? hostKeyChangeOf(noAccess.reason) : null;
  const consequence = 'so its health is unknown: it is not counted as failed, and no change that needs it can be made.';
  if (change) {
    return {
      code: 'NoAccess',
      severity: 'warning',
      subject: r.name,
      message: `Quorum refuses to log in to replica ${r.name}: its SSH host key changed from ${change.pinnedFingerprint} (pinned) to ${change.presentedFingerprint}, ${consequence}`,
      fix: `Check on the VM itself (its serial console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) that ${change.presentedFingerprint} is its key, e.g. because it was re-imaged; if so, an admin trusts the new host key here. If it is not, someone may be in the middle: never accept it unchecked.`,
      hostKey: { replica: r.name, zone: r.zone, ...change },
      params: {
        replica: r.name,
        hostKeyChanged: true,
        pinned: change.pinnedFingerprint,
        presented: change.presentedFingerprint,
      },
    };
  }
  return {
    code: 'NoAccess',
    severity: 'warning',
    subject: r.name,
    message: `Quorum cannot get into replica ${r.name} over SSH (${noAccess.reason}), ${consequence}`,
    fix: NO_ACCESS_FIX[noAccess.kind](r.name),
    params: { replica: r.name, hostKeyChanged: false, reason: noAccess.reason, kind: selectKey(noAccess.kind) },
  };
}

const NO_ACCESS_FIX: Record<NoAccessKind, (name: string) => string> = {
  key: (name) =>
    `Quorum publishes its key in ${name}'s ssh-keys metadata again by itself, and the guest agent takes it up within seconds. If this stays, check that Quorum's service account may set instance metadata (compute.instances.setMetadata), that the guest agent runs on the VM, and that nothing keeps removing the key.`,
  network: (name) =>
    `Check the network path from Quorum to port 22 of ${name}: a firewall rule allowing tcp:22 from Quorum's address, the address Quorum dials (QUORUM_SSH_ADDRESS: internal inside the VPC, external otherwise), and that sshd runs on the VM.`,
  'host-key': (name) =>
    `The host key of ${name} is not one Quorum can trust: verify on the VM (its serial console) that the key changed legitimately, e.g. the VM was re-imaged; never accept it unchecked.`,
  'os-login': (name) =>
    `OS Login is enabled for ${name} (enable-oslogin=TRUE); Quorum does not support OS Login yet: turn it off for the masters or reach them another way.`,
  other: (name) =>
    `Check Quorum's SSH access to ${name} (its key in the instance metadata, port 22, the pinned host key).`,
};

/** What replicaFix words, as params: `remedy` selects the sentence. */
function replicaFixParams(r: Replica, health: ReplicaHealth) {
  return { remedy: remedyOf(r, health), zone: r.zone, vmStatus: r.vmStatus };
}

function remedyOf(r: Replica, health: ReplicaHealth): string {
  switch (r.vmStatus) {
    case 'RUNNING':
      return health === 'unknown' ? 'checkSlow' : 'checkServices';
    case 'STOPPED':
    case 'TERMINATED':
      return 'start';
    case 'SUSPENDED':
      return 'resume';
    default:
      return 'wait';
  }
}

function replicaFix(r: Replica, health: ReplicaHealth): string {
  switch (r.vmStatus) {
    case 'RUNNING':
      return health === 'unknown'
        ? `Check whether ${r.name} is overloaded or cut off from Quorum's network; if it stays unknown, replace it with the Recover replica wizard.`
        : `Check etcd and the API server on ${r.name} (their logs on the VM), and replace it with the Recover replica wizard if they do not recover.`;
    case 'STOPPED':
    case 'TERMINATED':
      return `Start ${r.name} (gcloud compute instances start ${r.name} --zone ${r.zone}); if it cannot come back, replace it with the Recover replica wizard.`;
    case 'SUSPENDED':
      return `Resume ${r.name} (gcloud compute instances resume ${r.name} --zone ${r.zone}); if it cannot come back, replace it with the Recover replica wizard.`;
    default:
      return `Wait for ${r.name} to finish ${r.vmStatus.toLowerCase()}; if it does not reach RUNNING, replace it with the Recover replica wizard.`;
  }
}

export const replicaHealthRule: FindingRule = {
  name: 'replica-health',
  codes: ['ReplicaUnhealthy', 'NoAccess', 'ZoneUnreachable', 'MemberLagging'],
  evaluate: replicaFindings,
};
