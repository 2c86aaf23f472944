// Alerts (issue 13): which conditions of an observed cluster page someone, when an alert starts and ends, and the
// notifications it makes (Alertmanager's webhook JSON, or Slack's `{ text }`). Pure: the server keeps the state
// (lib/server/monitor/alert-evaluator.ts, persisted in the store) and posts the payloads.
//
// What fires, as an SRE on call would want it:
// - Every finding of severity warning or critical is one alert, identified by its code and subject (the replica,
//   zone, member or component it is about): `ReplicaUnhealthy` of prod-master-x7k. Info findings (layout advice such
//   as quorum reads off) are not worth waking anyone. The identity leaves the severity out, so a finding that
//   escalates from warning to critical while it lasts stays one alert (labelled with the severity it fired with).
// - `ToleranceBelowOne`: an HA cluster (three replicas or more) that can lose no further replica without losing
//   etcd quorum, whatever the reason (a stopped replica, a partition, an unknown member). It is the error budget
//   gone; a single-replica cluster has tolerance 0 by design and would fire forever, so it does not count.
// - An alert fires on the first observation that shows it: a condition caused by silence alone is already held
//   back by the assessment until it is seen twice (trustworthy health), and confirmed failures (a stopped VM, a
//   refusing member) should page at once. It resolves only after RESOLVE_AFTER_CLEAN consecutive observations
//   without it, so one lucky probe during an outage does not send resolved-then-firing pairs.
// - Deduplicated by identity: while an alert stays firing it is never notified again, also across a restart of the
//   dashboard (the firing set is kept in the store).
import type { Severity } from './assessment';
import { pluralize } from './format';
import { clusterId as idOf, type ClusterRef } from './topology';
import type { ClusterView } from './view';

/** Consecutive observations without an alert after which it is resolved. */
export const RESOLVE_AFTER_CLEAN = 2;

