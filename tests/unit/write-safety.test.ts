// The pure parts of the write-safety harness (tests/support/write-safety.ts): which phase a stall belongs
// to, and how a failed put is classified (which decides whether the writer reads the endpoints again).
import { GRPCDeadlineExceededError, GRPCUnavailableError } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { failureKind, keyOf, longestStallWithin } from '../support/write-safety';

describe('longestStallWithin', () => {
  // Acks at 0, 10, 20, then nothing until 1020 (a fault at ~25), then 1030; the run ends at 1100.
  const stats = { ackAtMs: [0, 10, 20, 1020, 1030], durationMs: 1100 };
  it.each([
    ['the whole run', 0, 1100, 1000],
    ['the fault phase, whose stall runs past its end', 15, 100, 1000],
    ['a phase that starts inside a stall the fault began', 500, 1100, 70],
    ['a phase with no ack in it', 100, 900, 0],
    ['the tail, open until the end of the run', 1025, 1100, 70],
    ['before the fault', 0, 15, 10],
  ])('%s', (_label, from, to, expected) => {
    expect(longestStallWithin(stats, from, to)).toBe(expected);
  });

  it('counts the stall already open at the start of a fault phase only when asked', () => {
    expect(longestStallWithin(stats, 25, 100)).toBe(0);
    expect(longestStallWithin(stats, 25, 100, { inProgress: true })).toBe(1000);
    expect(longestStallWithin(stats, 1025, 1100, { inProgress: true })).toBe(70);
  });
});

describe('failureKind', () => {
  it.each([
    [new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded'), 'timeout'],
    [
      new GRPCUnavailableError(
        '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.20.1.3:2379',
      ),
      'connection',
    ],
    [
      new Error('etcdserver: request timed out, possibly due to previous leader failure'),
      'etcdserver: request timed out, possibly due to previous leader failure',
    ],
    [new Error('etcdserver: rpc not supported for learner'), 'etcdserver: rpc not supported for learner'],
    [new Error('13 INTERNAL: raft: stopped'), 'other: raft: stopped'],
  ])('%s -> %s', (error, kind) => {
    expect(failureKind(error)).toBe(kind);
  });
});

describe('keyOf', () => {
  it('pads the sequence so the keys sort in write order', () => {
    expect([keyOf('/p', 10), keyOf('/p', 9)].sort()).toEqual(['/p/00000009', '/p/00000010']);
  });
});
