import { describe, expect, it } from 'vitest';
import { describeEtcdError } from './etcd-errors';

class GRPCDeadlineExceededError extends Error {}
class GRPCUnavailableError extends Error {}

describe('describeEtcdError', () => {
  it.each([
    [new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded after 0.801s'), 'timeout: no answer within 800 ms'],
    [new Error('DEADLINE_EXCEEDED (client guard)'), 'timeout: no answer within 800 ms'],
    [new GRPCUnavailableError('14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.20.0.2:2379. Resolution note: '), 'connection refused'],
    [new GRPCUnavailableError('14 UNAVAILABLE: No connection established. Last error: Error: unable to verify the first certificate. Resolution note: '), 'TLS: server certificate not trusted'],
    [new GRPCUnavailableError('14 UNAVAILABLE: ... ssl3_read_bytes:sslv3 alert bad certificate: SSL alert number 42'), 'TLS: client certificate rejected'],
    [new Error('etcdserver: rpc not supported for learner'), 'member is a learner (rpc not supported)'],
    [new Error('13 INTERNAL: something odd. Resolution note: x'), 'something odd'],
    ['weird', 'weird'],
  ])('%s', (err, expected) => {
    expect(describeEtcdError(err, 800)).toBe(expected);
  });

  it('only time-outs start with "timeout:"', () => {
    expect(describeEtcdError(new Error('connect ECONNREFUSED'), 800).startsWith('timeout:')).toBe(false);
  });
});
