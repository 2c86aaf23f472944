import { describe, expect, it } from 'vitest';
import {
  alertCandidatesOf,
  alertmanagerPayload,
  evaluateAlerts,
  labelsFingerprint,
  notificationsOf,
  RESOLVE_AFTER_CLEAN,
  severityWorsened,
  slackPayload,
  testNotification,
  webhookUrlForDisplay,
  webhookUrlProblem,
  ZERO_TIME,
  type AlertCandidate,
  type AlertNotification,
  type AlertState,
} from './alerts';
import { assessTopology } from './assessment';
import { buildTopology, NOW, prodSpec, stagingSpec, type TopologySpec } from './testing/topology-builder';
import { clusterId } from './topology';
import type { ClusterView } from './view';

function viewOf(spec: TopologySpec): ClusterView {
  const topology = buildTopology(spec);
  return { id: clusterId(topology.cluster), topology, assessment: assessTopology(topology, NOW), failureSince: {} };
}

const PROD_ID = 'sandbox-project~europe-west1~prod-master';
const STOPPED_C = prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] });

describe('alertCandidatesOf', () => {
  it.each<[string, TopologySpec, string[]]>([
    ['healthy prod: nothing', prodSpec(), []],
    [
      'prod with a stopped replica: the replica, and the tolerance gone',
      STOPPED_C,
      ['ReplicaUnhealthy|prod-master-c02', 'ToleranceBelowOne|'],
    ],
    // Tolerance 0 by design, and an info finding (quorum reads off): nothing worth a page.
    ['healthy single-replica staging: nothing', stagingSpec(), []],
    // An unknown replica (timed out) also takes the tolerance: a warning for it, and the cluster-level alert.
    [
      'prod with a silent replica',
      prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout' }, { zone: 'd' }] }),
      ['ReplicaUnhealthy|prod-master-c02', 'ToleranceBelowOne|'],
    ],
  ])('%s', (_what, spec, keys) => {
    expect(alertCandidatesOf(viewOf(spec)).map((c) => c.key)).toEqual(keys);
  });

  it('labels an alert with its cluster, its finding and severity, and carries the finding’s words', () => {
    const [replica, tolerance] = alertCandidatesOf(viewOf(STOPPED_C));
    expect(replica?.labels).toEqual({
      alertname: 'ReplicaUnhealthy',
      severity: 'critical',
      cluster: PROD_ID,
      project: 'sandbox-project',
      region: 'europe-west1',
      master: 'prod-master',
      subject: 'prod-master-c02',
    });
    expect(replica?.annotations.summary).toMatch(/^Replica prod-master-c02 is unhealthy/);
    expect(replica?.annotations.fix).toContain('gcloud compute instances start prod-master-c02');
    expect(tolerance?.labels).toMatchObject({ alertname: 'ToleranceBelowOne', severity: 'critical', cluster: PROD_ID });
    expect(tolerance?.labels.subject).toBeUndefined();
    expect(tolerance?.annotations.summary).toBe(
      'prod-master can lose 0 replicas and 0 zones (2 of 3 replicas healthy): one more failure stops its control plane.',
    );
  });
});

// --- The evaluator's state machine: one row per observation --------------------------------------------------------

const cand = (key: string): AlertCandidate => ({
  key,
  labels: { alertname: key.split('|')[0] ?? key, severity: 'critical', cluster: 'c' },
  annotations: { summary: key },
});

type Step = { seen: string[]; fired: string[]; resolved: string[]; firing: string[] };

/** Runs observations 1, 2, 3... (at minute i) through evaluateAlerts, checking each step's notifications and state. */
function run(steps: Step[], start: AlertState[] = []): AlertState[] {
  let states = start;
  steps.forEach((step, i) => {
    const at = `2026-01-10T12:0${i}:00.000Z`;
    const e = evaluateAlerts('c', states, step.seen.map(cand), at);
    expect({
      step: i + 1,
      fired: e.fired.map((a) => a.key),
      resolved: e.resolved.map((a) => a.key),
      firing: e.next.map((a) => a.key),
    }).toEqual({
      step: i + 1,
      fired: step.fired,
      resolved: step.resolved,
      firing: step.firing,
    });
    states = e.next;
  });
  return states;
}

