import { describe, expect, it } from 'vitest';
import type { Cloud } from '../compute/cloud';
import { handleComputeRequests, recordComputeRequest } from './compute-requests';

// The log is kept per Cloud; any object stands in for one here, nothing of it is read.
const cloud = () => ({}) as Cloud;
const read = (c: Cloud, after: number) =>
  handleComputeRequests(c, 'GET', '/sandbox/v1/chaos/compute-requests', new URLSearchParams({ after: String(after) }))
    ?.body as {
    entries: Array<{ seq: number; method: string | null; name: string | null }>;
    next: number;
    dropped: number;
  };

describe('the Compute request log', () => {
  it('is bounded: the oldest entries go, and a reader that fell behind is told how many it missed', () => {
    const c = cloud();
    for (let i = 1; i <= 7; i++) {
      recordComputeRequest(
        c,
        {
          httpMethod: 'DELETE',
          path: `/projects/p/zones/z-a/disks/d${i}`,
          query: new URLSearchParams(),
          body: null,
          status: 200,
        },
        5,
      );
    }
    const all = read(c, 0);
    expect(all.entries.map((e) => [e.seq, e.method, e.name])).toEqual(
      [3, 4, 5, 6, 7].map((n) => [n, 'disks.delete', `d${n}`]),
    );
    expect(all).toMatchObject({ next: 7, dropped: 2 });
    expect(read(c, 4)).toMatchObject({ dropped: 0, next: 7 });
    expect(read(c, 4).entries.map((e) => e.seq)).toEqual([5, 6, 7]);
  });

  it('names an insert by the resource in its body', () => {
    const c = cloud();
    recordComputeRequest(c, {
      httpMethod: 'POST',
      path: '/projects/p/regions/r/targetPools',
      query: new URLSearchParams({ requestId: 'x' }),
      body: { name: 'pool' },
      status: 200,
    });
    expect(read(c, 0).entries).toMatchObject([
      { method: 'targetPools.insert', name: 'pool', region: 'r', requestId: true },
    ]);
  });

  it('answers only its own path, and only GET', () => {
    const c = cloud();
    expect(handleComputeRequests(c, 'GET', '/sandbox/v1/chaos/compute-faults', new URLSearchParams())).toBeNull();
    expect(
      handleComputeRequests(c, 'DELETE', '/sandbox/v1/chaos/compute-requests', new URLSearchParams())?.status,
    ).toBe(405);
  });
});
