// The audit log as the audit page reads it (issue 5): outcomes, the page's query string parsed into a
// filter, and an entry's detail put into words. Pure: the page and its tests share it.
import { z } from 'zod';
import type { FindingParams } from './assessment';

export const AUDIT_OUTCOMES = ['started', 'succeeded', 'failed', 'refused', 'cancelled'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Entries per page of the audit page. */
export const AUDIT_PAGE_SIZE = 50;

/** What the audit page filters on; the store's AuditFilter accepts it as is. */
export type AuditCriteria = {
  actor?: string;
  /** Prefix of the action: `operation.` matches every operation, `chaos.kill` every kill. */
  action?: string;
  outcome?: AuditOutcome;
  clusterId?: string;
  /** Free text, case-insensitive, over action, actor and detail. */
  q?: string;
  /** ISO timestamp; entries at or after it. */
  since?: string;
  /** Paging cursor: entries with a smaller id (older) only. */
  beforeId?: number;
};

/** The query parameters of /audit, as typed in the filter form. */
export const AUDIT_QUERY_FIELDS = ['actor', 'action', 'outcome', 'cluster', 'q', 'since', 'before'] as const;
export type AuditQueryField = (typeof AUDIT_QUERY_FIELDS)[number];

export type AuditQuery = {
  /** Empty when any value was refused: the page then shows every entry, and says why. */
  criteria: AuditCriteria;
  /** What the form shows: the values as given (trimmed), so a refused one can be corrected in place. */
  form: Record<AuditQueryField, string>;
  /** One sentence per refused value. */
  problems: string[];
};

export type SearchParams = Record<string, string | string[] | undefined>;

const MAX_TEXT = 200;
const text = (what: string) => z.string().max(MAX_TEXT, `${what} is longer than ${MAX_TEXT} characters`);
const DURATION_UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// A date, or a date and time in UTC unless an offset is given: what people paste from logs and this page.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

const fieldSchemas = {
  actor: text('actor'),
  action: text('action').regex(
    /^[A-Za-z0-9._-]+$/,
    'action is a dotted name or its start, like operation.add-replica or chaos.',
  ),
  outcome: z.enum(AUDIT_OUTCOMES, { error: `outcome is one of ${AUDIT_OUTCOMES.join(', ')}` }),
  cluster: z
    .string()
    .regex(
      /^[a-z][-a-z0-9]{0,62}~[a-z][-a-z0-9]{0,62}~[a-z][-a-z0-9]{0,62}$/,
      'cluster is a cluster id: project~region~master-name',
    ),
  q: text('search text'),
  before: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, 'before is the id of an audit entry (a positive whole number)')
    .transform(Number),
} as const;

/**
 * `since` as an ISO timestamp: a duration back from `now` (`15m`, `24h`, `7d`) or a date or time (UTC unless an
 * offset is given). Null when it is neither.
 */
export function parseSince(value: string, now: Date): string | null {
  const duration = /^(\d{1,6})([mhd])$/.exec(value);
  if (duration) {
    const [, amount, unit] = duration;
    const ms = Number(amount) * DURATION_UNITS[unit as keyof typeof DURATION_UNITS];
    return ms > 0 ? new Date(now.getTime() - ms).toISOString() : null;
  }
  const match = ISO_TIME.exec(value);
  if (!match) return null;
  // Date.parse rolls 2026-02-31 over into March: a day that does not exist is refused instead.
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day)
    return null;
  const hasTime = match[1] !== undefined;
  const hasOffset = match[4] !== undefined;
  const normalized = hasTime
    ? `${value.slice(0, 10)}T${value.slice(11).toUpperCase()}${hasOffset ? '' : 'Z'}`
    : `${value}T00:00:00Z`;
  const ms = Date.parse(normalized);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * The audit page's searchParams as a filter. Unknown parameters are ignored; a value given twice, too long or
 * not of its shape is a problem, and any problem leaves the criteria empty (the unfiltered list) rather than
 * applying the rest, so the page never shows a narrower list than the operator thinks.
 */
export function parseAuditQuery(params: SearchParams, now: Date): AuditQuery {
  const form = Object.fromEntries(AUDIT_QUERY_FIELDS.map((f) => [f, ''])) as Record<AuditQueryField, string>;
  const problems: string[] = [];
  const criteria: AuditCriteria = {};

  for (const field of AUDIT_QUERY_FIELDS) {
    const raw = params[field];
    if (raw === undefined) continue;
    if (Array.isArray(raw)) {
      form[field] = (raw[0] ?? '').trim().slice(0, 500);
      problems.push(`${field} is given ${raw.length} times; give it once`);
      continue;
    }
    const value = raw.trim();
    form[field] = value.slice(0, 500);
    if (value === '') continue;
    switch (field) {
      case 'since': {
        const since = parseSince(value, now);
        if (since === null)
          problems.push(
            'since is a duration back from now (15m, 24h, 7d) or a UTC date or time (2026-11-26 or 2026-11-26T04:00:00Z)',
          );
        else criteria.since = since;
        break;
      }
      case 'before': {
        const parsed = fieldSchemas.before.safeParse(value);
        if (parsed.success) criteria.beforeId = parsed.data;
        else problems.push(firstMessage(parsed.error));
        break;
      }
      case 'cluster': {
        const parsed = fieldSchemas.cluster.safeParse(value);
        if (parsed.success) criteria.clusterId = parsed.data;
        else problems.push(firstMessage(parsed.error));
        break;
      }
      case 'outcome': {
        const parsed = fieldSchemas.outcome.safeParse(value);
        if (parsed.success) criteria.outcome = parsed.data;
        else problems.push(firstMessage(parsed.error));
        break;
      }
      case 'actor':
      case 'action':
      case 'q': {
        const parsed = fieldSchemas[field].safeParse(value);
        if (parsed.success) criteria[field] = parsed.data;
        else problems.push(firstMessage(parsed.error));
        break;
      }
    }
  }
  return { criteria: problems.length > 0 ? {} : criteria, form, problems };
}

