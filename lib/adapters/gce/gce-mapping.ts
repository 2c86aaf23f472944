import 'server-only';
import { z } from 'zod';
import { VM_STATUSES, type ForwardingRule, type StaticAddress, type TargetPool } from '@/lib/core/topology';
import type { InstanceInfo } from '@/lib/ports/compute';
import { ProviderError } from '@/lib/ports/provider-error';

// What @google-cloud/compute hands back are protobuf.js objects decoded from GCE's JSON: any field may
// be missing or null, int64 ids arrive as strings. Everything is parsed here, at the edge.

const optString = z.string().nullish();

const accessConfigSchema = z.object({ natIP: optString, name: optString });
const networkInterfaceSchema = z.object({
  networkIP: optString,
  accessConfigs: z.array(accessConfigSchema).nullish(),
});
const metadataSchema = z.object({
  fingerprint: optString,
  items: z.array(z.object({ key: optString, value: optString })).nullish(),
});

export const instanceSchema = z.object({
  name: z.string().min(1),
  zone: z.string().min(1),
  status: z.enum(VM_STATUSES),
  networkInterfaces: z.array(networkInterfaceSchema).nullish(),
  tags: z.object({ items: z.array(z.string()).nullish() }).nullish(),
  metadata: metadataSchema.nullish(),
  creationTimestamp: optString,
});

const regionSchema = z.object({ name: z.string().min(1), zones: z.array(z.string()).nullish() });

const forwardingRuleSchema = z.object({
  name: z.string().min(1),
  IPAddress: z.string().min(1),
  portRange: optString,
  target: optString,
});

const targetPoolSchema = z.object({ name: z.string().min(1), instances: z.array(z.string()).nullish() });

const addressSchema = z.object({
  name: z.string().min(1),
  address: z.string().min(1),
  status: z.enum(['RESERVED', 'IN_USE', 'RESERVING']),
  users: z.array(z.string()).nullish(),
});

/** Last path segment of a GCE URL or partial URL (`.../zones/europe-west1-b` -> `europe-west1-b`). */
export function lastSegment(urlOrName: string): string {
  const trimmed = urlOrName.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i === -1 ? trimmed : trimmed.slice(i + 1);
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid';
    throw new ProviderError('Unknown', `Compute Engine returned an unexpected ${what} (${where})`);
  }
  return r.data;
}

export function toInstanceInfo(raw: unknown): InstanceInfo {
  const i = parseOrThrow(instanceSchema, raw, 'instance');
  const nic0 = i.networkInterfaces?.[0];
  const metadata: Record<string, string> = {};
  for (const item of i.metadata?.items ?? []) {
    if (item.key) metadata[item.key] = item.value ?? '';
  }
  return {
    name: i.name,
    zone: lastSegment(i.zone),
    status: i.status,
    internalIp: nic0?.networkIP || null,
    externalIp: nic0?.accessConfigs?.[0]?.natIP || null,
    tags: i.tags?.items ?? [],
    metadata,
    metadataFingerprint: i.metadata?.fingerprint || null,
    creationTimestamp: i.creationTimestamp ?? '',
  };
}

export function toRegionZones(raw: unknown): string[] {
  const r = parseOrThrow(regionSchema, raw, 'region');
  return (r.zones ?? []).map(lastSegment).sort();
}

export function toForwardingRule(raw: unknown): ForwardingRule {
  const f = parseOrThrow(forwardingRuleSchema, raw, 'forwarding rule');
  return {
    name: f.name,
    ipAddress: f.IPAddress,
    portRange: f.portRange || null,
    target: f.target ? lastSegment(f.target) : null,
  };
}

export function toTargetPool(raw: unknown): TargetPool {
  const t = parseOrThrow(targetPoolSchema, raw, 'target pool');
  return { name: t.name, instances: (t.instances ?? []).map(lastSegment).sort() };
}

export function toStaticAddress(raw: unknown): StaticAddress {
  const a = parseOrThrow(addressSchema, raw, 'address');
  return { name: a.name, address: a.address, status: a.status, users: (a.users ?? []).map(lastSegment) };
}

// --- errors --------------------------------------------------------------------------------------

const gceErrorBody = z.object({
  error: z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    errors: z.array(z.object({ reason: z.string().optional(), message: z.string().optional() })).optional(),
  }),
});

const errorLike = z.object({
  code: z.union([z.number(), z.string()]).optional(),
  status: z.union([z.number(), z.string()]).optional(),
  message: z.string().optional(),
});

/** gRPC status codes gax uses when it maps REST answers (google-gax Status). */
const GRPC_TO_HTTP: Record<number, number> = { 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 9: 400, 10: 409, 14: 503, 16: 401 };

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

/**
 * Any failure of a Compute Engine call -> ProviderError. In REST (fallback) mode the client rejects
 * with a GaxiosError whose message is GCE's error JSON; in gRPC-style mode with a GoogleError whose code
 * is a gRPC status. Both are handled.
 */
export function toProviderError(e: unknown, context: string): ProviderError {
  if (e instanceof ProviderError) return e;
  const shape = errorLike.safeParse(e);
  const raw = shape.success ? shape.data : {};
  const rawMessage = raw.message ?? (e instanceof Error ? e.message : String(e));

  let httpStatus: number | null = null;
  let message = rawMessage;
  let reason: string | null = null;
  const body = parseJson(rawMessage);
  const parsedBody = gceErrorBody.safeParse(body);
  if (parsedBody.success) {
    httpStatus = parsedBody.data.error.code ?? null;
    message = parsedBody.data.error.message ?? rawMessage;
    reason = parsedBody.data.error.errors?.[0]?.reason ?? null;
  }
  if (httpStatus === null && typeof raw.status === 'number') httpStatus = raw.status;
  if (httpStatus === null && typeof raw.code === 'number') {
    // GaxiosError carries the HTTP status in `code`; GoogleError a gRPC status (0-16).
    httpStatus = raw.code >= 100 ? raw.code : (GRPC_TO_HTTP[raw.code] ?? null);
  }
  const text = `${context}: ${message}`;

  if (typeof raw.code === 'string' && NETWORK_CODES.has(raw.code)) {
    return new ProviderError('ProviderUnavailable', `${context}: Compute Engine endpoint unreachable (${raw.code})`, { cause: e });
  }
  return providerErrorFromHttp(httpStatus, text, { reason, cause: e });
}

/** GCE's HTTP status (and `errors[0].reason`) -> ProviderError code. */
export function providerErrorFromHttp(
  httpStatus: number | null,
  text: string,
  extra: { reason?: string | null; cause?: unknown } = {},
): ProviderError {
  const opts = { httpStatus, reason: extra.reason ?? null, cause: extra.cause };
  switch (httpStatus) {
    case 400:
      return new ProviderError('InvalidArgument', text, opts);
    case 401:
    case 403:
      return new ProviderError('Forbidden', text, opts);
    case 404:
      return new ProviderError('NotFound', text, opts);
    case 409:
      return new ProviderError(opts.reason === 'alreadyExists' ? 'AlreadyExists' : 'Conflict', text, opts);
    case 412:
      return new ProviderError('Conflict', text, opts);
    case 429:
    case 500:
    case 502:
    case 503:
      return new ProviderError('ProviderUnavailable', text, opts);
    case 504:
      return new ProviderError('Timeout', text, opts);
    default:
      return new ProviderError('Unknown', text, opts);
  }
}

function parseJson(text: string): unknown {
  const start = text.indexOf('{');
  if (start === -1) return null;
  try {
    return JSON.parse(text.slice(start));
  } catch {
    return null;
  }
}
