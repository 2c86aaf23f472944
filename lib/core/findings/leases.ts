// Leases: leader-elected components (controller manager, scheduler, autoscaler) that nobody runs.
import type { RuleFinding } from '../assessment';
import { formatAge } from '../format';
import { holderReplica, LEADER_ELECTED_COMPONENTS, leaseExpiresAt, type LeaderElectedComponent } from '../topology';
import type { Context, FindingRule } from './context';

const COMPONENT_DUTY: Record<LeaderElectedComponent, string> = {
  'kube-controller-manager': 'controllers (replica sets, node lifecycle, endpoints) stop reconciling',
  'kube-scheduler': 'new pods stay Pending',
  'cluster-autoscaler': 'node groups stop scaling',
};
/** What stops, as the catalog selects it (`{duty, select, ...}`). */
const COMPONENT_DUTY_KEY: Record<LeaderElectedComponent, string> = {
  'kube-controller-manager': 'reconcile',
  'kube-scheduler': 'schedule',
  'cluster-autoscaler': 'scale',
};

function leaseFindings(ctx: Context): RuleFinding[] {
  const { t, now } = ctx;
  if (!t.leases) return [];
  const out: RuleFinding[] = [];
  const running = new Set(t.replicas.filter((r) => r.vmStatus === 'RUNNING').map((r) => r.name));
  const known = new Map(t.replicas.map((r) => [r.name, r]));
  for (const component of LEADER_ELECTED_COMPONENTS) {
    const lease = t.leases.find((l) => l.component === component);
    const duty = COMPONENT_DUTY[component];
    const base = { component, duty: COMPONENT_DUTY_KEY[component] };
    const checkFix = `Check that ${component} runs on the healthy replicas (its static pod manifest and logs); a running one takes the lease within its duration.`;
    if (!lease) {
      // The cluster autoscaler is optional in kube-up (ENABLE_CLUSTER_AUTOSCALER): no lease may be normal.
      const optional = component === 'cluster-autoscaler';
      out.push({
        code: 'LeaseWithoutHolder',
        severity: optional ? 'info' : 'warning',
        subject: component,
        message: optional
          ? 'No cluster-autoscaler lease exists, so no cluster autoscaler is active, which is expected only when autoscaling is disabled.'
          : `No ${component} lease exists, so no ${component} is active and ${duty}.`,
        fix: optional
          ? `If autoscaling should be on, ${checkFix.charAt(0).toLowerCase()}${checkFix.slice(1)}`
          : checkFix,
        params: { ...base, variant: optional ? 'optionalMissing' : 'missing' },
      });
      continue;
    }
    if (!lease.holderIdentity) {
      out.push({
        code: 'LeaseWithoutHolder',
        severity: 'warning',
        subject: component,
        message: `The ${component} lease has no holder, so no ${component} is active and ${duty}.`,
        fix: checkFix,
        params: { ...base, variant: 'noHolder' },
      });
      continue;
    }
    const holder = holderReplica(lease.holderIdentity);
    const expiresAt = leaseExpiresAt(lease);
    if (expiresAt !== null) {
      if (expiresAt < now.getTime()) {
        out.push({
          code: 'LeaseWithoutHolder',
          severity: 'warning',
          subject: component,
          message: `The ${component} lease held by ${holder} expired ${formatAge(new Date(expiresAt), now)} ago and nobody renewed it, so no ${component} is active and ${duty}.`,
          fix: checkFix,
          params: { ...base, variant: 'expired', holder, age: formatAge(new Date(expiresAt), now) },
        });
        continue;
      }
    }
    if (!running.has(holder)) {
      const r = known.get(holder);
      const what = r ? `which is ${r.vmStatus}` : 'which is not a replica of this cluster';
      out.push({
        code: 'LeaseWithoutHolder',
        severity: 'warning',
        subject: component,
        message: `The ${component} lease is held by ${holder}, ${what}, so ${duty} until the lease expires and a running replica takes it over.`,
        fix: `Wait up to ${lease.leaseDurationSeconds ?? 15} s for a running replica to take the lease; if none does, ${checkFix.charAt(0).toLowerCase()}${checkFix.slice(1)}`,
        params: {
          ...base,
          variant: r ? 'heldByReplica' : 'heldElsewhere',
          holder,
          vmStatus: r?.vmStatus ?? '',
          duration: lease.leaseDurationSeconds ?? 15,
        },
      });
    }
  }
  return out;
}

export const leasesRule: FindingRule = {
  name: 'leases',
  codes: ['LeaseWithoutHolder'],
  evaluate: leaseFindings,
};
