import { useTranslations } from 'next-intl';
import type { Topology } from '@/lib/core/topology';
import { Badge } from '@/components/ui/badge';

/** The cluster address: the static IP, and the forwarding rule and target pool in front of the replicas. */
export function LoadBalancerPanel({ topology }: { topology: Topology }) {
  const t = useTranslations('topology.loadBalancer');
  const { forwardingRule: rule, targetPool: pool, staticAddress: address } = topology;
  const addressHolder = address?.users.length ? address.users.join(', ') : null;
  return (
    <div
      data-testid="load-balancer"
      className="grid gap-3 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-sm md:grid-cols-3"
    >
      <div>
        <div className="text-xs uppercase tracking-wide text-slate-500">{t('staticIp')}</div>
        {address ? (
          <div className="mt-0.5 flex flex-wrap items-center gap-2">
            <span className="font-mono" data-testid="static-ip">
              {address.address}
            </span>
            <span className="text-xs text-slate-500">{address.name}</span>
            <Badge tone={address.status === 'IN_USE' ? 'good' : 'warn'}>
              {address.status === 'IN_USE'
                ? t('usedBy', { holder: addressHolder ?? '' })
                : address.status.toLowerCase()}
            </Badge>
          </div>
        ) : (
          <div className="mt-0.5 text-slate-500">{t('noneReserved')}</div>
        )}
      </div>
      <div>
        <div className="text-xs uppercase tracking-wide text-slate-500">{t('forwardingRule')}</div>
        {rule ? (
          <div className="mt-0.5">
            <span className="font-mono">{rule.name}</span>{' '}
            <span className="text-xs text-slate-500">
              {rule.ipAddress}:{rule.portRange ?? t('allPorts')}
            </span>
          </div>
        ) : (
          <div className="mt-0.5 text-slate-500">{t('noRule')}</div>
        )}
      </div>
      <div>
        <div className="text-xs uppercase tracking-wide text-slate-500">{t('targetPool')}</div>
        {pool ? (
          <div className="mt-0.5">
            <span className="font-mono">{pool.name}</span>{' '}
            <span className="text-xs text-slate-500">
              {pool.instances.length ? pool.instances.join(', ') : t('noInstances')}
            </span>
          </div>
        ) : (
          <div className="mt-0.5 text-slate-500">{t('none')}</div>
        )}
      </div>
    </div>
  );
}
