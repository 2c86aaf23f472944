import { describe, expect, it } from 'vitest';
import type { DomainErrorCode } from '../errors';
import type { AddReplicaIntent, StepKind } from '../planner';
import { buildTopology, prodSpec, stagingSpec } from '../testing/topology-builder';
import type { Topology } from '../topology';
import { addReplicaPlanner } from './add-replica';
import { ADD, ADD_AFTER_LB_UP, LB_UP, draftOf, outcomeOf, wordsOf } from '../testing/intent-planning';

const prod = (spec: Parameters<typeof prodSpec>[0] = {}) => buildTopology(prodSpec(spec));

type Row = {
  name: string;
  topology: () => Topology;
  intent: AddReplicaIntent;
  expected: readonly StepKind[] | DomainErrorCode;
  /** Matched against the plan's summary or the refusal's message. */
  says: RegExp;
};

const rows: Row[] = [
  {
    name: 'prod: one add behind the existing load balancer',
    topology: () => prod(),
    intent: { kind: 'add-replica', zone: 'europe-west1-d' },
    expected: ADD,
    says: /^Add a replica in europe-west1-d$/,
  },
  {
    name: 'three replicas without a load balancer: it is set up first, the gate before it',
    topology: () => prod({ loadBalancer: false }),
    intent: { kind: 'add-replica', zone: 'europe-west1-b' },
    expected: [...LB_UP, ...ADD_AFTER_LB_UP],
    says: /^Add a replica in europe-west1-b$/,
  },
  {
    name: 'one replica: the add would leave two',
    topology: () => buildTopology(stagingSpec()),
    intent: { kind: 'add-replica', zone: 'us-central1-c' },
    expected: 'TwoReplicaLayout',
    says: /Scale from 1 to 3/,
  },
  {
    name: 'a zone of another region',
    topology: () => prod(),
    intent: { kind: 'add-replica', zone: 'us-east1-b' },
    expected: 'ZoneOutsideRegion',
    says: /in us-east1, outside the cluster's region europe-west1/,
  },
  {
    name: 'a zone that is down',
    topology: () => {
      const t = prod({
        replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout', apiServer: 'timeout' }, { zone: 'd' }],
      });
      return { ...t, nodes: (t.nodes ?? []).map((n) => (n.zone === 'europe-west1-c' ? { ...n, ready: false } : n)) };
    },
    intent: { kind: 'add-replica', zone: 'europe-west1-c' },
    expected: 'ZoneUnavailable',
    says: /europe-west1-c is unreachable now/,
  },
  {
    name: 'etcd 3.3 has no learners',
    topology: () => prod({ etcdVersion: '3.3.27' }),
    intent: { kind: 'add-replica', zone: 'europe-west1-b' },
    expected: 'EtcdTooOld',
    says: /3\.3\.27/,
  },
  {
    name: 'a learner left from an unfinished add',
    topology: () => prod({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'd', learner: true }] }),
    intent: { kind: 'add-replica', zone: 'europe-west1-b' },
    expected: 'OperationInProgress',
    says: /prod-master-d04 is still an etcd learner/,
  },
  {
    name: 'a voter is down',
    topology: () => prod({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] }),
    intent: { kind: 'add-replica', zone: 'europe-west1-c' },
    expected: 'VoterUnhealthy',
    says: /prod-master-c02 \(VM is STOPPED\) is not healthy/,
  },
];

describe('addReplicaPlanner', () => {
  it.each(rows)('$name', ({ topology, intent, expected, says }) => {
    const draft = draftOf(addReplicaPlanner, topology(), intent);
    expect(outcomeOf(draft)).toEqual(expected);
    expect(wordsOf(draft)).toMatch(says);
  });
});
