import { describe, expect, it } from 'vitest';
import type { DomainErrorCode } from '../errors';
import type { StepKind } from '../planner';
import { draftCreateCluster, type CreateClusterInput } from './create-cluster';
import { outcomeOf, wordsOf } from '../testing/intent-planning';

const CREATE: StepKind[] = [
  'create-firewall-rules',
  'reserve-static-address',
  'issue-cluster-certificates',
  'create-disk',
  'create-instance',
  'await-etcd',
  'await-api-server',
  'verify',
];
const intent = (masterName: string, zone = 'europe-west1-b') =>
  ({ kind: 'create-cluster', masterName, zone, multizone: true }) as const;

type Row = {
  name: string;
  input: CreateClusterInput;
  expected: readonly StepKind[] | DomainErrorCode;
  /** Matched against the plan's summary or the refusal's message. */
  says: RegExp;
};

const rows: Row[] = [
  {
    name: 'one master, no backup gate (there is no data yet)',
    input: { intent: intent('prod-master'), regionZones: ['europe-west1-b', 'europe-west1-c'] },
    expected: CREATE,
    says: /^Create cluster prod-master with one master in europe-west1-b$/,
  },
  {
    name: 'another operation runs',
    input: { intent: intent('prod-master'), operationInProgress: true },
    expected: 'OperationInProgress',
    says: /Another operation is running on prod-master/,
  },
  {
    name: 'not a Compute Engine name',
    input: { intent: intent('Prod_Master') },
    expected: 'InvalidInput',
    says: /not a usable master name/,
  },
  {
    name: 'a name kube-up does not give a master',
    input: { intent: intent('blue') },
    expected: 'InvalidInput',
    says: /like blue-master\.$/,
  },
  {
    name: 'not a zone name',
    input: { intent: intent('prod-master', 'europe') },
    expected: 'InvalidInput',
    says: /europe is not a Compute Engine zone name/,
  },
  {
    name: 'a zone the region lacks',
    input: { intent: intent('prod-master', 'europe-west1-a'), regionZones: ['europe-west1-b'] },
    expected: 'ZoneOutsideRegion',
    says: /europe-west1-a is not a zone of europe-west1/,
  },
];

describe('draftCreateCluster', () => {
  it.each(rows)('$name', ({ input, expected, says }) => {
    const draft = draftCreateCluster(input);
    expect(outcomeOf(draft)).toEqual(expected);
    expect(wordsOf(draft)).toMatch(says);
  });
});
