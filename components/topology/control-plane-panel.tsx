import { useTranslations } from 'next-intl';
import { holderReplica, leaseExpiresAt, LEADER_ELECTED_COMPONENTS, type Topology } from '@/lib/core/topology';
import { Card } from '@/components/ui/card';

/** Who runs the leader-elected components, and the nodes the cluster reports. */
export function ControlPlanePanel({ topology }: { topology: Topology }) {
  const t = useTranslations('topology.controlPlane');
  const leases = new Map((topology.leases ?? []).map((l) => [l.component, l]));
  const now = Date.parse(topology.observedAt);
  return (
    <div className="grid gap-4 md:grid-cols-2">
      <Card title={t('leaderElection')}>
        {topology.leases === null ? (
          <p className="text-sm text-slate-500">{t('leasesUnread')}</p>
        ) : (
          <table className="w-full text-sm">
            <tbody>
              {LEADER_ELECTED_COMPONENTS.map((component) => {
                const lease = leases.get(component);
                const expiresAt = lease ? leaseExpiresAt(lease) : null;
                const expired = expiresAt !== null && expiresAt < now;
                return (
                  <tr
                    key={component}
                    className="border-b border-slate-100 last:border-0"
                    data-testid="lease"
                    data-component={component}
                  >
                    <td className="py-1 pr-2 text-slate-600">{component}</td>
                    <td className="py-1 text-right font-mono text-xs">
                      {lease?.holderIdentity ? (
                        <span className={expired ? 'text-amber-700' : ''}>
                          {holderReplica(lease.holderIdentity)}
                          {expired && ` ${t('expired')}`}
                        </span>
                      ) : (
                        <span className="text-red-700">{t('noHolder')}</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>
      <Card title={topology.nodes ? t('nodesCount', { count: topology.nodes.length }) : t('nodes')}>
        {topology.nodes === null ? (
          <p className="text-sm text-slate-500">{t('nodesUnlisted')}</p>
        ) : topology.nodes.length === 0 ? (
          <p className="text-sm text-slate-500">{t('noNodes')}</p>
        ) : (
          <ul className="space-y-0.5 text-sm">
            {topology.nodes.map((node) => (
              <li key={node.name} className="flex justify-between gap-2">
                <span className="truncate font-mono text-xs">{node.name}</span>
                <span className="text-xs text-slate-500">
                  {node.zone ?? t('noZoneLabel')} ·{' '}
                  {node.ready ? 'Ready' : <span className="text-red-700">NotReady</span>}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}
