import { describe, expect, it } from 'vitest';
import { ReachError, type ReachErrorCode } from '@/lib/ports/reach';
import { describeEtcdError, isConnectionFailure, isEtcdServerAnswer, toEtcdProviderError } from './etcd-errors';

class GRPCDeadlineExceededError extends Error {}
class GRPCUnavailableError extends Error {}

describe('describeEtcdError', () => {
  it.each([
    [
      new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded after 0.801s'),
      'timeout: no answer within 800 ms',
    ],
    [new Error('DEADLINE_EXCEEDED (client guard)'), 'timeout: no answer within 800 ms'],
    [
      new GRPCUnavailableError(
        '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.20.0.2:2379. Resolution note: ',
      ),
      'connection refused',
    ],
    [
      new GRPCUnavailableError(
        '14 UNAVAILABLE: No connection established. Last error: Error: unable to verify the first certificate. Resolution note: ',
      ),
      'TLS: server certificate not trusted',
    ],
    [
      new GRPCUnavailableError('14 UNAVAILABLE: ... ssl3_read_bytes:sslv3 alert bad certificate: SSL alert number 42'),
      'TLS: client certificate rejected',
    ],
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

describe('toEtcdProviderError', () => {
  it.each([
    ['14 UNAVAILABLE: etcdserver: unhealthy cluster', 'EtcdRefused'],
    [
      '9 FAILED_PRECONDITION: etcdserver: can only promote a learner member which is in sync with leader',
      'LearnerNotReady',
    ],
    ['9 FAILED_PRECONDITION: etcdserver: can only promote a learner member', 'Conflict'],
    ['5 NOT_FOUND: etcdserver: member not found', 'NotFound'],
    ['9 FAILED_PRECONDITION: etcdserver: Peer URLs already exists', 'AlreadyExists'],
    ['9 FAILED_PRECONDITION: etcdserver: too many learner members in cluster', 'EtcdRefused'],
    ['9 FAILED_PRECONDITION: etcdserver: re-configuration failed due to not enough started members', 'EtcdRefused'],
    ['9 FAILED_PRECONDITION: etcdserver: not leader', 'EtcdRefused'],
    ['14 UNAVAILABLE: etcdserver: request timed out', 'Timeout'],
    [
      '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.20.2.2:2379',
      'ProviderUnavailable',
    ],
    ['4 DEADLINE_EXCEEDED: Deadline exceeded', 'Timeout'],
  ])('%s -> %s', (message, code) => {
    const err = toEtcdProviderError(new Error(message), 'member add', 800);
    expect(err.code).toBe(code);
    expect(err.message.startsWith('member add: ')).toBe(true);
  });

  it.each<[ReachErrorCode, string, RegExp]>([
    ['SshAuthRefused', 'NoAccess', /^member add: noaccess: \[SshAuthRefused\] /],
    ['HostKeyChanged', 'NoAccess', /^member add: noaccess: \[HostKeyChanged\] /],
    ['SshUnreachable', 'NoAccess', /^member add: noaccess: \[SshUnreachable\] /],
    ['OsLoginUnsupported', 'NoAccess', /^member add: noaccess: \[OsLoginUnsupported\] /],
    // Through an open SSH channel etcd's port refused: etcd is down, not Quorum's access.
    ['ServiceDown', 'ProviderUnavailable', /^member add: connection refused \(/],
  ])('the reach port failing with %s -> %s', (code, expected, message) => {
    const err = toEtcdProviderError(new ReachError(code, 'p/z/prod-master-abc', 'why'), 'member add', 800);
    expect(err.code).toBe(expected);
    expect(err.message).toMatch(message);
  });

  it("keeps etcd's words in the message", () => {
    expect(
      toEtcdProviderError(new Error('14 UNAVAILABLE: etcdserver: unhealthy cluster'), 'member remove 42', 800).message,
    ).toBe('member remove 42: etcdserver: unhealthy cluster');
  });

  it('tells an answer of etcd from a connection failure', () => {
    expect(isEtcdServerAnswer(new Error('14 UNAVAILABLE: etcdserver: unhealthy cluster'))).toBe(true);
    expect(isEtcdServerAnswer(new Error('14 UNAVAILABLE: connect ECONNREFUSED'))).toBe(false);
    // A learner given by mistake is passed over, not taken as the cluster's answer.
    expect(isEtcdServerAnswer(new Error('9 FAILED_PRECONDITION: etcdserver: rpc not supported for learner'))).toBe(
      false,
    );
  });
});

describe('isConnectionFailure', () => {
  it.each([
    ['14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.30.1.5:2379', true],
    ['14 UNAVAILABLE: read ECONNRESET', true],
    ['connect EHOSTUNREACH 10.0.0.9:2379', true],
    ['14 UNAVAILABLE: etcdserver: unhealthy cluster', false],
    ['4 DEADLINE_EXCEEDED: Deadline exceeded', false],
    ['9 FAILED_PRECONDITION: etcdserver: member not found', false],
  ])('%s -> %s', (message, expected) => {
    expect(isConnectionFailure(new Error(message))).toBe(expected);
  });
});
