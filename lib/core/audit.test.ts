import { describe, expect, it } from 'vitest';
import {
  auditHref,
  describeAuditDetail,
  refusalDetail,
  parseAuditQuery,
  parseSince,
  redactAuditDetail,
  type AuditCriteria,
} from './audit';

const now = new Date('2026-11-26T05:00:00.000Z');

describe('parseAuditQuery', () => {
  const accepted: [string, Record<string, string | string[] | undefined>, AuditCriteria][] = [
    ['nothing', {}, {}],
    ['empty values', { actor: '', action: '  ', outcome: '', cluster: '', q: '', since: '', before: '' }, {}],
    ['actor, trimmed', { actor: ' ops@example.com ' }, { actor: 'ops@example.com' }],
    ['an action prefix', { action: 'operation.' }, { action: 'operation.' }],
    ['a whole action', { action: 'chaos.kill-etcd' }, { action: 'chaos.kill-etcd' }],
    ['each outcome', { outcome: 'refused' }, { outcome: 'refused' }],
    [
      'a cluster id',
      { cluster: 'sandbox-project~europe-west1~prod-master' },
      { clusterId: 'sandbox-project~europe-west1~prod-master' },
    ],
    ['free text with symbols', { q: 'Viewers change nothing; 100% _' }, { q: 'Viewers change nothing; 100% _' }],
    ['since as minutes', { since: '15m' }, { since: '2026-11-26T04:45:00.000Z' }],
    ['since as hours', { since: '24h' }, { since: '2026-11-25T05:00:00.000Z' }],
    ['since as days', { since: '7d' }, { since: '2026-11-19T05:00:00.000Z' }],
    ['since as a date (UTC midnight)', { since: '2026-11-26' }, { since: '2026-11-26T00:00:00.000Z' }],
    ['since as a time without zone (UTC)', { since: '2026-11-26T04:30' }, { since: '2026-11-26T04:30:00.000Z' }],
    ['since with a space and seconds', { since: '2026-11-26 04:30:15' }, { since: '2026-11-26T04:30:15.000Z' }],
    ['since with an offset', { since: '2026-11-26T06:30:00+02:00' }, { since: '2026-11-26T04:30:00.000Z' }],
    ['since as this page prints it', { since: '2026-11-26T04:30:15Z' }, { since: '2026-11-26T04:30:15.000Z' }],
    ['the cursor', { before: '120' }, { beforeId: 120 }],
    [
      'everything at once',
      {
        actor: 'a@b.c',
        action: 'operation.add',
        outcome: 'succeeded',
        cluster: 'p~r~m',
        q: 'zone',
        since: '1h',
        before: '9',
      },
      {
        actor: 'a@b.c',
        action: 'operation.add',
        outcome: 'succeeded',
        clusterId: 'p~r~m',
        q: 'zone',
        since: '2026-11-26T04:00:00.000Z',
        beforeId: 9,
      },
    ],
    ['unknown parameters ignored', { page: '2', sort: 'asc' }, {}],
  ];
  it.each(accepted)('accepts %s', (_name, params, criteria) => {
    const parsed = parseAuditQuery(params, now);
    expect(parsed.problems).toEqual([]);
    expect(parsed.criteria).toEqual(criteria);
  });

  const refused: [string, Record<string, string | string[] | undefined>, RegExp][] = [
    ['an unknown outcome', { outcome: 'won' }, /^outcome is one of started, succeeded, failed, refused, cancelled$/],
    ['an outcome in capitals', { outcome: 'Refused' }, /^outcome is one of/],
    ['an action with spaces', { action: 'operation add' }, /^action is a dotted name/],
    ['an action with SQL', { action: "x' or 1=1 --" }, /^action is a dotted name/],
    ['a cluster name alone', { cluster: 'prod-master' }, /^cluster is a cluster id: project~region~master-name$/],
    ['a cluster with a path', { cluster: '../../etc~r~m' }, /^cluster is a cluster id/],
    ['a very long actor', { actor: 'a'.repeat(201) }, /^actor is longer than 200 characters$/],
    ['a very long search', { q: 'é'.repeat(201) }, /^search text is longer than 200 characters$/],
    ['since as words', { since: 'yesterday' }, /^since is a duration back from now/],
    ['since of zero', { since: '0h' }, /^since is a duration/],
    ['since in seconds', { since: '30s' }, /^since is a duration/],
    ['since on a day that does not exist', { since: '2026-02-31' }, /^since is a duration/],
    ['since at hour 25', { since: '2026-11-26T25:00' }, /^since is a duration/],
    ['a negative cursor', { before: '-1' }, /^before is the id of an audit entry/],
    ['a cursor of zero', { before: '0' }, /^before is the id/],
    ['a fractional cursor', { before: '1.5' }, /^before is the id/],
    ['a huge cursor', { before: '9'.repeat(16) }, /^before is the id/],
    ['a value given twice', { actor: ['a', 'b'] }, /^actor is given 2 times; give it once$/],
  ];
  it.each(refused)('refuses %s: a message, no filter at all, the value kept for the form', (_name, params, message) => {
    const parsed = parseAuditQuery({ ...params, outcome: params.outcome ?? 'refused' }, now);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]).toMatch(message);
    // The good outcome=refused next to the bad value is not applied either: the page shows the whole log.
    expect(parsed.criteria).toEqual({});
    const [field, raw] = Object.entries(params)[0] ?? ['', ''];
    const shown = Array.isArray(raw) ? raw[0] : raw;
    expect(parsed.form[field as keyof typeof parsed.form]).toBe(shown?.trim().slice(0, 500));
  });

  it('reports every bad value, not only the first', () => {
    const parsed = parseAuditQuery({ outcome: 'won', since: 'soon', before: 'x' }, now);
    expect(parsed.problems).toHaveLength(3);
    expect(parsed.criteria).toEqual({});
  });

  it('keeps at most 500 characters of a value for the form', () => {
    expect(parseAuditQuery({ q: 'x'.repeat(10_000) }, now).form.q).toHaveLength(500);
  });
});