export const ALERT_SEVERITIES = ['critical', 'warning'] as const satisfies readonly Severity[];
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const WEBHOOK_FORMATS = ['alertmanager', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** The alert name of the cluster-level tolerance alert. */
export const TOLERANCE_ALERT = 'ToleranceBelowOne';

/** A condition one observation shows: what would fire if it is not firing yet. */
export type AlertCandidate = {
  /** Identity within the cluster: `<alertname>|<subject>`. */
  key: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
};

/** An alert that is firing (or was, until RESOLVE_AFTER_CLEAN clean observations): what the store keeps. */
export type AlertState = {
  clusterId: string;
  key: string;
  /** Alertmanager's fingerprint of `labels` (16 hex digits). */
  fingerprint: string;
  /** As they were when it fired: its resolved notification carries the same ones. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The observation that first showed it (ISO). */
  startsAt: string;
  /** Consecutive observations without it since it was last seen (0 while it is seen). */
  missing: number;
  /** The first of those observations (ISO): when it ended, if it stays away. Null while it is seen. */
  clearedAt: string | null;
};

export type AlertStatus = 'firing' | 'resolved';

/** One notification: alerts of one cluster that started (firing) or ended (resolved) at one observation. */
export type AlertNotification = {
  status: AlertStatus;
  cluster: ClusterRef;
  alerts: Array<AlertState & { endsAt: string | null }>;
};

/** The alerts one observation of a cluster shows (see the rules at the top of this file). */
export function alertCandidatesOf(view: ClusterView): AlertCandidate[] {
  const cluster = view.topology.cluster;
  const base = { cluster: view.id, project: cluster.project, region: cluster.region, master: cluster.masterName };
  const out = new Map<string, AlertCandidate>();
  for (const f of view.assessment.findings) {
    if (!isAlertSeverity(f.severity)) continue;
    const key = `${f.code}|${f.subject ?? ''}`;
    // Findings come worst first: the first of an identity is the one to keep.
    if (out.has(key)) continue;
    out.set(key, {
      key,
      labels: {
        alertname: f.code,
        severity: f.severity,
        ...base,
        ...(f.subject !== null ? { subject: f.subject } : {}),
      },
      annotations: { summary: f.message, fix: f.fix },
    });
  }
  const a = view.assessment;
  if (a.totalReplicas >= 3 && a.canLoseReplicas < 1) {
    const key = `${TOLERANCE_ALERT}|`;
    out.set(key, {
      key,
      labels: { alertname: TOLERANCE_ALERT, severity: 'critical', ...base },
      annotations: {
        summary: `${cluster.masterName} can lose ${pluralize(a.canLoseReplicas, 'replica')} and ${pluralize(a.canLoseZones, 'zone')} (${a.healthyReplicas} of ${pluralize(a.totalReplicas, 'replica')} healthy): one more failure stops its control plane.`,
        fix: 'Bring the failed replica back or replace it (the cluster page says which and how) before anything else fails.',
      },
    });
  }
  return [...out.values()];
}

function isAlertSeverity(s: Severity): s is AlertSeverity {
  return (ALERT_SEVERITIES as readonly string[]).includes(s);
}

export type AlertEvaluation = {
  /** The cluster's alert states after this observation (firing, or missing fewer than RESOLVE_AFTER_CLEAN times). */
  next: AlertState[];
  /** Alerts that started with this observation. */
  fired: AlertState[];
  /** Alerts that ended with this observation (RESOLVE_AFTER_CLEAN clean observations), with their end. */
  resolved: Array<AlertState & { endsAt: string }>;
  /** Whether `next` differs from the states given (what the store must write). */
  changed: boolean;
};

/**
 * One observation's effect on a cluster's alerts: new candidates fire, candidates already firing stay (no new
 * notification), firing alerts absent from the observation count a miss and resolve at RESOLVE_AFTER_CLEAN.
 */
export function evaluateAlerts(
  clusterId: string,
  previous: readonly AlertState[],
  candidates: readonly AlertCandidate[],
  observedAt: string,
): AlertEvaluation {
  const seen = new Map(candidates.map((c) => [c.key, c]));
  const next: AlertState[] = [];
  const fired: AlertState[] = [];
  const resolved: Array<AlertState & { endsAt: string }> = [];
  let changed = false;
  for (const s of previous) {
    if (seen.has(s.key)) {
      if (s.missing !== 0) changed = true;
      next.push({ ...s, missing: 0, clearedAt: null });
      continue;
    }
    changed = true;
    const missing = s.missing + 1;
    const clearedAt = s.clearedAt ?? observedAt;
    if (missing >= RESOLVE_AFTER_CLEAN) resolved.push({ ...s, missing, clearedAt, endsAt: clearedAt });
    else next.push({ ...s, missing, clearedAt });
  }
  const known = new Set(previous.map((s) => s.key));
  for (const c of candidates) {
    if (known.has(c.key)) continue;
    const state: AlertState = {
      clusterId,
      key: c.key,
      fingerprint: labelsFingerprint(c.labels),
      labels: c.labels,
      annotations: c.annotations,
      startsAt: observedAt,
      missing: 0,
      clearedAt: null,
    };
    next.push(state);
    fired.push(state);
    changed = true;
  }
  return { next, fired, resolved, changed };
}

/** The notifications an evaluation makes: one firing for what started, one resolved for what ended. */
export function notificationsOf(
  cluster: ClusterRef,
  evaluation: Pick<AlertEvaluation, 'fired' | 'resolved'>,
): AlertNotification[] {
  const out: AlertNotification[] = [];
  if (evaluation.fired.length > 0)
    out.push({ status: 'firing', cluster, alerts: evaluation.fired.map((a) => ({ ...a, endsAt: null })) });
  if (evaluation.resolved.length > 0) out.push({ status: 'resolved', cluster, alerts: evaluation.resolved });
  return out;
}

// --- Fingerprint: Alertmanager's (prometheus/common model.LabelSet.Fingerprint) -----------------------------------

const FNV_OFFSET = BigInt('0xcbf29ce484222325');
const FNV_PRIME = BigInt('0x100000001b3');
const MASK_64 = (BigInt(1) << BigInt(64)) - BigInt(1);
const SEPARATOR = 0xff;

/** FNV-1a 64 over the label names (sorted) and values, each followed by 0xff, as 16 hex digits. */
export function labelsFingerprint(labels: Record<string, string>): string {
  const encoder = new TextEncoder();
  let hash = FNV_OFFSET;
  const add = (byte: number) => {
    hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK_64;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const part of [name, labels[name] ?? '']) {
      for (const byte of encoder.encode(part)) add(byte);
      add(SEPARATOR);
    }
  }
  return hash.toString(16).padStart(16, '0');
}

