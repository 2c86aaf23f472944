import { useTranslations } from 'next-intl';
import { ETCD_CLUSTERS } from '@/lib/core/topology';
import { type Assessment, type EtcdQuorum } from '@/lib/core/assessment';

const SEGMENT = { healthy: 'bg-emerald-500', unknown: 'bg-slate-300', down: 'bg-red-400' } as const;

function VoterBar({ name, q }: { name: string; q: EtcdQuorum }) {
  const t = useTranslations('quorum.gauge');
  // Healthy first, then the ones that did not answer in time (grey: maybe fine), then the failed ones.
  const segments = Array.from({ length: q.voters }, (_, i): 'healthy' | 'unknown' | 'down' =>
    i < q.healthyVoters ? 'healthy' : i < q.healthyVoters + q.unknownVoters ? 'unknown' : 'down',
  );
  return (
    <div data-testid={`gauge-${name}`} data-healthy={q.healthyVoters} data-voters={q.voters} data-quorum={q.quorum}>
      <div className="mb-1 flex justify-between text-xs">
        <span className="font-medium text-slate-700">etcd {name}</span>
        <span className={q.quorumLost ? 'font-semibold text-red-700' : 'text-slate-600'}>
          {t('voters', {
            healthy: q.healthyVoters,
            voters: q.voters,
            unknown: q.unknownVoters,
            quorum: q.quorum,
            learners: q.learners,
          })}
        </span>
      </div>
      <div
        className="relative flex h-3 gap-0.5"
        role="img"
        aria-label={t('votersLabel', {
          name,
          healthy: q.healthyVoters,
          voters: q.voters,
          unknown: q.unknownVoters,
          quorum: q.quorum,
        })}
      >
        {segments.length === 0 ? (
          <div className="h-full flex-1 rounded-sm bg-slate-200" />
        ) : (
          segments.map((state, i) => (
            <div key={i} data-state={state} className={`h-full flex-1 rounded-sm ${SEGMENT[state]}`} />
          ))
        )}
        {q.voters > 0 && (
          // The quorum line: this many segments from the left must stay green.
          <div
            aria-hidden
            className="absolute -top-1 -bottom-1 w-0.5 bg-slate-900"
            style={{ left: `calc(${(q.quorum / q.voters) * 100}% - 1px)` }}
          />
        )}
      </div>
    </div>
  );
}

export function QuorumGauge({ assessment }: { assessment: Assessment }) {
  const t = useTranslations('quorum.gauge');
  const tc = useTranslations('common');
  const a = assessment;
  // Lost only on etcd's own answers; replicas that did not answer in time make the numbers a floor, shown in grey.
  const lost = ETCD_CLUSTERS.some((c) => a.etcd[c].quorumLost);
  // A partition lowers the tolerance although every replica is healthy: say why the number is low.
  const cut = [...(a.connectivity.main?.cutPairs ?? []), ...(a.connectivity.events?.cutPairs ?? [])];
  const tone = lost
    ? 'text-red-700'
    : a.unknownReplicas > 0
      ? 'text-slate-700'
      : a.canLoseReplicas === 0
        ? 'text-amber-700'
        : 'text-emerald-700';
  return (
    <div className="space-y-4">
      <div data-testid="tolerance" data-replicas={a.canLoseReplicas} data-zones={a.canLoseZones}>
        <div className={`text-lg font-semibold ${tone}`}>
          {lost
            ? t('quorumLost')
            : tc('tolerance.canLoseStart', { replicas: a.canLoseReplicas, zones: a.canLoseZones })}
        </div>
        <div className="text-xs text-slate-500">
          {t('replicasHealthy', { healthy: a.healthyReplicas, total: a.totalReplicas, unknown: a.unknownReplicas })}
        </div>
        {cut.length > 0 && (
          <div className="mt-1 text-xs text-amber-800" data-testid="tolerance-links">
            {t('links', { pairs: cut.map(([x, y]) => t('pair', { a: x, b: y })).join('; ') })}
          </div>
        )}
      </div>
      {ETCD_CLUSTERS.map((c) => (
        <VoterBar key={c} name={c} q={a.etcd[c]} />
      ))}
    </div>
  );
}
