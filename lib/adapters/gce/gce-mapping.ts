import 'server-only';
import { z } from 'zod';
import {
  VM_STATUSES,
  type ForwardingRule,
  type StaticAddress,
  type TargetPool,
  type VmStatus,
} from '@/lib/core/topology';
import type { DiskInfo, FirewallInfo, InstanceConfig, InstanceInfo, RegionInfo } from '@/lib/ports/compute';
import { ProviderError } from '@/lib/ports/provider-error';
import { classifyComputeFailure, computeProviderError, failureOfHttpBody } from './gce-errors';

// What @google-cloud/compute hands back are protobuf.js objects decoded from GCE's JSON: any field may
// be missing or null, int64 ids arrive as strings. Everything is parsed here, at the edge.

const optString = z.string().nullish();

const accessConfigSchema = z.object({ natIP: optString, name: optString, networkTier: optString });
const networkInterfaceSchema = z.object({
  networkIP: optString,
  network: optString,
  subnetwork: optString,
  accessConfigs: z.array(accessConfigSchema).nullish(),
  aliasIpRanges: z.array(z.object({ ipCidrRange: optString, subnetworkRangeName: optString })).nullish(),
});
const metadataSchema = z.object({
  fingerprint: optString,
  items: z.array(z.object({ key: optString, value: optString })).nullish(),
});

/**
 * GCE adds statuses over time (PENDING and DEPROVISIONING are recent); one Quorum does not know must not fail
 * the fleet. It reads as UNKNOWN, which, like every status but RUNNING and the stopping ones, is "not running".
 */
const vmStatusSchema = z
  .string()
  .nullish()
  .transform((s): VmStatus => VM_STATUSES.find((known) => known === s) ?? 'UNKNOWN');

export const instanceSchema = z.object({
  // uint64, which the client may hand over as a decimal string or a number.
  id: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String),
  name: z.string().min(1),
  zone: z.string().min(1),
  status: vmStatusSchema,
  networkInterfaces: z.array(networkInterfaceSchema).nullish(),
  tags: z.object({ items: z.array(z.string()).nullish() }).nullish(),
  metadata: metadataSchema.nullish(),
  creationTimestamp: optString,
  disks: z.array(z.object({ source: optString, boot: z.boolean().nullish() })).nullish(),
  machineType: optString,
  serviceAccounts: z.array(z.object({ email: optString, scopes: z.array(z.string()).nullish() })).nullish(),
  scheduling: z
    .object({
      preemptible: z.boolean().nullish(),
      onHostMaintenance: optString,
      automaticRestart: z.boolean().nullish(),
    })
    .nullish(),
  minCpuPlatform: optString,
  labels: z.record(z.string(), z.string()).nullish(),
  shieldedInstanceConfig: z
    .object({
      enableSecureBoot: z.boolean().nullish(),
      enableVtpm: z.boolean().nullish(),
      enableIntegrityMonitoring: z.boolean().nullish(),
    })
    .nullish(),
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

/** A GCE resource URL as a partial one (`https://.../compute/v1/projects/p/...` -> `projects/p/...`). */
export function partialUrl(url: string): string {
  const i = url.indexOf('projects/');
  return i === -1 ? url : url.slice(i);
}

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
    id: i.id,
    name: i.name,
    zone: lastSegment(i.zone),
    status: i.status,
    internalIp: nic0?.networkIP || null,
    externalIp: nic0?.accessConfigs?.[0]?.natIP || null,
    tags: i.tags?.items ?? [],
    metadata,
    metadataFingerprint: i.metadata?.fingerprint || null,
    creationTimestamp: i.creationTimestamp ?? '',
    accessConfigName: nic0?.accessConfigs?.[0]?.name || null,
    diskNames: (i.disks ?? []).flatMap((d) => (d.source ? [lastSegment(d.source)] : [])),
    machineType: i.machineType ? lastSegment(i.machineType) : null,
    config: instanceConfigOf(i),
  };
}