// --- Payloads ---------------------------------------------------------------------------------------------------

/** Alertmanager writes the zero time as the end of an alert that has not ended. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export type AlertmanagerAlert = {
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
};

/** Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
export type AlertmanagerPayload = {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: AlertStatus;
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertmanagerAlert[];
};

export type PayloadContext = {
  /** The webhook's name, Alertmanager's `receiver`. */
  receiver: string;
  /** The dashboard's public URL (QUORUM_BASE_URL), without a trailing slash; '' when unknown. */
  externalUrl: string;
};

/** The cluster page's address, absolute when the dashboard's URL is known. */
export function clusterPageUrl(cluster: ClusterRef, externalUrl: string): string {
  return `${externalUrl.replace(/\/+$/, '')}/clusters/${encodeURIComponent(idOf(cluster))}`;
}

function common(maps: ReadonlyArray<Record<string, string>>): Record<string, string> {
  const [first, ...rest] = maps;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((m) => m[k] === v)));
}

/** Alerts are grouped by cluster, as an Alertmanager route with `group_by: [cluster]` would. */
export function alertmanagerPayload(n: AlertNotification, ctx: PayloadContext): AlertmanagerPayload {
  const id = idOf(n.cluster);
  const groupLabels = { cluster: id };
  return {
    version: '4',
    groupKey: `{}:{cluster=${JSON.stringify(id)}}`,
    truncatedAlerts: 0,
    status: n.status,
    receiver: ctx.receiver,
    groupLabels,
    commonLabels: common(n.alerts.map((a) => a.labels)),
    commonAnnotations: common(n.alerts.map((a) => a.annotations)),
    externalURL: ctx.externalUrl,
    alerts: n.alerts.map((a) => ({
      status: n.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt ?? ZERO_TIME,
      generatorURL: clusterPageUrl(n.cluster, ctx.externalUrl),
      fingerprint: a.fingerprint,
    })),
  };
}

/** Slack's incoming-webhook form: one message, `[FIRING:2] prod-master` and a line per alert (mrkdwn). */
export function slackPayload(n: AlertNotification, ctx: Pick<PayloadContext, 'externalUrl'>): { text: string } {
  const title = `[${n.status.toUpperCase()}:${n.alerts.length}] ${n.cluster.masterName} (${n.cluster.project}, ${n.cluster.region})`;
  const lines = n.alerts.map((a) => {
    const subject = a.labels.subject ? ` ${a.labels.subject}` : '';
    return `• *${a.labels.severity ?? 'warning'}* ${a.labels.alertname ?? a.key}${subject}: ${a.annotations.summary ?? ''}`;
  });
  const link =
    ctx.externalUrl !== ''
      ? [`<${clusterPageUrl(n.cluster, ctx.externalUrl)}|Open ${n.cluster.masterName} in Quorum>`]
      : [];
  return { text: [title, ...lines, ...link].join('\n') };
}

