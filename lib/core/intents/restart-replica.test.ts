import { describe, expect, it } from 'vitest';
import type { DomainErrorCode } from '../errors';
import type { StepKind } from '../planner';
import { buildTopology, prodSpec, type ReplicaSpec } from '../testing/topology-builder';
import type { Topology } from '../topology';
import { restartReplicaPlanner } from './restart-replica';
import { draftOf, outcomeOf, wordsOf } from '../testing/intent-planning';

const C = 'prod-master-c02';
/** prod with its replica in europe-west1-c as given. */
const withC = (c: Omit<ReplicaSpec, 'zone'>) =>
  buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', ...c }, { zone: 'd' }] }));
const RESTART: StepKind[] = ['restart-instance', 'await-replica-rejoined', 'verify'];

type Row = {
  name: string;
  topology: () => Topology;
  /** The replica to restart; default prod-master-c02. */
  replica?: string;
  expected: readonly StepKind[] | DomainErrorCode;
  /** Matched against the plan's summary or the refusal's message. */
  says: RegExp;
};

const rows: Row[] = [
  {
    name: 'a stopped VM is started',
    topology: () => withC({ vmStatus: 'TERMINATED' }),
    expected: RESTART,
    says: /^Start prod-master-c02 in europe-west1-c; it rejoins etcd as the same member$/,
  },
  {
    name: 'a running VM whose etcd refuses is reset',
    topology: () => withC({ etcd: 'refused' }),
    expected: RESTART,
    says: /^Reset prod-master-c02 in europe-west1-c/,
  },
  {
    name: 'a healthy replica is not restarted for nothing',
    topology: () => withC({}),
    expected: 'QuorumAtRisk',
    says: /is healthy/,
  },
  {
    name: 'a VM that is neither stopped nor running',
    topology: () => withC({ vmStatus: 'STOPPING' }),
    expected: 'ProviderUnavailable',
    says: /prod-master-c02 is STOPPING/,
  },
  {
    name: 'a replica Quorum cannot get into',
    topology: () => withC({ etcd: 'noaccess', apiServer: 'noaccess' }),
    expected: 'NoAccess',
    says: /will not restart it/,
  },
  {
    name: 'a replica that is no member of etcd',
    topology: () => withC({ memberOf: [] }),
    expected: 'NotFound',
    says: /not a voting member of etcd/,
  },
  {
    name: 'a replica that does not exist',
    topology: () => withC({}),
    replica: 'prod-master-x99',
    expected: 'NotFound',
    says: /prod-master-x99 is not a replica of prod-master/,
  },
  {
    name: 'a replica in a zone that is down',
    topology: () => {
      const t = withC({ etcd: 'timeout', apiServer: 'timeout' });
      return { ...t, nodes: (t.nodes ?? []).map((n) => (n.zone === 'europe-west1-c' ? { ...n, ready: false } : n)) };
    },
    expected: 'ZoneUnavailable',
    says: /Replace it in another zone instead/,
  },
];

describe('restartReplicaPlanner', () => {
  it.each(rows)('$name', ({ topology, replica, expected, says }) => {
    const draft = draftOf(restartReplicaPlanner, topology(), { kind: 'restart-replica', name: replica ?? C });
    expect(outcomeOf(draft)).toEqual(expected);
    expect(wordsOf(draft)).toMatch(says);
  });
});
