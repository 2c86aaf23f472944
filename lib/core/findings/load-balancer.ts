// Load balancer: the forwarding rule, target pool and static address that kubelets reach the masters through.
import type { RuleFinding } from '../assessment';
import type { Context, FindingRule } from './context';

function loadBalancerFindings(ctx: Context): RuleFinding[] {
  const { t } = ctx;
  const n = t.replicas.length;
  const fr = t.forwardingRule;
  const pool = t.targetPool;
  const sa = t.staticAddress;
  const master = t.cluster.masterName;
  if (n === 0) return [];
  if (n > 1) {
    if (!fr || !pool) {
      const missing =
        !fr && !pool ? 'neither forwarding rule nor target pool' : !fr ? 'no forwarding rule' : 'no target pool';
      return [
        {
          code: 'NoLoadBalancer',
          severity: 'critical',
          subject: null,
          message: `The cluster runs ${n} replicas but has no load balancer (${missing}), so clients reach the masters through a single address and lose the control plane when the replica behind it fails.`,
          fix: `Create target pool ${master} with every replica and forwarding rule ${master} on static address ${sa?.address ?? `${master}-ip`}, port 443, as kube-up does when it adds the second replica.`,
          params: {
            variant: 'missing',
            replicas: n,
            missing: !fr && !pool ? 'both' : !fr ? 'forwardingRule' : 'targetPool',
            master,
            address: sa?.address ?? `${master}-ip`,
          },
        },
      ];
    }
    const out: RuleFinding[] = [];
    const inPool = new Set(pool.instances.map((i) => i.slice(i.lastIndexOf('/') + 1)));
    for (const r of t.replicas) {
      if (inPool.has(r.name)) continue;
      out.push({
        code: 'NoLoadBalancer',
        severity: 'warning',
        subject: r.name,
        message: `Replica ${r.name} is not in target pool ${pool.name}, so the load balancer sends it no traffic and its API server adds no availability.`,
        fix: `Add it: gcloud compute target-pools add-instances ${pool.name} --instances ${r.name} --instances-zone ${r.zone}.`,
        params: { variant: 'notInPool', replica: r.name, zone: r.zone, pool: pool.name },
      });
    }
    if (!sa) {
      out.push({
        code: 'StaticIpNotOnLoadBalancer',
        severity: 'warning',
        subject: fr.name,
        message: `The load balancer's address ${fr.ipAddress} is not reserved as a static address, so it changes if forwarding rule ${fr.name} is recreated and kubelets lose the masters.`,
        fix: `Reserve it: gcloud compute addresses create ${master}-ip --region ${t.cluster.region} --addresses ${fr.ipAddress}.`,
        params: {
          variant: 'lbAddressNotReserved',
          lbAddress: fr.ipAddress,
          forwardingRule: fr.name,
          master,
          region: t.cluster.region,
        },
      });
    } else if (sa.address !== fr.ipAddress) {
      const holder = t.replicas.find((r) => r.externalIp === sa.address || sa.users.includes(r.name));
      out.push({
        code: 'StaticIpNotOnLoadBalancer',
        severity: 'critical',
        subject: sa.name,
        message: `Static address ${sa.name} (${sa.address}) is not the load balancer's address (${fr.ipAddress}), so kubelets and the kubernetes service, which use it, ${holder ? `reach only ${holder.name} and lose the control plane with it` : 'reach no master'}.`,
        fix: `Move ${sa.address} onto the load balancer: ${holder ? `give ${holder.name} an ephemeral external IP, then ` : ''}recreate forwarding rule ${fr.name} on ${sa.address}, port 443, targeting pool ${pool.name}.`,
        params: {
          variant: 'staticNotOnLb',
          staticName: sa.name,
          staticAddress: sa.address,
          lbAddress: fr.ipAddress,
          held: holder !== undefined,
          holder: holder?.name ?? '',
          forwardingRule: fr.name,
          pool: pool.name,
        },
      });
    }
    return out;
  }
  // One replica: kube-up gives it the static address directly, no load balancer.
  const [only] = t.replicas;
  if (!only) return [];
  if (!sa) {
    return [
      {
        code: 'StaticIpNotOnLoadBalancer',
        severity: 'warning',
        subject: only.name,
        message: `Replica ${only.name} has no reserved static address, so its external IP can change when the VM restarts and kubelets lose the master.`,
        fix: `Promote its external IP to a static address: gcloud compute addresses create ${master}-ip --region ${t.cluster.region} --addresses ${only.externalIp ?? '<its external IP>'}.`,
        params: {
          variant: 'replicaNotReserved',
          replica: only.name,
          master,
          region: t.cluster.region,
          externalIpKnown: only.externalIp !== null,
          externalIp: only.externalIp ?? '',
        },
      },
    ];
  }
  if (only.externalIp === sa.address || sa.users.includes(only.name)) return [];
  const heldByRule = fr !== null && fr.ipAddress === sa.address;
  return [
    {
      code: 'StaticIpNotOnLoadBalancer',
      severity: 'critical',
      subject: sa.name,
      message: `Static address ${sa.name} (${sa.address}) is not on ${only.name}, the only replica, so kubelets and the kubernetes service, which use it, ${heldByRule ? 'go through a load balancer that is left over' : 'cannot reach the master'}.`,
      fix: `Attach ${sa.address} to ${only.name}: ${heldByRule && fr ? `delete forwarding rule ${fr.name}${pool ? ` and target pool ${pool.name}` : ''}, then ` : ''}replace its access config with one on ${sa.address} (gcloud compute instances delete-access-config, then add-access-config --address ${sa.address}).`,
      params: {
        variant: 'staticNotOnReplica',
        staticName: sa.name,
        staticAddress: sa.address,
        replica: only.name,
        heldByRule,
        forwardingRule: fr?.name ?? '',
        hasPool: pool !== null,
        pool: pool?.name ?? '',
      },
    },
  ];
}

export const loadBalancerRule: FindingRule = {
  name: 'load-balancer',
  codes: ['NoLoadBalancer', 'StaticIpNotOnLoadBalancer'],
  evaluate: loadBalancerFindings,
};
