import { ETCD_CLUSTERS } from '@/lib/core/topology';
import { toleranceSentence, type Assessment, type EtcdQuorum } from '@/lib/core/assessment';
import { pluralize } from '@/lib/core/format';

const SEGMENT = { healthy: 'bg-emerald-500', unknown: 'bg-slate-300', down: 'bg-red-400' } as const;

function VoterBar({ name, q }: { name: string; q: EtcdQuorum }) {
  // Healthy first, then the ones that did not answer in time (grey: maybe fine), then the failed ones.
  const segments = Array.from({ length: q.voters }, (_, i): 'healthy' | 'unknown' | 'down' =>
    i < q.healthyVoters ? 'healthy' : i < q.healthyVoters + q.unknownVoters ? 'unknown' : 'down',
  );
  return (
    <div data-testid={`gauge-${name}`} data-healthy={q.healthyVoters} data-voters={q.voters} data-quorum={q.quorum}>
      <div className="mb-1 flex justify-between text-xs">
        <span className="font-medium text-slate-700">etcd {name}</span>
        <span className={q.quorumLost ? 'font-semibold text-red-700' : 'text-slate-600'}>
          {q.healthyVoters}/{q.voters} voters healthy{q.unknownVoters > 0 && ` · ${q.unknownVoters} unknown`} · quorum{' '}
          {q.quorum}
          {q.learners > 0 && ` · ${pluralize(q.learners, 'learner')}`}
        </span>
      </div>
      <div
        className="relative flex h-3 gap-0.5"
        role="img"
        aria-label={`etcd ${name}: ${q.healthyVoters} of ${q.voters} voters healthy${q.unknownVoters > 0 ? `, ${q.unknownVoters} unknown` : ''}, quorum is ${q.quorum}`}
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
        <div className={`text-lg font-semibold ${tone}`}>{lost ? 'Quorum lost' : capitalize(toleranceSentence(a))}</div>
        <div className="text-xs text-slate-500">
          {a.healthyReplicas} of {a.totalReplicas} replicas healthy
          {a.unknownReplicas > 0 && ` · ${a.unknownReplicas} not answering in time (health unknown, not counted)`}
        </div>
        {cut.length > 0 && (
          <div className="mt-1 text-xs text-amber-800" data-testid="tolerance-links">
            Counted on the links etcd reports: {cut.map(([x, y]) => `${x} and ${y}`).join('; ')} cannot reach each
            other.
          </div>
        )}
      </div>
      {ETCD_CLUSTERS.map((c) => (
        <VoterBar key={c} name={c} q={a.etcd[c]} />
      ))}
    </div>
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