describe('parseSince', () => {
  it.each([
    ['1m', '2026-11-26T04:59:00.000Z'],
    ['999999d', new Date(now.getTime() - 999_999 * 86_400_000).toISOString()],
    ['2026-11-26t04:00z', '2026-11-26T04:00:00.000Z'],
    ['2026-11-26T04:00:00.5+0100', '2026-11-26T03:00:00.500Z'],
    ['1000000d', null],
    ['2026-13-01', null],
    ['2026-11-26T04', null],
    ['now', null],
  ])('%s -> %s', (value, expected) => {
    expect(parseSince(value, now)).toBe(expected);
  });
});

describe('auditHref', () => {
  const form = {
    actor: 'ops@example.com',
    action: '',
    outcome: 'refused',
    cluster: 'p~r~m',
    q: 'a b&c',
    since: '',
    before: '',
  };
  it.each([
    [
      'keeps every filter and adds the cursor',
      form,
      { before: '42' },
      '/audit?actor=ops%40example.com&outcome=refused&cluster=p%7Er%7Em&q=a+b%26c&before=42',
    ],
    [
      'drops a parameter overridden with an empty string',
      form,
      { before: '', q: '', actor: '', cluster: '' },
      '/audit?outcome=refused',
    ],
    ['is the bare page without filters', {}, {}, '/audit'],
  ])('%s', (_name, values, overrides, href) => {
    expect(auditHref(values, overrides)).toBe(href);
  });
});

describe('refusalDetail', () => {
  it('keeps code and message, and the params as JSON when there are any', () => {
    expect(refusalDetail({ code: 'InvalidInput', message: 'm' })).toEqual({ code: 'InvalidInput', message: 'm' });
    const voters: readonly string[] = ['a', 'b'];
    expect(refusalDetail({ code: 'TwoReplicaLayout', message: 'm', params: { voters, n: 2 } })).toEqual({
      code: 'TwoReplicaLayout',
      message: 'm',
      params: { voters: ['a', 'b'], n: 2 },
    });
  });
});

