import 'server-only';
import { z } from 'zod';
import { LEADER_ELECTED_COMPONENTS, type LeaseView, type NodeView } from '@/lib/core/topology';

// The client's model classes (V1Lease, V1Node) are parsed again here: fields are optional in the
// OpenAPI spec, and a stand-in or an old server may leave out what a real one sends.

const timeLike = z.union([z.date(), z.string()]).nullish();

const leaseSchema = z.object({
  metadata: z.object({ name: z.string() }).nullish(),
  spec: z
    .object({
      holderIdentity: z.string().nullish(),
      renewTime: timeLike,
      leaseDurationSeconds: z.number().nullish(),
    })
    .nullish(),
});
const leaseListSchema = z.object({ items: z.array(leaseSchema) });

const nodeSchema = z.object({
  metadata: z.object({ name: z.string(), labels: z.record(z.string(), z.string()).nullish() }).nullish(),
  status: z.object({ conditions: z.array(z.object({ type: z.string(), status: z.string() })).nullish() }).nullish(),
});
const nodeListSchema = z.object({ items: z.array(nodeSchema) });

const ZONE_LABELS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'] as const;

function isoOrNull(t: Date | string | null | undefined): string | null {
  if (t === null || t === undefined) return null;
  if (t instanceof Date) return Number.isNaN(t.getTime()) ? null : t.toISOString();
  return t === '' ? null : t;
}

/**
 * Leases of the leader-elected components, in LEADER_ELECTED_COMPONENTS order. A component whose
 * Lease object does not exist is left out (the assessment decides what a missing one means).
 */
export function toLeaseViews(raw: unknown): LeaseView[] {
  const byName = new Map<string, LeaseView>();
  for (const item of leaseListSchema.parse(raw).items) {
    const name = item.metadata?.name;
    const component = LEADER_ELECTED_COMPONENTS.find((c) => c === name);
    if (!component) continue;
    byName.set(component, {
      component,
      holderIdentity: item.spec?.holderIdentity || null,
      renewTime: isoOrNull(item.spec?.renewTime),
      leaseDurationSeconds: item.spec?.leaseDurationSeconds ?? null,
    });
  }
  return LEADER_ELECTED_COMPONENTS.flatMap((c) => {
    const lease = byName.get(c);
    return lease ? [lease] : [];
  });
}

export function toNodeViews(raw: unknown): NodeView[] {
  return nodeListSchema
    .parse(raw)
    .items.flatMap((n) => {
      const name = n.metadata?.name;
      if (!name) return [];
      const labels = n.metadata?.labels ?? {};
      const zone = ZONE_LABELS.map((l) => labels[l]).find((z) => z !== undefined && z !== '') ?? null;
      const ready = (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      return [{ name, zone, ready }];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Short reason for a failed API-server call; time-outs start with `timeout:`. */
export function describeKubeError(e: unknown, timeoutMs: number): string {
  const name = e instanceof Error ? e.name : '';
  const message = e instanceof Error ? e.message : String(e);
  const code = z.object({ code: z.union([z.string(), z.number()]) }).safeParse(e);
  const errCode = code.success ? code.data.code : undefined;
  // An HTTP answer first: the generated client's message quotes the response headers, and `keep-alive: timeout=5` is no timeout.
  if (typeof errCode === 'number' && errCode >= 400) {
    // The adapter's own answers carry the reason; a generated client's message quotes it on a `Message:` line.
    const reason = z.object({ reason: z.string() }).safeParse(e);
    const status = reason.success ? reason.data.reason.trim() : /^Message: (.+)$/m.exec(message)?.[1]?.trim();
    return status ? `HTTP ${errCode} ${status.slice(0, 60)}` : `HTTP ${errCode}`;
  }
  if (
    name === 'AbortError' ||
    name === 'TimeoutError' ||
    errCode === 'ABORT_ERR' ||
    /aborted|timed? ?out\b/i.test(message)
  ) {
    return `timeout: no answer within ${timeoutMs} ms`;
  }
  if (errCode === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) return 'connection refused';
  if (errCode === 'ECONNRESET' || /ECONNRESET|socket hang up/.test(message)) return 'connection reset';
  if (errCode === 'EHOSTUNREACH' || errCode === 'ENETUNREACH') return 'host unreachable';
  if (typeof errCode === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(errCode))
    return `TLS: server certificate not trusted (${errCode})`;
  if (/bad certificate|certificate required/i.test(message)) return 'TLS: client certificate rejected';
  const compact = message.split('\n')[0]?.trim() ?? '';
  return compact === '' ? 'unknown error' : compact.length > 120 ? `${compact.slice(0, 117)}...` : compact;
}
