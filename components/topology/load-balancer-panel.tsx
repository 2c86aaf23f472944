import type { Topology } from '@/lib/core/topology';
import { Badge } from '@/components/ui/badge';

/** The cluster address: the static IP, and the forwarding rule and target pool in front of the replicas. */
export function LoadBalancerPanel({ topology }: { topology: Topology }) {
  const { forwardingRule: rule, targetPool: pool, staticAddress: address } = topology;
  const addressHolder = address?.users.length ? address.users.join(', ') : null;
  return (
    <div
      data-testid="load-balancer"
      className="grid gap-3 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-sm md:grid-cols-3"
    >
      <div>
        <div className="text-xs uppercase tracking-wide text-slate-500">Static IP</div>
        {address ? (
          <div className="mt-0.5 flex flex-wrap items-center gap-2">
            <span className="font-mono" data-testid="static-ip">
              {address.address}
            </span>
            <span className="text-xs text-slate-500">{address.name}</span>
            <Badge tone={address.status === 'IN_USE' ? 'good' : 'warn'}>
              {address.status === 'IN_USE' ? `on ${addressHolder}` : address.status.toLowerCase()}
            </Badge>
          </div>
        ) : (
          <div className="mt-0.5 text-slate-500">none reserved</div>
        )}
      </div>
      <div>
        <div className="text-xs uppercase tracking-wide text-slate-500">Forwarding rule</div>
        {rule ? (
          <div className="mt-0.5">
            <span className="font-mono">{rule.name}</span>{' '}
            <span className="text-xs text-slate-500">
              {rule.ipAddress}:{rule.portRange ?? 'all ports'}
            </span>
          </div>
        ) : (
          <div className="mt-0.5 text-slate-500">none: clients reach the single replica directly</div>
        )}
      </div>
      <div>
        <div className="text-xs uppercase tracking-wide text-slate-500">Target pool</div>
        {pool ? (
          <div className="mt-0.5">
            <span className="font-mono">{pool.name}</span>{' '}
            <span className="text-xs text-slate-500">
              {pool.instances.length ? pool.instances.join(', ') : 'no instances'}
            </span>
          </div>
        ) : (
          <div className="mt-0.5 text-slate-500">none</div>
        )}
      </div>
    </div>
  );
}