describe('describeAuditDetail', () => {
  it.each([
    ['nothing', null, { reason: null, words: [], rest: null }],
    [
      "a planner's refusal: code and message in words, the intent as JSON",
      {
        code: 'QuorumAtRisk',
        message: 'Removing prod-master-b loses quorum',
        intent: { kind: 'remove-replica', zone: 'europe-west1-b' },
      },
      {
        reason: { code: 'QuorumAtRisk', message: 'Removing prod-master-b loses quorum', params: null },
        words: [],
        rest: { intent: { kind: 'remove-replica', zone: 'europe-west1-b' } },
      },
    ],
    [
      'a refused chaos control with its target',
      { zone: 'europe-west1-b', name: 'prod-master', code: 'NotFound', message: 'No such replica' },
      {
        reason: { code: 'NotFound', message: 'No such replica', params: null },
        words: [],
        rest: { zone: 'europe-west1-b', name: 'prod-master' },
      },
    ],
    [
      'an ended operation',
      { summary: 'Added prod-master-xyz in europe-west1-c', error: null },
      { reason: null, words: [{ label: 'summary', text: 'Added prod-master-xyz in europe-west1-c' }], rest: null },
    ],
    ['an operation that ended with neither', { summary: null, error: null }, { reason: null, words: [], rest: null }],
    [
      'a failed one',
      { error: 'etcd did not answer', summary: 'Stopped at step 3' },
      {
        reason: null,
        words: [
          { label: 'summary', text: 'Stopped at step 3' },
          { label: 'error', text: 'etcd did not answer' },
        ],
        rest: null,
      },
    ],
    [
      'a backup-gate override',
      { error: 'ENOSPC', reason: 'snapshot disk full, approved by on-call', failedOperationId: 'op-1' },
      {
        reason: null,
        words: [
          { label: 'reason', text: 'snapshot disk full, approved by on-call' },
          { label: 'error', text: 'ENOSPC' },
        ],
        rest: { failedOperationId: 'op-1' },
      },
    ],
    [
      'a refusal audited with its params: they go with the reason, for the page to word it',
      {
        code: 'TwoReplicaLayout',
        message: 'Removing a replica from prod-master would leave 2.',
        params: { master: 'prod-master', replicas: 2, voters: ['a', 'b'], forced: false },
        intent: { kind: 'remove-replica' },
      },
      {
        reason: {
          code: 'TwoReplicaLayout',
          message: 'Removing a replica from prod-master would leave 2.',
          params: { master: 'prod-master', replicas: 2, voters: ['a', 'b'], forced: false },
        },
        words: [],
        rest: { intent: { kind: 'remove-replica' } },
      },
    ],
    [
      "params that are not a refusal's stay JSON",
      { code: 'X', message: 'm', params: { nested: { a: 1 } } },
      { reason: { code: 'X', message: 'm', params: null }, words: [], rest: { params: { nested: { a: 1 } } } },
    ],
    ['a code without a message stays JSON', { code: 'X' }, { reason: null, words: [], rest: { code: 'X' } }],
    ['a started operation', { resumed: false }, { reason: null, words: [], rest: { resumed: false } }],
    ['a bare string', 'hello', { reason: null, words: [], rest: 'hello' }],
    ['a list', [1, 2], { reason: null, words: [], rest: [1, 2] }],
  ])('%s', (_name, detail, view) => {
    expect(describeAuditDetail(detail)).toEqual(view);
  });
});

describe('redactAuditDetail', () => {
  it('passes every string, however deep, with the key it sits under, and keeps everything else', () => {
    const seen: [string, string | null][] = [];
    const out = redactAuditDetail(
      { error: 'CA_KEY: abc', n: 3, ok: true, none: null, list: ['x', { CA_KEY: 'y' }] },
      (text, key) => {
        seen.push([text, key]);
        return key?.endsWith('_KEY') ? '[redacted]' : text.replace('abc', '[redacted]');
      },
    );
    expect(out).toEqual({
      error: 'CA_KEY: [redacted]',
      n: 3,
      ok: true,
      none: null,
      list: ['x', { CA_KEY: '[redacted]' }],
    });
    expect(seen).toEqual([
      ['CA_KEY: abc', 'error'],
      ['x', 'list'],
      ['y', 'CA_KEY'],
    ]);
    expect(redactAuditDetail('top', (t) => t.toUpperCase())).toBe('TOP');
  });
});
