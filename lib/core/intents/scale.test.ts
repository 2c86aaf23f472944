import { describe, expect, it } from 'vitest';
import type { DomainErrorCode } from '../errors';
import type { ScaleIntent, StepKind } from '../planner';
import { buildTopology, prodSpec, stagingSpec, type TopologySpec } from '../testing/topology-builder';
import { scalePlanner } from './scale';
import {
  ADD,
  ADD_AFTER_LB_UP,
  LB_UP,
  REMOVE,
  REMOVE_TO_ONE,
  draftOf,
  outcomeOf,
  wordsOf,
} from '../testing/intent-planning';

type Row = {
  name: string;
  spec: TopologySpec;
  intent: ScaleIntent;
  expected: readonly StepKind[] | DomainErrorCode;
  /** Matched against the plan's summary or the refusal's message. */
  says: RegExp;
};

const rows: Row[] = [
  {
    name: '1 -> 3: the load balancer once, then two adds in the free zones',
    spec: stagingSpec(),
    intent: { kind: 'scale', replicas: 3 },
    expected: [...LB_UP, ...ADD_AFTER_LB_UP, ...ADD],
    says: /^Scale from 1 to 3 replicas: add in us-central1-a and us-central1-c$/,
  },
  {
    name: '3 -> 5 in the zones given',
    spec: prodSpec(),
    intent: { kind: 'scale', replicas: 5, zones: ['europe-west1-d', 'europe-west1-d'] },
    expected: [...ADD, ...ADD],
    says: /add in europe-west1-d and europe-west1-d$/,
  },
  {
    name: '3 -> 1: two removals, the load balancer with the last',
    spec: prodSpec(),
    intent: { kind: 'scale', replicas: 1 },
    expected: [...REMOVE, ...REMOVE_TO_ONE],
    says: /^Scale from 3 to 1 replica: remove prod-master-c02 \(europe-west1-c\) and prod-master-d03 \(europe-west1-d\)$/,
  },
  {
    name: 'a target of two',
    spec: prodSpec(),
    intent: { kind: 'scale', replicas: 2 },
    expected: 'TwoReplicaLayout',
    says: /two replicas/,
  },
  {
    name: 'a target above seven',
    spec: prodSpec(),
    intent: { kind: 'scale', replicas: 8 },
    expected: 'InvalidInput',
    says: /1 to 7 replicas; 8 is outside/,
  },
  {
    name: 'the current count',
    spec: prodSpec(),
    intent: { kind: 'scale', replicas: 3 },
    expected: 'InvalidInput',
    says: /already runs 3 replicas/,
  },
  {
    name: 'too few zones for the adds',
    spec: stagingSpec(),
    intent: { kind: 'scale', replicas: 3, zones: ['us-central1-a'] },
    expected: 'InvalidInput',
    says: /give 2 zones, not 1/,
  },
  {
    name: 'a zone of another region',
    spec: prodSpec(),
    intent: { kind: 'scale', replicas: 5, zones: ['europe-west1-b', 'asia-east1-a'] },
    expected: 'ZoneOutsideRegion',
    says: /asia-east1-a/,
  },
  {
    name: 'a learner left from an unfinished add',
    spec: prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'd', learner: true }] }),
    intent: { kind: 'scale', replicas: 5 },
    expected: 'OperationInProgress',
    says: /still an etcd learner/,
  },
  {
    name: 'removals that would lose quorum on the way',
    spec: prodSpec({
      replicas: [
        { zone: 'b' },
        { zone: 'c', vmStatus: 'STOPPED' },
        { zone: 'd', vmStatus: 'STOPPED' },
        { zone: 'b' },
        { zone: 'c' },
      ],
    }),
    intent: {
      kind: 'scale',
      replicas: 1,
      zones: ['europe-west1-b', 'europe-west1-b', 'europe-west1-c', 'europe-west1-c'],
    },
    expected: 'QuorumAtRisk',
    says: /healthy of/,
  },
];

describe('scalePlanner', () => {
  it.each(rows)('$name', ({ spec, intent, expected, says }) => {
    const draft = draftOf(scalePlanner, buildTopology(spec), intent);
    expect(outcomeOf(draft)).toEqual(expected);
    expect(wordsOf(draft)).toMatch(says);
  });
});
