import { describe, expect, it } from 'vitest';
import type { DomainErrorCode } from '../errors';
import type { RemoveReplicaIntent, StepKind } from '../planner';
import { buildTopology, prodSpec, stagingSpec, type TopologySpec } from '../testing/topology-builder';
import { removeReplicaPlanner } from './remove-replica';
import { REMOVE, REMOVE_TO_ONE, draftOf, outcomeOf, wordsOf } from '../testing/intent-planning';

const FIVE: TopologySpec['replicas'] = [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b' }, { zone: 'c' }];

type Row = {
  name: string;
  spec: TopologySpec;
  intent: RemoveReplicaIntent;
  expected: readonly StepKind[] | DomainErrorCode;
  /** Matched against the plan's summary or the refusal's message. */
  says: RegExp;
};

const rows: Row[] = [
  {
    name: 'a named replica of five',
    spec: prodSpec({ replicas: FIVE }),
    intent: { kind: 'remove-replica', zone: 'europe-west1-c', name: 'prod-master-c05' },
    expected: REMOVE,
    says: /^Remove prod-master-c05 from europe-west1-c$/,
  },
  {
    name: 'picked in its zone: not the leader',
    spec: prodSpec({ replicas: FIVE }),
    intent: { kind: 'remove-replica', zone: 'europe-west1-b' },
    expected: REMOVE,
    says: /^Remove prod-master-b04 from europe-west1-b \(picked: it does not lead etcd\)$/,
  },
  {
    name: 'two to one: the load balancer goes too',
    spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }] }),
    intent: { kind: 'remove-replica', zone: 'europe-west1-c' },
    expected: REMOVE_TO_ONE,
    says: /^Remove prod-master-c02 from europe-west1-c/,
  },
  {
    name: 'a leftover learner next to three voters: clean-up, not a step down to two',
    spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'd', learner: true }] }),
    intent: { kind: 'remove-replica', zone: 'europe-west1-d', name: 'prod-master-d04' },
    expected: REMOVE,
    says: /^Remove prod-master-d04 from europe-west1-d$/,
  },
  {
    name: 'three voters to two',
    spec: prodSpec(),
    intent: { kind: 'remove-replica', zone: 'europe-west1-c' },
    expected: 'TwoReplicaLayout',
    says: /Scale from 3 to 1/,
  },
  {
    name: 'the only replica',
    spec: stagingSpec(),
    intent: { kind: 'remove-replica', zone: 'us-central1-b' },
    expected: 'LastReplica',
    says: /only replica/,
  },
  {
    name: 'a zone of another region with no replica there',
    spec: prodSpec(),
    intent: { kind: 'remove-replica', zone: 'us-east1-b' },
    expected: 'ZoneOutsideRegion',
    says: /outside the cluster's region/,
  },
  {
    name: 'a name that runs in another zone',
    spec: prodSpec({ replicas: FIVE }),
    intent: { kind: 'remove-replica', zone: 'europe-west1-c', name: 'prod-master-b01' },
    expected: 'NotFound',
    says: /prod-master-b01 runs in europe-west1-b, not in europe-west1-c/,
  },
  {
    name: 'quorum already lost',
    spec: prodSpec({
      replicas: [
        { zone: 'b' },
        { zone: 'c', vmStatus: 'STOPPED' },
        { zone: 'd', vmStatus: 'STOPPED' },
        { zone: 'b', vmStatus: 'STOPPED' },
        { zone: 'c' },
      ],
    }),
    intent: { kind: 'remove-replica', zone: 'europe-west1-d' },
    expected: 'QuorumAtRisk',
    says: /lost quorum/,
  },
];

describe('removeReplicaPlanner', () => {
  it.each(rows)('$name', ({ spec, intent, expected, says }) => {
    const draft = draftOf(removeReplicaPlanner, buildTopology(spec), intent);
    expect(outcomeOf(draft)).toEqual(expected);
    expect(wordsOf(draft)).toMatch(says);
  });
});