describe('evaluateAlerts', () => {
  it('needs two clean observations to resolve', () => {
    expect(RESOLVE_AFTER_CLEAN).toBe(2);
  });

  it.each<[string, Step[]]>([
    [
      'fires once, stays firing without a second notification, resolves after two clean observations',
      [
        { seen: ['A|x'], fired: ['A|x'], resolved: [], firing: ['A|x'] },
        { seen: ['A|x'], fired: [], resolved: [], firing: ['A|x'] },
        { seen: ['A|x'], fired: [], resolved: [], firing: ['A|x'] },
        { seen: [], fired: [], resolved: [], firing: ['A|x'] },
        { seen: [], fired: [], resolved: ['A|x'], firing: [] },
        { seen: [], fired: [], resolved: [], firing: [] },
      ],
    ],
    [
      'one clean observation between two with it: neither resolved nor fired again',
      [
        { seen: ['A|x'], fired: ['A|x'], resolved: [], firing: ['A|x'] },
        { seen: [], fired: [], resolved: [], firing: ['A|x'] },
        { seen: ['A|x'], fired: [], resolved: [], firing: ['A|x'] },
        { seen: [], fired: [], resolved: [], firing: ['A|x'] },
        { seen: ['A|x'], fired: [], resolved: [], firing: ['A|x'] },
      ],
    ],
    [
      'after it resolved, the same condition fires anew',
      [
        { seen: ['A|x'], fired: ['A|x'], resolved: [], firing: ['A|x'] },
        { seen: [], fired: [], resolved: [], firing: ['A|x'] },
        { seen: [], fired: [], resolved: ['A|x'], firing: [] },
        { seen: ['A|x'], fired: ['A|x'], resolved: [], firing: ['A|x'] },
      ],
    ],
    [
      'alerts of one cluster are independent: one resolves while another starts',
      [
        { seen: ['A|x', 'B|'], fired: ['A|x', 'B|'], resolved: [], firing: ['A|x', 'B|'] },
        { seen: ['B|', 'A|y'], fired: ['A|y'], resolved: [], firing: ['A|x', 'B|', 'A|y'] },
        { seen: ['A|y'], fired: [], resolved: ['A|x'], firing: ['B|', 'A|y'] },
        { seen: ['A|y'], fired: [], resolved: ['B|'], firing: ['A|y'] },
      ],
    ],
  ])('%s', (_what, steps) => {
    run(steps);
  });

  it('goes on from stored state as if it had never stopped (a restart notifies nothing that was firing)', () => {
    const before = run([
      { seen: ['A|x'], fired: ['A|x'], resolved: [], firing: ['A|x'] },
      { seen: [], fired: [], resolved: [], firing: ['A|x'] },
    ]);
    // What the store gives back after a restart: the same states, JSON and all.
    const restored = JSON.parse(JSON.stringify(before)) as AlertState[];
    run([{ seen: [], fired: [], resolved: ['A|x'], firing: [] }], restored);
    run([{ seen: ['A|x'], fired: [], resolved: [], firing: ['A|x'] }], restored);
  });

  it('keeps when it started, and ends it at the first clean observation', () => {
    const first = evaluateAlerts('c', [], [cand('A|x')], '2026-01-10T12:00:00.000Z');
    const second = evaluateAlerts('c', first.next, [], '2026-01-10T12:00:05.000Z');
    const third = evaluateAlerts('c', second.next, [], '2026-01-10T12:00:10.000Z');
    expect(third.resolved).toEqual([
      expect.objectContaining({
        startsAt: '2026-01-10T12:00:00.000Z',
        clearedAt: '2026-01-10T12:00:05.000Z',
        endsAt: '2026-01-10T12:00:05.000Z',
      }),
    ]);
  });

  it('says when the state must be written: on every change, not on a steady firing', () => {
    const first = evaluateAlerts('c', [], [cand('A|x')], '2026-01-10T12:00:00.000Z');
    expect(first.changed).toBe(true);
    expect(evaluateAlerts('c', first.next, [cand('A|x')], '2026-01-10T12:00:01.000Z').changed).toBe(false);
    const missed = evaluateAlerts('c', first.next, [], '2026-01-10T12:00:02.000Z');
    expect(missed.changed).toBe(true);
    expect(evaluateAlerts('c', missed.next, [cand('A|x')], '2026-01-10T12:00:03.000Z').changed).toBe(true);
    expect(evaluateAlerts('c', [], [], '2026-01-10T12:00:04.000Z').changed).toBe(false);
  });
});

