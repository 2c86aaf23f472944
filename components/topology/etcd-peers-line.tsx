import { useTranslations } from 'next-intl';
import type { ReactNode } from 'react';
import type { MemberPeerView } from '@/lib/core/assessment';

/** A replica name that wraps as a whole, never inside `prod-master-7y0`. */
function Name({ children }: { children: ReactNode }) {
  return <span className="whitespace-nowrap">{children}</span>;
}

/**
 * What the replica's own etcd main reports about the cluster, in one line: the leader it follows and the peers
 * it has an active link to. Partitions show here: every replica answers Quorum, but some no longer each other.
 */
export function EtcdPeersLine({ view }: { view: MemberPeerView }) {
  const t = useTranslations('topology.etcdPeers');
  const missing = view.peers.filter((p) => !view.sees.includes(p));
  const all = missing.length === 0;
  const n = view.peers.length;
  const leader =
    view.leader === null
      ? t('noLeader')
      : view.leader === view.replica
        ? t('leads')
        : t.rich('follows', { leader: view.leader, name: (chunks) => <Name>{chunks}</Name> });
  const sees =
    n === 0 ? (
      t('noPeers')
    ) : all ? (
      n === 1 ? (
        t('seesPeer')
      ) : n === 2 ? (
        t('seesBoth')
      ) : (
        t('seesAll', { count: n })
      )
    ) : (
      <>
        {t('seesSome', { seen: view.sees.length, count: n })}
        {view.sees.map((p, i) => (
          <span key={p}>
            {i === 0 ? ': ' : ', '}
            <Name>{p}</Name>
          </span>
        ))}
      </>
    );
  return (
    <div
      data-testid="etcd-peers"
      data-leader={view.leader ?? ''}
      data-sees={view.sees.join(',')}
      data-missing={missing.join(',')}
      className={`rounded px-1.5 py-0.5 text-xs ${all && view.leader !== null ? 'text-slate-500' : 'bg-amber-50 text-amber-900'}`}
      title={all ? undefined : t('noLink', { missing: missing.join(', ') })}
    >
      <dt className="inline text-slate-500">{t('says')} </dt>
      <dd className="inline">
        <span data-testid="etcd-peers-leader">{leader}</span> · <span data-testid="etcd-peers-sees">{sees}</span>
      </dd>
    </div>
  );
}
