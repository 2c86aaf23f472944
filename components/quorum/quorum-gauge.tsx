import { ETCD_CLUSTERS } from '@/lib/core/topology';
import { toleranceSentence, type Assessment, type EtcdQuorum } from '@/lib/core/assessment';
import { pluralize } from '@/lib/core/format';

function VoterBar({ name, q }: { name: string; q: EtcdQuorum }) {
  const segments = Array.from({ length: q.voters }, (_, i) => i < q.healthyVoters);
  return (
    <div data-testid={`gauge-${name}`} data-healthy={q.healthyVoters} data-voters={q.voters} data-quorum={q.quorum}>
      <div className="mb-1 flex justify-between text-xs">
        <span className="font-medium text-slate-700">etcd {name}</span>
        <span className={q.hasQuorum ? 'text-slate-600' : 'font-semibold text-red-700'}>
          {q.healthyVoters}/{q.voters} voters healthy · quorum {q.quorum}
          {q.learners > 0 && ` · ${pluralize(q.learners, 'learner')}`}
        </span>
      </div>
      <div className="relative flex h-3 gap-0.5" role="img" aria-label={`etcd ${name}: ${q.healthyVoters} of ${q.voters} voters healthy, quorum is ${q.quorum}`}>
        {segments.length === 0 ? (
          <div className="h-full flex-1 rounded-sm bg-slate-200" />
        ) : (
          segments.map((healthy, i) => <div key={i} className={`h-full flex-1 rounded-sm ${healthy ? 'bg-emerald-500' : 'bg-red-400'}`} />)
        )}
        {q.voters > 0 && (
          // The quorum line: this many segments from the left must stay green.
          <div aria-hidden className="absolute -top-1 -bottom-1 w-0.5 bg-slate-900" style={{ left: `calc(${(q.quorum / q.voters) * 100}% - 1px)` }} />
        )}
      </div>
    </div>
  );
}

export function QuorumGauge({ assessment }: { assessment: Assessment }) {
  const a = assessment;
  const lost = ETCD_CLUSTERS.some((c) => !a.etcd[c].hasQuorum);
  // A partition lowers the tolerance although every replica is healthy: say why the number is low.
  const cut = [...(a.connectivity.main?.cutPairs ?? []), ...(a.connectivity.events?.cutPairs ?? [])];
  const tone = lost ? 'text-red-700' : a.canLoseReplicas === 0 ? 'text-amber-700' : 'text-emerald-700';
  return (
    <div className="space-y-4">
      <div data-testid="tolerance" data-replicas={a.canLoseReplicas} data-zones={a.canLoseZones}>
        <div className={`text-lg font-semibold ${tone}`}>{lost ? 'Quorum lost' : capitalize(toleranceSentence(a))}</div>
        <div className="text-xs text-slate-500">
          {a.healthyReplicas} of {a.totalReplicas} replicas healthy
        </div>
        {cut.length > 0 && (
          <div className="mt-1 text-xs text-amber-800" data-testid="tolerance-links">
            Counted on the links etcd reports: {cut.map(([x, y]) => `${x} and ${y}`).join('; ')} cannot reach each other.
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