describe('labelsFingerprint (Alertmanager’s: FNV-1a 64 over sorted names and values, 0xff after each)', () => {
  it.each<[Record<string, string>, string]>([
    // prometheus/common's emptyLabelSignature: FNV-1a's offset basis.
    [{}, 'cbf29ce484222325'],
    // Computed independently (Python) over a 0xff b 0xff.
    [{ a: 'b' }, 'd2b371819297f98a'],
    [{ cluster: 'x', alertname: 'ReplicaUnhealthy' }, '95605e015d5be9b2'],
  ])('%j -> %s', (labels, fingerprint) => {
    expect(labelsFingerprint(labels)).toBe(fingerprint);
  });

  it('separates names from values', () => {
    expect(labelsFingerprint({ ab: 'c' })).not.toBe(labelsFingerprint({ a: 'bc' }));
  });
});

describe('payloads', () => {
  const [fired] = evaluateAlerts(
    PROD_ID,
    [],
    alertCandidatesOf(viewOf(STOPPED_C)),
    '2026-01-10T12:00:00.000Z',
  ).fired.map((a) => [a]);
  const firing: AlertNotification = {
    status: 'firing',
    cluster: { project: 'sandbox-project', region: 'europe-west1', masterName: 'prod-master' },
    alerts: (fired ?? []).map((a) => ({ ...a, endsAt: null })),
  };

  it('Alertmanager: version 4, grouped by cluster, firing alerts end at the zero time, links to the cluster page', () => {
    const p = alertmanagerPayload(firing, { receiver: 'pager', externalUrl: 'https://quorum.example.com' });
    expect(p).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'pager',
      groupKey: `{}:{cluster="${PROD_ID}"}`,
      groupLabels: { cluster: PROD_ID },
      externalURL: 'https://quorum.example.com',
      truncatedAlerts: 0,
    });
    expect(p.alerts).toHaveLength(1);
    expect(p.alerts[0]).toEqual({
      status: 'firing',
      labels: expect.objectContaining({
        alertname: 'ReplicaUnhealthy',
        subject: 'prod-master-c02',
        severity: 'critical',
      }),
      annotations: expect.objectContaining({ summary: expect.stringContaining('prod-master-c02') }),
      startsAt: '2026-01-10T12:00:00.000Z',
      endsAt: ZERO_TIME,
      generatorURL: `https://quorum.example.com/clusters/${encodeURIComponent(PROD_ID)}`,
      fingerprint: labelsFingerprint(p.alerts[0]?.labels ?? {}),
    });
    expect(p.commonLabels).toEqual(p.alerts[0]?.labels);
  });

  it('Alertmanager: a resolved notification carries the end; common labels are those all alerts share', () => {
    const candidates = alertCandidatesOf(viewOf(STOPPED_C));
    const started = evaluateAlerts(PROD_ID, [], candidates, '2026-01-10T12:00:00.000Z');
    const once = evaluateAlerts(PROD_ID, started.next, [], '2026-01-10T12:00:05.000Z');
    const twice = evaluateAlerts(PROD_ID, once.next, [], '2026-01-10T12:00:10.000Z');
    const [resolved] = notificationsOf(firing.cluster, twice);
    expect(resolved?.status).toBe('resolved');
    const p = alertmanagerPayload(resolved ?? firing, { receiver: 'pager', externalUrl: '' });
    expect(p.status).toBe('resolved');
    expect(p.alerts.map((a) => [a.labels.alertname, a.status, a.endsAt])).toEqual([
      ['ReplicaUnhealthy', 'resolved', '2026-01-10T12:00:05.000Z'],
      ['ToleranceBelowOne', 'resolved', '2026-01-10T12:00:05.000Z'],
    ]);
    expect(p.commonLabels).toEqual({
      severity: 'critical',
      cluster: PROD_ID,
      project: 'sandbox-project',
      region: 'europe-west1',
      master: 'prod-master',
    });
    expect(p.alerts[0]?.generatorURL).toBe(`/clusters/${encodeURIComponent(PROD_ID)}`);
  });

  it('Slack: one text with a line per alert and a link when the dashboard’s address is known', () => {
    expect(slackPayload(firing, { externalUrl: 'https://quorum.example.com/' }).text.split('\n')).toEqual([
      '[FIRING:1] prod-master (sandbox-project, europe-west1)',
      expect.stringMatching(/^• \*critical\* ReplicaUnhealthy prod-master-c02: Replica prod-master-c02 is unhealthy/),
      `<https://quorum.example.com/clusters/${encodeURIComponent(PROD_ID)}|Open prod-master in Quorum>`,
    ]);
    expect(slackPayload(firing, { externalUrl: '' }).text.split('\n')).toHaveLength(2);
  });

  it('a test notification is one firing info alert that names who sent it', () => {
    const n = testNotification('admin@quorum.local', '2026-01-10T12:00:00.000Z');
    const p = alertmanagerPayload(n, { receiver: 'r', externalUrl: '' });
    expect(p.status).toBe('firing');
    expect(p.alerts).toHaveLength(1);
    expect(p.alerts[0]?.labels).toMatchObject({ alertname: 'QuorumWebhookTest', severity: 'info' });
    expect(p.alerts[0]?.annotations.summary).toContain('admin@quorum.local');
  });
});