/** The body a webhook of `format` gets for `n`. */
export function webhookBody(
  format: WebhookFormat,
  n: AlertNotification,
  ctx: PayloadContext,
): AlertmanagerPayload | { text: string } {
  return format === 'slack' ? slackPayload(n, ctx) : alertmanagerPayload(n, ctx);
}

/** What "Send test" posts: one firing alert `QuorumWebhookTest` of severity info, on no real cluster. */
export function testNotification(actor: string, at: string): AlertNotification {
  const cluster: ClusterRef = { project: 'quorum', region: 'test', masterName: 'webhook-test' };
  const labels = { alertname: 'QuorumWebhookTest', severity: 'info', cluster: idOf(cluster) };
  return {
    status: 'firing',
    cluster,
    alerts: [
      {
        clusterId: idOf(cluster),
        key: 'QuorumWebhookTest|',
        fingerprint: labelsFingerprint(labels),
        labels,
        annotations: {
          summary: `A test notification from Quorum, sent by ${actor}: this webhook is reachable. Nothing is wrong.`,
          fix: 'Nothing to do.',
        },
        startsAt: at,
        missing: 0,
        clearedAt: null,
        endsAt: null,
      },
    ],
  };
}

// --- Webhook configuration ---------------------------------------------------------------------------------------

/** The latest attempt to deliver a notification to a webhook (after its retries). */
export type WebhookDelivery = {
  at: string;
  ok: boolean;
  /** The receiver's HTTP status; null when it never answered. */
  status: number | null;
  /** In words: `HTTP 200`, `connection refused by 127.0.0.1:9`, `no answer within 5 s`. */
  message: string;
  attempts: number;
  /** Sent by "Send test" rather than by an alert. */
  test: boolean;
};

/** A webhook as the browser sees it (Settings): its secret never, only whether it has one; its address shortened. */
export type WebhookView = {
  id: string;
  name: string;
  /** webhookUrlForDisplay of the address. */
  url: string;
  format: WebhookFormat;
  hasSecret: boolean;
  enabled: boolean;
  createdAt: string;
  createdBy: string;
  lastDelivery: WebhookDelivery | null;
};

/** At most this many webhooks: each notification is posted to every one of them. */
export const MAX_WEBHOOKS = 20;

export type WebhookUrlProblem = string | null;

/**
 * Why `raw` cannot be a webhook's address, or null: an absolute http or https URL, without user:password
 * (fetch refuses those; a receiver's credentials go in the bearer token), at most 2000 characters.
 */
export function webhookUrlProblem(raw: string): WebhookUrlProblem {
  if (raw.length > 2_000) return 'is longer than 2000 characters';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not an absolute URL (https://host/path)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `must be http or https, not ${url.protocol.replace(/:$/, '')}`;
  if (url.hostname === '') return 'has no host';
  if (url.username !== '' || url.password !== '')
    return 'must not carry a user or password: put the receiver’s credentials in the bearer token';
  return null;
}

/**
 * A webhook's address as the browser may show it. Slack's incoming-webhook URLs (and many others) carry their
 * secret in the path or query, so only the scheme, host and first path segment are shown.
 */
export function webhookUrlForDisplay(raw: string): string {
  try {
    const url = new URL(raw);
    const segments = url.pathname.split('/').filter((s) => s !== '');
    const first = segments[0] ? `/${segments[0]}` : '/';
    const more = segments.length > 1 || url.search !== '' ? '/…' : '';
    return `${url.protocol}//${url.host}${first}${more}`;
  } catch {
    return '(not a URL)';
  }
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/**
 * Whether the worst severity a page shows got worse, worth a browser notification: only into warning or critical
 * (info is advice), and not when the page had nothing to compare with yet (`before` undefined).
 */
export function severityWorsened(before: Severity | null | undefined, after: Severity | null): boolean {
  if (before === undefined || after === null || after === 'info') return false;
  return before === null || SEVERITY_RANK[after] < SEVERITY_RANK[before];
}
