import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { recoveryUrls } from '@/lib/client/queries';
import { describeReplicaHealth, type MemberPeerView, type ReplicaHealth } from '@/lib/core/assessment';
import type { FailureClass, ReplicaDiagnosis } from '@/lib/core/failure';
import { formatBytes } from '@/lib/core/format';
import { isNoAccessError, isTimeoutError } from '@/lib/core/probe-errors';
import type { EtcdClusterName, LeaderElectedComponent, Replica } from '@/lib/core/topology';
import { etcdRoleOf, type EtcdRole } from '@/lib/core/view';
import { Badge, type Tone } from '@/components/ui/badge';
import { useReachReason } from '@/components/ui/reach-words';
import { EtcdPeersLine } from './etcd-peers-line';
import { ReplicaFailure } from './replica-failure';

const healthTone: Record<ReplicaHealth, Tone> = { healthy: 'good', unhealthy: 'bad', unknown: 'unknown' };
const roleTone: Record<EtcdRole, Tone> = { leader: 'info', follower: 'neutral', learner: 'warn', unknown: 'unknown' };

function EtcdLine({ cluster, replica }: { cluster: EtcdClusterName; replica: Replica }) {
  const t = useTranslations('topology.replicaCard');
  const status = replica.etcd[cluster];
  const role = etcdRoleOf(status);
  return (
    <div className="flex items-baseline justify-between gap-2" data-testid={`etcd-${cluster}`} data-role={role}>
      <dt className="text-slate-500">etcd {cluster}</dt>
      <dd className="flex items-center gap-2 text-right">
        <Badge tone={roleTone[role]}>{t(`role.${role}`)}</Badge>
        {status.ok ? (
          <span className="font-mono text-xs text-slate-600" title={t('raftTitle')}>
            #{status.raftIndex} · {formatBytes(status.dbSize)}
          </span>
        ) : (
          // The probe's own error (quoted as it came) is the title; the line says what it means.
          <span className="max-w-40 truncate text-xs text-slate-500" title={status.error}>
            {isNoAccessError(status.error)
              ? t('noAccess')
              : isTimeoutError(status.error)
                ? t('noAnswerInTime')
                : t('notAnswering')}
          </span>
        )}
      </dd>
    </div>
  );
}

export function ReplicaCard({
  clusterId,
  replica,
  health,
  leases,
  diagnosis,
  failureSince,
  observedAt,
  peerView,
  cutFrom = [],
}: {
  clusterId: string;
  replica: Replica;
  health: ReplicaHealth;
  leases: LeaderElectedComponent[];
  diagnosis: ReplicaDiagnosis | undefined;
  failureSince: Partial<Record<FailureClass, string>>;
  observedAt: string;
  /** What its etcd main reports about its peers, when it did. */
  peerView?: MemberPeerView | undefined;
  /** Peers it answers Quorum beside but cannot reach (a partition, as etcd reports it). */
  cutFrom?: string[];
}) {
  const t = useTranslations('topology.replicaCard');
  const reasonIn = useReachReason();
  const api = replica.apiServer;
  // Quorum's own SSH access failed: the replica's health is unknown, and replacing it is no fix.
  const noAccess = replica.vmStatus === 'RUNNING' ? describeReplicaHealth(replica).noAccess : null;
  const border =
    health === 'healthy'
      ? 'border-emerald-200'
      : health === 'unhealthy'
        ? 'border-red-300'
        : 'border-slate-300 border-dashed';
  return (
    <article
      data-testid="replica-card"
      data-replica={replica.name}
      data-health={health}
      data-access={noAccess ? 'none' : 'ok'}
      data-failure={diagnosis?.primary ?? 'none'}
      className={`rounded-lg border-2 bg-white p-3 shadow-sm ${border}`}
    >
      <header className="mb-2 flex items-start justify-between gap-2">
        <h3 className="min-w-0 font-mono text-sm font-semibold [overflow-wrap:anywhere]">{replica.name}</h3>
        <span className="shrink-0 whitespace-nowrap">
          <Badge tone={healthTone[health]} testId="replica-health">
            {noAccess && health === 'unknown' ? t('unknownNoAccess') : t(`health.${health}`)}
          </Badge>
        </span>
      </header>
      {noAccess && (
        <p
          className="mb-2 rounded-md bg-slate-100 px-2 py-1 text-xs text-slate-700 [overflow-wrap:anywhere]"
          data-testid="replica-no-access"
        >
          {t('noAccessNote', { reason: reasonIn(noAccess.reason) })}
        </p>
      )}
      {diagnosis && (
        <ReplicaFailure diagnosis={diagnosis} since={failureSince} observedAt={observedAt} health={health} />
      )}
      {health !== 'healthy' && cutFrom.length > 0 && (
        <p
          className="mb-2 rounded-md bg-amber-50 px-2 py-1 text-xs text-amber-900 [overflow-wrap:anywhere]"
          data-testid="replica-cut-off"
        >
          {t('cutOff', { peers: cutFrom.join(', ') })}
        </p>
      )}
      {health !== 'healthy' && !(noAccess && health === 'unknown') && cutFrom.length === 0 && (
        <Link
          href={recoveryUrls.recover(clusterId, replica.name)}
          // Red for a confirmed failure; a replica that merely did not answer in time may be fine: grey.
          className={`mb-2 block rounded-md px-2 py-1 text-center text-sm font-medium text-white ${health === 'unhealthy' ? 'bg-red-700 hover:bg-red-800' : 'bg-slate-600 hover:bg-slate-700'}`}
          data-testid="recover-replica"
        >
          {/* Each unhealthy card has this link: the hidden name tells them apart for screen readers and voice control. */}
          {t.rich('recover', {
            replica: replica.name,
            sr: (chunks) => <span className="sr-only">{chunks}</span>,
          })}
        </Link>
      )}
      <dl className="space-y-1 text-sm">
        <div className="flex justify-between gap-2">
          <dt className="text-slate-500">{t('vm')}</dt>
          <dd>
            <Badge tone={replica.vmStatus === 'RUNNING' ? 'good' : 'bad'} testId="vm-status">
              {replica.vmStatus}
            </Badge>
          </dd>
        </div>
        <div className="flex justify-between gap-2">
          <dt className="text-slate-500">{t('internalIp')}</dt>
          <dd className="font-mono text-xs">{replica.internalIp ?? '—'}</dd>
        </div>
        <div className="flex justify-between gap-2">
          <dt className="text-slate-500">{t('externalIp')}</dt>
          <dd className="font-mono text-xs">{replica.externalIp ?? t('none')}</dd>
        </div>
        <EtcdLine cluster="main" replica={replica} />
        {peerView && <EtcdPeersLine view={peerView} />}
        <EtcdLine cluster="events" replica={replica} />
        <div className="flex justify-between gap-2">
          <dt className="text-slate-500">API server</dt>
          <dd data-testid="apiserver">
            {api.ready === null ? (
              <span className="text-xs text-slate-500" title={api.error}>
                {isNoAccessError(api.error) ? t('noAccess') : t('noAnswer')}
              </span>
            ) : (
              <Badge tone={api.ready ? 'good' : 'bad'}>{api.ready ? t('ready') : t('notReady')}</Badge>
            )}
          </dd>
        </div>
        <div className="flex justify-between gap-2">
          <dt className="text-slate-500">{t('leases')}</dt>
          <dd className="text-right text-xs text-slate-700" data-testid="leases">
            {leases.length ? leases.join(', ') : t('none')}
          </dd>
        </div>
      </dl>
    </article>
  );
}