function instanceConfigOf(i: z.output<typeof instanceSchema>): InstanceConfig {
  const nic0 = i.networkInterfaces?.[0];
  const boot = (i.disks ?? []).find((d) => d.boot === true)?.source;
  const shielded = i.shieldedInstanceConfig;
  return {
    serviceAccounts: (i.serviceAccounts ?? []).flatMap((sa) =>
      sa.email ? [{ email: sa.email, scopes: sa.scopes ?? [] }] : [],
    ),
    network: nic0?.network ? partialUrl(nic0.network) : null,
    subnetwork: nic0?.subnetwork ? partialUrl(nic0.subnetwork) : null,
    aliasIpRanges: (nic0?.aliasIpRanges ?? []).flatMap((a) =>
      a.ipCidrRange
        ? [
            {
              ipCidrRange: a.ipCidrRange,
              ...(a.subnetworkRangeName ? { subnetworkRangeName: a.subnetworkRangeName } : {}),
            },
          ]
        : [],
    ),
    networkTier: nic0?.accessConfigs?.[0]?.networkTier || null,
    // GCE's defaults for fields a client may leave out of its answer (proto3 drops false).
    scheduling: i.scheduling
      ? {
          preemptible: i.scheduling.preemptible ?? false,
          onHostMaintenance: i.scheduling.onHostMaintenance || 'MIGRATE',
          automaticRestart: i.scheduling.automaticRestart ?? true,
        }
      : null,
    minCpuPlatform: i.minCpuPlatform || null,
    labels: i.labels ?? {},
    shieldedInstanceConfig: shielded
      ? {
          enableSecureBoot: shielded.enableSecureBoot ?? false,
          enableVtpm: shielded.enableVtpm ?? false,
          enableIntegrityMonitoring: shielded.enableIntegrityMonitoring ?? false,
        }
      : null,
    bootDisk: boot ? lastSegment(boot) : null,
  };
}

const scopedWarningSchema = z.object({
  warning: z
    .object({
      // Enum fields arrive as names, or as numbers from a client with numericEnums (UNREACHABLE = 13328052).
      code: z.union([z.string(), z.number()]).nullish(),
    })
    .nullish(),
});
const UNREACHABLE_CODES: ReadonlySet<string | number> = new Set(['UNREACHABLE', 13328052]);

/**
 * The zone of an aggregatedList scope (`zones/<zone>`) that Compute could not reach, when the scope says so
 * (warning UNREACHABLE, given with returnPartialSuccess); null for any other scope.
 */
export function unreachableZoneOf(scopeKey: string, scoped: unknown): string | null {
  return unreachableScopeOf('zones', scopeKey, scoped);
}

/** The region of an aggregatedList scope (`regions/<r>`) Compute could not answer for, else null. */
export function unreachableRegionOf(scopeKey: string, scoped: unknown): string | null {
  return unreachableScopeOf('regions', scopeKey, scoped);
}

function unreachableScopeOf(kind: 'zones' | 'regions', scopeKey: string, scoped: unknown): string | null {
  const m = new RegExp(`^${kind}/([^/]+)$`).exec(scopeKey);
  if (!m?.[1]) return null;
  const parsed = scopedWarningSchema.safeParse(scoped);
  const code = parsed.success ? parsed.data.warning?.code : undefined;
  return code !== undefined && code !== null && UNREACHABLE_CODES.has(code) ? m[1] : null;
}

const diskSchema = z.object({
  name: z.string().min(1),
  zone: z.string().min(1),
  sizeGb: z.union([z.string().regex(/^\d+$/), z.number()]).nullish(),
  type: optString,
  status: optString,
  users: z.array(z.string()).nullish(),
  sourceImage: optString,
});

export function toDiskInfo(raw: unknown): DiskInfo {
  const d = parseOrThrow(diskSchema, raw, 'disk');
  return {
    name: d.name,
    zone: lastSegment(d.zone),
    sizeGb: Number(d.sizeGb ?? 0),
    type: d.type ? lastSegment(d.type) : '',
    status: d.status ?? '',
    users: (d.users ?? []).map(lastSegment),
    sourceImage: d.sourceImage ? partialUrl(d.sourceImage) : null,
  };
}

const firewallSchema = z.object({
  name: z.string().min(1),
  network: optString,
  sourceRanges: z.array(z.string()).nullish(),
  sourceTags: z.array(z.string()).nullish(),
  targetTags: z.array(z.string()).nullish(),
  allowed: z.array(z.object({ IPProtocol: optString, ports: z.array(z.string()).nullish() })).nullish(),
});