function firstMessage(error: z.ZodError): string {
  return error.issues[0]?.message ?? 'not a valid value';
}

/**
 * `/audit` with the form's values and `overrides` (an empty string drops a parameter): the link of the next
 * page keeps every filter.
 */
export function auditHref(
  form: Partial<Record<AuditQueryField, string>>,
  overrides: Partial<Record<AuditQueryField, string>> = {},
): string {
  const params = new URLSearchParams();
  for (const field of AUDIT_QUERY_FIELDS) {
    const value = field in overrides ? overrides[field] : form[field];
    if (value !== undefined && value !== '') params.set(field, value);
  }
  const query = params.toString();
  return query === '' ? '/audit' : `/audit?${query}`;
}

export type AuditDetailView = {
  /**
   * A refusal's (or a failure's) typed reason, when the entry carries one; with the refusal's params when it was
   * audited with them, so the page words it in the reader's language (the message stays the record).
   */
  reason: { code: string; message: string; params: FindingParams | null } | null;
  /** What the entry says in words otherwise: an operation's summary, an override's reason, an error. */
  words: { label: AuditWordField; text: string }[];
  /** Everything else, for a compact JSON view; null when nothing is left. */
  rest: Record<string, unknown> | unknown[] | string | number | boolean | null;
};

const WORD_FIELDS = ['summary', 'reason', 'error'] as const;
export type AuditWordField = (typeof WORD_FIELDS)[number];

/** A refusal as the audit keeps it: its code and English, and its params (JSON) when it has them. */
export function refusalDetail(refusal: { code: string; message: string; params?: FindingParams | undefined }): {
  code: string;
  message: string;
  params?: { [key: string]: AuditJson };
} {
  const { code, message, params } = refusal;
  if (params === undefined) return { code, message };
  const json: { [key: string]: AuditJson } = {};
  for (const [k, v] of Object.entries(params)) json[k] = typeof v === 'object' ? [...v] : v;
  return { code, message, params: json };
}

/** Audited params read back: an object of strings, numbers, booleans and string lists; null otherwise. */
function paramsOf(value: unknown): FindingParams | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const ok = (v: unknown) =>
    ['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
  return Object.values(value).every(ok) ? (value as FindingParams) : null;
}

/** Splits an entry's detail into what the page says in words and what it only shows as JSON. */
export function describeAuditDetail(detail: unknown): AuditDetailView {
  if (detail === null || detail === undefined) return { reason: null, words: [], rest: null };
  if (typeof detail !== 'object' || Array.isArray(detail))
    return { reason: null, words: [], rest: detail as AuditDetailView['rest'] };
  const rest: Record<string, unknown> = { ...detail };
  let reason: AuditDetailView['reason'] = null;
  if (typeof rest.code === 'string' && typeof rest.message === 'string') {
    const params = paramsOf(rest.params);
    reason = { code: rest.code, message: rest.message, params };
    delete rest.code;
    delete rest.message;
    if (params !== null) delete rest.params;
  }
  const words: AuditDetailView['words'] = [];
  for (const key of WORD_FIELDS) {
    const value = rest[key];
    if (typeof value === 'string' && value.trim() !== '') {
      words.push({ label: key, text: value });
      delete rest[key];
    } else if (value === null) {
      // `{ summary: null, error: null }` of an operation that ended without either: nothing to show.
      delete rest[key];
    }
  }
  return { reason, words, rest: Object.keys(rest).length > 0 ? rest : null };
}

export type AuditJson = string | number | boolean | null | AuditJson[] | { [key: string]: AuditJson };

/**
 * `detail` with every string passed through `redact` (given the key it sits under), keys kept: how the page
 * applies the server's secret redaction to what an entry quotes (an operation's error may quote metadata).
 */
export function redactAuditDetail(detail: AuditJson, redact: (text: string, key: string | null) => string): AuditJson {
  const walk = (value: AuditJson, key: string | null): AuditJson => {
    if (typeof value === 'string') return redact(value, key);
    if (Array.isArray(value)) return value.map((item) => walk(item, key));
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    return value;
  };
  return walk(detail, null);
}
