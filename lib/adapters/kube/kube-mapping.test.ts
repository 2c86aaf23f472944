import { describe, expect, it } from 'vitest';
import { describeKubeError, toLeaseViews, toNodeViews } from './kube-mapping';

describe('toLeaseViews', () => {
  it('keeps the leader-elected components, in their order, missing ones left out', () => {
    const renew = new Date('2024-05-01T10:00:00.123Z');
    expect(
      toLeaseViews({
        items: [
          {
            metadata: { name: 'kube-scheduler' },
            spec: { holderIdentity: 'prod-master-abc_1234', renewTime: renew, leaseDurationSeconds: 15 },
          },
          { metadata: { name: 'some-operator' }, spec: { holderIdentity: 'x' } },
          {
            metadata: { name: 'kube-controller-manager' },
            spec: { holderIdentity: '', renewTime: '2024-05-01T09:00:00Z' },
          },
        ],
      }),
    ).toEqual([
      {
        component: 'kube-controller-manager',
        holderIdentity: null,
        renewTime: '2024-05-01T09:00:00Z',
        leaseDurationSeconds: null,
      },
      {
        component: 'kube-scheduler',
        holderIdentity: 'prod-master-abc_1234',
        renewTime: '2024-05-01T10:00:00.123Z',
        leaseDurationSeconds: 15,
      },
    ]);
  });

  it('a lease without spec has no holder', () => {
    expect(toLeaseViews({ items: [{ metadata: { name: 'cluster-autoscaler' } }] })).toEqual([
      { component: 'cluster-autoscaler', holderIdentity: null, renewTime: null, leaseDurationSeconds: null },
    ]);
  });
});

describe('toNodeViews', () => {
  it.each([
    [
      'zone label and Ready',
      { labels: { 'topology.kubernetes.io/zone': 'europe-west1-b' } },
      [{ type: 'Ready', status: 'True' }],
      { zone: 'europe-west1-b', ready: true },
    ],
    [
      'legacy zone label',
      { labels: { 'failure-domain.beta.kubernetes.io/zone': 'us-central1-a' } },
      [{ type: 'Ready', status: 'False' }],
      { zone: 'us-central1-a', ready: false },
    ],
    ['no labels, no conditions', {}, undefined, { zone: null, ready: false }],
    [
      'Ready unknown',
      { labels: {} },
      [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: 'Unknown' },
      ],
      { zone: null, ready: false },
    ],
  ])('%s', (_label, meta, conditions, expected) => {
    const [node] = toNodeViews({
      items: [{ metadata: { name: 'n1', ...meta }, status: conditions ? { conditions } : undefined }],
    });
    expect(node).toEqual({ name: 'n1', ...expected });
  });

  it('sorts by name and skips nameless items', () => {
    expect(
      toNodeViews({ items: [{ metadata: { name: 'b' } }, { metadata: null }, { metadata: { name: 'a' } }] }).map(
        (n) => n.name,
      ),
    ).toEqual(['a', 'b']);
  });
});

describe('describeKubeError', () => {
  const withCode = (message: string, code: string | number) => Object.assign(new Error(message), { code });
  it.each([
    [
      Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }),
      'timeout: no answer within 800 ms',
    ],
    [
      Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }),
      'timeout: no answer within 800 ms',
    ],
    [withCode('connect ECONNREFUSED 127.20.0.2:443', 'ECONNREFUSED'), 'connection refused'],
    [
      withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
      'TLS: server certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)',
    ],
    [withCode('HTTP-Code: 403 Message: forbidden', 403), 'HTTP 403'],
    // As the generated Kubernetes client worded a refused token: the headers it quotes say `timeout=5`, which is not a timeout.
    [
      withCode(
        'HTTP-Code: 401\nMessage: Unauthorized\nBody: undefined\nHeaders: {"connection":"keep-alive","keep-alive":"timeout=5"}',
        401,
      ),
      'HTTP 401 Unauthorized',
    ],
    // The adapter's own refusal carries Kubernetes' reason (a Status object's message).
    [
      Object.assign(new Error('HTTP 403 nodes is forbidden'), {
        code: 403,
        reason: 'nodes is forbidden: User "x" cannot list',
      }),
      'HTTP 403 nodes is forbidden: User "x" cannot list',
    ],
    [new Error('first line\nsecond'), 'first line'],
  ])('%s', (err, expected) => {
    expect(describeKubeError(err, 800)).toBe(expected);
  });
});