describe('webhook addresses', () => {
  it.each<[string, string | null]>([
    ['https://hooks.slack.com/services/T0/B0/secret', null],
    ['http://127.0.0.1:9093/api/v2/alerts', null],
    ['ftp://example.com/x', 'must be http or https, not ftp'],
    ['javascript:alert(1)', 'must be http or https, not javascript'],
    ['file:///etc/passwd', 'must be http or https, not file'],
    ['/relative/path', 'is not an absolute URL (https://host/path)'],
    ['example.com/hook', 'is not an absolute URL (https://host/path)'],
    [
      'https://user:pass@example.com/hook',
      'must not carry a user or password: put the receiver’s credentials in the bearer token',
    ],
    [`https://example.com/${'a'.repeat(2_000)}`, 'is longer than 2000 characters'],
  ])('%s -> %s', (url, problem) => {
    expect(webhookUrlProblem(url)).toBe(problem);
  });

  it.each<[string, string]>([
    // Slack's secret is in the path: only its first segment is shown.
    ['https://hooks.slack.com/services/T0/B0/XXXXsecret', 'https://hooks.slack.com/services/…'],
    ['http://127.0.0.1:9093/hook', 'http://127.0.0.1:9093/hook'],
    ['http://127.0.0.1:9093/hook?token=secret', 'http://127.0.0.1:9093/hook/…'],
    ['https://example.com', 'https://example.com/'],
  ])('%s is shown as %s', (url, shown) => {
    expect(webhookUrlForDisplay(url)).toBe(shown);
  });
});

describe('severityWorsened (browser notifications)', () => {
  it.each<[Parameters<typeof severityWorsened>[0], Parameters<typeof severityWorsened>[1], boolean]>([
    [undefined, 'critical', false],
    [null, 'warning', true],
    [null, 'critical', true],
    [null, 'info', false],
    ['info', 'warning', true],
    ['warning', 'critical', true],
    ['warning', 'warning', false],
    ['critical', 'warning', false],
    ['critical', null, false],
    ['warning', 'info', false],
  ])('%s -> %s: %s', (before, after, worse) => {
    expect(severityWorsened(before, after)).toBe(worse);
  });
});
