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
  const missing = view.peers.filter((p) => !view.sees.includes(p));
  const all = missing.length === 0;
  const n = view.peers.length;
  const leader =
    view.leader === null ? (
      'knows no leader'
    ) : view.leader === view.replica ? (
      'leads'
    ) : (
      <>
        follows <Name>{view.leader}</Name>
      </>
    );
  const sees =
    n === 0 ? (
      'has no peers'
    ) : all ? (
      n === 1 ? (
        'sees its peer'
      ) : n === 2 ? (
        'sees both peers'
      ) : (
        `sees all ${n} peers`
      )
    ) : (
      <>
        sees {view.sees.length} of {n} peers
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
      title={all ? undefined : `Its etcd has no active link to ${missing.join(', ')}`}
    >
      <dt className="inline text-slate-500">etcd main says: </dt>
      <dd className="inline">
        <span data-testid="etcd-peers-leader">{leader}</span> · <span data-testid="etcd-peers-sees">{sees}</span>
      </dd>
    </div>
  );
}
