import { describe, expect, it } from 'vitest';
import type { DomainErrorCode } from '../errors';
import type { ReplaceReplicaIntent, StepKind } from '../planner';
import { buildTopology, prodSpec, stagingSpec, type TopologySpec } from '../testing/topology-builder';
import type { Topology } from '../topology';
import { replaceReplicaPlanner } from './replace-replica';
import { ADD, REMOVE, draftOf, outcomeOf, wordsOf } from '../testing/intent-planning';

const prod = (spec: Parameters<typeof prodSpec>[0] = {}) => buildTopology(prodSpec(spec));
const C_STOPPED: TopologySpec['replicas'] = [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }];
/** europe-west1-c down: its replica silent, its nodes NotReady (the diagnosis' second witness). */
const cDown = (): Topology => {
  const t = prod({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout', apiServer: 'timeout' }, { zone: 'd' }] });
  return { ...t, nodes: (t.nodes ?? []).map((n) => (n.zone === 'europe-west1-c' ? { ...n, ready: false } : n)) };
};

type Row = {
  name: string;
  topology: () => Topology;
  intent: ReplaceReplicaIntent;
  expected: readonly StepKind[] | DomainErrorCode;
  /** Matched against the plan's summary or the refusal's message. */
  says: RegExp;
};

const rows: Row[] = [
  {
    name: 'a stopped replica: removed, then replaced in its own zone',
    topology: () => prod({ replicas: C_STOPPED }),
    intent: { kind: 'replace-replica', name: 'prod-master-c02' },
    expected: [...REMOVE, ...ADD],
    says: /^Replace prod-master-c02 in europe-west1-c: remove it, then add a new replica there$/,
  },
  {
    name: 'its zone is down: the replacement goes to the emptiest reachable zone',
    topology: cDown,
    intent: { kind: 'replace-replica', name: 'prod-master-c02' },
    expected: [...REMOVE, ...ADD],
    says: /^Replace prod-master-c02 \(europe-west1-c\) by a new replica in europe-west1-b/,
  },
  {
    name: 'the zone the operator picks is down',
    topology: cDown,
    intent: { kind: 'replace-replica', name: 'prod-master-c02', zone: 'europe-west1-c' },
    expected: 'ZoneUnavailable',
    says: /europe-west1-c is unreachable now/,
  },
  {
    name: 'an unknown replica',
    topology: () => prod({ replicas: C_STOPPED }),
    intent: { kind: 'replace-replica', name: 'prod-master-zzz' },
    expected: 'NotFound',
    says: /prod-master-zzz is not a replica of prod-master/,
  },
  {
    name: 'a replica Quorum cannot get into: no evidence it failed',
    topology: () => prod({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] }),
    intent: { kind: 'replace-replica', name: 'prod-master-c02' },
    expected: 'NoAccess',
    says: /will not replace it/,
  },
  {
    name: 'another voter is down too: the add would be refused after the removal',
    topology: () =>
      prod({
        replicas: [
          { zone: 'b' },
          { zone: 'c', vmStatus: 'STOPPED' },
          { zone: 'd' },
          { zone: 'b', vmStatus: 'STOPPED' },
          { zone: 'c' },
        ],
      }),
    intent: { kind: 'replace-replica', name: 'prod-master-c02' },
    expected: 'VoterUnhealthy',
    says: /prod-master-b04/,
  },
  {
    name: 'a leftover learner next to a single voter',
    topology: () => buildTopology(stagingSpec({ replicas: [{ zone: 'b' }, { zone: 'c', learner: true }] })),
    intent: { kind: 'replace-replica', name: 'staging-master-c02' },
    expected: 'TwoReplicaLayout',
    says: /Replacing the learner staging-master-c02 would leave two voters/,
  },
  {
    name: 'a replica outside the region',
    topology: () => prod({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'us-east1-b' }] }),
    intent: { kind: 'replace-replica', name: 'prod-master-b03' },
    expected: 'ZoneOutsideRegion',
    says: /its replacement cannot go there/,
  },
];

describe('replaceReplicaPlanner', () => {
  it.each(rows)('$name', ({ topology, intent, expected, says }) => {
    const draft = draftOf(replaceReplicaPlanner, topology(), intent);
    expect(outcomeOf(draft)).toEqual(expected);
    expect(wordsOf(draft)).toMatch(says);
  });
});
