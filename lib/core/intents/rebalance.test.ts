import { describe, expect, it } from 'vitest';
import type { DomainErrorCode } from '../errors';
import type { RebalanceIntent, StepKind } from '../planner';
import { buildTopology, prodSpec, type TopologySpec } from '../testing/topology-builder';
import type { Topology } from '../topology';
import { rebalancePlanner } from './rebalance';
import { ADD, REMOVE, draftOf, outcomeOf, wordsOf } from '../testing/intent-planning';

/** After a recovery during an outage of europe-west1-c: b holds two replicas, c is free. */
const PAIRED: TopologySpec['replicas'] = [{ zone: 'b' }, { zone: 'b', name: 'prod-master-r2d' }, { zone: 'd' }];
const paired = () => buildTopology(prodSpec({ replicas: PAIRED }));

type Row = {
  name: string;
  topology: () => Topology;
  intent: RebalanceIntent;
  expected: readonly StepKind[] | DomainErrorCode;
  /** Matched against the plan's summary or the refusal's message. */
  says: RegExp;
};

const rows: Row[] = [
  {
    name: 'a pair in b: add in the free zone, then remove one of the pair (not the leader)',
    topology: paired,
    intent: { kind: 'rebalance' },
    expected: [...ADD, ...REMOVE],
    says: /^Rebalance: add a replica in europe-west1-c, then remove prod-master-r2d from europe-west1-b$/,
  },
  {
    name: 'the replica of the pair the operator names',
    topology: paired,
    intent: { kind: 'rebalance', name: 'prod-master-b01' },
    expected: [...ADD, ...REMOVE],
    says: /then remove prod-master-b01 from europe-west1-b$/,
  },
  {
    name: 'one replica per zone already',
    topology: () => buildTopology(prodSpec()),
    intent: { kind: 'rebalance' },
    expected: 'InvalidInput',
    says: /nothing to rebalance/,
  },
  {
    name: 'a zone that has a replica',
    topology: paired,
    intent: { kind: 'rebalance', zone: 'europe-west1-d' },
    expected: 'InvalidInput',
    says: /europe-west1-d already runs a replica/,
  },
  {
    name: 'a replica alone in its zone',
    topology: paired,
    intent: { kind: 'rebalance', name: 'prod-master-d03' },
    expected: 'InvalidInput',
    says: /alone in europe-west1-d/,
  },
  {
    name: 'the free zone is still down',
    topology: () => {
      const t = paired();
      return { ...t, nodes: (t.nodes ?? []).map((n) => (n.zone === 'europe-west1-c' ? { ...n, ready: false } : n)) };
    },
    intent: { kind: 'rebalance' },
    expected: 'ZoneUnavailable',
    says: /europe-west1-c is still unreachable/,
  },
  {
    name: 'a voter is down: the add is refused',
    topology: () =>
      buildTopology(
        prodSpec({
          replicas: [{ zone: 'b' }, { zone: 'b', name: 'prod-master-r2d' }, { zone: 'd', vmStatus: 'STOPPED' }],
        }),
      ),
    intent: { kind: 'rebalance' },
    expected: 'VoterUnhealthy',
    says: /prod-master-d03/,
  },
  {
    name: 'two replicas sharing a zone',
    topology: () => buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b', name: 'prod-master-r2d' }] })),
    intent: { kind: 'rebalance' },
    expected: 'TwoReplicaLayout',
    says: /two replicas/,
  },
];

describe('rebalancePlanner', () => {
  it.each(rows)('$name', ({ topology, intent, expected, says }) => {
    const draft = draftOf(rebalancePlanner, topology(), intent);
    expect(outcomeOf(draft)).toEqual(expected);
    expect(wordsOf(draft)).toMatch(says);
  });
});