export function toFirewallInfo(raw: unknown): FirewallInfo {
  const f = parseOrThrow(firewallSchema, raw, 'firewall');
  return {
    name: f.name,
    network: f.network ? lastSegment(f.network) : '',
    sourceRanges: f.sourceRanges ?? [],
    sourceTags: f.sourceTags ?? [],
    targetTags: f.targetTags ?? [],
    allowed: (f.allowed ?? []).map((a) => ({ protocol: a.IPProtocol ?? '', ports: a.ports ?? [] })),
  };
}

const subnetworkSchema = z.object({ name: z.string().min(1), ipCidrRange: z.string().min(1) });

export function toSubnetworkRange(raw: unknown): string {
  return parseOrThrow(subnetworkSchema, raw, 'subnetwork').ipCidrRange;
}

function ipToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Lowest host of an IPv4 CIDR that is not in `used`, skipping what GCE reserves in every subnetwork:
 * the network address, the gateway (.1), the second-to-last address and the broadcast. Null when full.
 */
export function lowestFreeHost(cidr: string, used: ReadonlySet<string>): string | null {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  const base = m?.[1] === undefined ? null : ipToInt(m[1]);
  const prefix = Number(m?.[2]);
  if (base === null || !Number.isInteger(prefix) || prefix < 8 || prefix > 29) {
    throw new ProviderError('Unknown', `unexpected subnetwork range ${JSON.stringify(cidr)}`);
  }
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  for (let host = network + 2; host <= network + size - 3; host++) {
    const ip = intToIp(host);
    if (!used.has(ip)) return ip;
  }
  return null;
}

export function toRegionZones(raw: unknown): string[] {
  return toRegionInfo(raw).zones;
}

export function toRegionInfo(raw: unknown): RegionInfo {
  const r = parseOrThrow(regionSchema, raw, 'region');
  return { name: r.name, zones: (r.zones ?? []).map(lastSegment).sort() };
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

const errorLike = z.object({
  code: z.union([z.number(), z.string()]).optional(),
  status: z.union([z.number(), z.string()]).optional(),
  message: z.string().optional(),
});

/** gRPC status codes gax uses when it maps REST answers (google-gax Status). */
const GRPC_TO_HTTP: Record<number, number> = {
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  13: 500,
  14: 503,
  16: 401,
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

/**
 * Any failure of a Compute Engine call -> ProviderError, classified (gce-errors.ts). In REST (fallback) mode
 * the client rejects with a GaxiosError whose message is GCE's error JSON; in gRPC-style mode with a
 * GoogleError whose code is a gRPC status. Both are handled.
 */
export function toProviderError(e: unknown, context: string): ProviderError {
  if (e instanceof ProviderError) return e;
  const shape = errorLike.safeParse(e);
  const raw = shape.success ? shape.data : {};
  const rawMessage = raw.message ?? (e instanceof Error ? e.message : String(e));

  if (typeof raw.code === 'string' && NETWORK_CODES.has(raw.code)) {
    return new ProviderError('ProviderUnavailable', `${context}: Compute Engine endpoint unreachable (${raw.code})`, {
      cause: e,
    });
  }
  const fromBody = failureOfHttpBody(parseJson(rawMessage));
  if (fromBody)
    return computeProviderError(
      fromBody.httpStatus === null && typeof raw.status === 'number'
        ? { ...fromBody, httpStatus: raw.status }
        : fromBody,
      context,
      e,
    );
  let httpStatus: number | null = null;
  if (typeof raw.status === 'number') httpStatus = raw.status;
  if (httpStatus === null && typeof raw.code === 'number') {
    // GaxiosError carries the HTTP status in `code`; GoogleError a gRPC status (0-16).
    httpStatus = raw.code >= 100 ? raw.code : (GRPC_TO_HTTP[raw.code] ?? null);
  }
  return computeProviderError({ httpStatus, message: rawMessage, errors: [] }, context, e);
}

/** GCE's HTTP status (and `errors[0].reason`, or a failed Operation's `errors[0].code`) -> ProviderError. */
export function providerErrorFromHttp(
  httpStatus: number | null,
  text: string,
  extra: { reason?: string | null; cause?: unknown } = {},
): ProviderError {
  const c = classifyComputeFailure({
    httpStatus,
    message: text,
    errors: extra.reason ? [{ reason: extra.reason }] : [],
  });
  return new ProviderError(c.code, text, { httpStatus, reason: extra.reason ?? null, cause: extra.cause });
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
