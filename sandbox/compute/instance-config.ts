// The parts of an instance insert that say how it is made rather than what it is called: service
// accounts and scopes, scheduling, minimum CPU platform, shielded VM config, labels, network tier and
// alias IP ranges, each checked as Compute Engine checks them and stored as it returns them.
import { z } from 'zod';
import { ZONE_CPU_PLATFORMS } from './catalog';
import { invalid, invalidField } from './gce-error';
import { cidrAddresses, lowestFreeBlock, type Subnet } from './ip-plan';
import { projectNumber } from './links';
import type { Instance } from './schemas';

export const serviceAccountsBody = z.array(
  z.object({ email: z.string().optional(), scopes: z.array(z.string()).optional() }),
);
export const schedulingBody = z.object({
  onHostMaintenance: z.string().optional(),
  automaticRestart: z.boolean().optional(),
  preemptible: z.boolean().optional(),
});
export const shieldedBody = z.object({
  enableSecureBoot: z.boolean().optional(),
  enableVtpm: z.boolean().optional(),
  enableIntegrityMonitoring: z.boolean().optional(),
});
export const aliasIpRangesBody = z.array(
  z.object({ ipCidrRange: z.string(), subnetworkRangeName: z.string().optional() }),
);

type ServiceAccounts = NonNullable<Instance['serviceAccounts']>;

/** A service account's email: a user-managed (`<id>@<project>.iam.gserviceaccount.com`) or Google's (`...gserviceaccount.com`). */
const SERVICE_ACCOUNT_EMAIL = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?@([a-z0-9-]+\.)*gserviceaccount\.com$/;
/** OAuth scopes are URLs on the API; `gcloud --scopes` is what expands aliases such as `compute-rw`. */
const SCOPE_URL = /^https:\/\/www\.googleapis\.com\/auth\/[a-z0-9._-]+(\/[a-z0-9._-]+)*$/;

/** GCE takes one service account per instance; `default` is the project's Compute Engine default account. */
export function checkServiceAccounts(
  project: string,
  body: z.infer<typeof serviceAccountsBody> | undefined,
): ServiceAccounts | undefined {
  if (body === undefined) return undefined;
  if (body.length > 1)
    throw invalidField(
      'resource.serviceAccounts',
      String(body.length),
      'Only one service account per VM instance is supported.',
    );
  return body.map((sa, i) => {
    const given = sa.email ?? 'default';
    const email = given === 'default' ? `${projectNumber(project)}-compute@developer.gserviceaccount.com` : given;
    if (!SERVICE_ACCOUNT_EMAIL.test(email))
      throw invalidField(`resource.serviceAccounts[${i}].email`, given, 'The service account email is not valid.');
    const scopes = sa.scopes ?? [];
    scopes.forEach((scope, j) => {
      if (!SCOPE_URL.test(scope)) {
        throw invalidField(
          `resource.serviceAccounts[${i}].scopes[${j}]`,
          scope,
          'Must be an OAuth scope URL (https://www.googleapis.com/auth/...).',
        );
      }
    });
    return { email, scopes: [...new Set(scopes)] };
  });
}

const HOST_MAINTENANCE = ['MIGRATE', 'TERMINATE'];

/** Preemptible instances stop on host maintenance and are not restarted; GCE defaults them so and refuses otherwise. */
export function checkScheduling(body: z.infer<typeof schedulingBody> | undefined): Instance['scheduling'] {
  const preemptible = body?.preemptible ?? false;
  const onHostMaintenance = body?.onHostMaintenance ?? (preemptible ? 'TERMINATE' : 'MIGRATE');
  const automaticRestart = body?.automaticRestart ?? !preemptible;
  if (!HOST_MAINTENANCE.includes(onHostMaintenance)) {
    throw invalidField(
      'resource.scheduling.onHostMaintenance',
      onHostMaintenance,
      `Must be one of ${HOST_MAINTENANCE.join(', ')}.`,
    );
  }
  if (preemptible && onHostMaintenance !== 'TERMINATE') {
    throw invalidField(
      'resource.scheduling.onHostMaintenance',
      onHostMaintenance,
      'Preemptible instances must be terminated on host maintenance.',
    );
  }
  if (preemptible && automaticRestart) {
    throw invalidField(
      'resource.scheduling.automaticRestart',
      'true',
      'Preemptible instances cannot be automatically restarted.',
    );
  }
  return { onHostMaintenance, automaticRestart, preemptible };
}

/** The platform the sandbox's zones run when nothing newer is asked for. */
const DEFAULT_CPU_PLATFORM = 'Intel Broadwell';

/** minCpuPlatform as given (`Automatic` or one of the zone's platforms), and the cpuPlatform the instance then runs on. */
export function checkMinCpuPlatform(
  given: string | undefined,
  zone: string,
): { minCpuPlatform?: string; cpuPlatform: string } {
  if (given === undefined) return { cpuPlatform: DEFAULT_CPU_PLATFORM };
  if (given !== 'Automatic' && !(ZONE_CPU_PLATFORMS as readonly string[]).includes(given)) {
    throw invalidField(
      'resource.minCpuPlatform',
      given,
      `CPU platform is not available in zone '${zone}'; use Automatic or one of ${ZONE_CPU_PLATFORMS.join(', ')}.`,
    );
  }
  return { minCpuPlatform: given, cpuPlatform: given === 'Automatic' ? DEFAULT_CPU_PLATFORM : given };
}

/** Shielded VM options; the sandbox's images (COS) support them, with GCE's defaults for what is left out. */
export function shieldedConfig(
  body: z.infer<typeof shieldedBody> | undefined,
): NonNullable<Instance['shieldedInstanceConfig']> {
  return {
    enableSecureBoot: body?.enableSecureBoot ?? false,
    enableVtpm: body?.enableVtpm ?? true,
    enableIntegrityMonitoring: body?.enableIntegrityMonitoring ?? true,
  };
}

const LABEL_KEY = /^[a-z][-_a-z0-9]{0,62}$/;
const LABEL_VALUE = /^[-_a-z0-9]{0,63}$/;

export function checkLabels(
  labels: Record<string, string> | undefined,
  field = 'resource.labels',
): Record<string, string> | undefined {
  if (labels === undefined) return undefined;
  const entries = Object.entries(labels);
  if (entries.length > 64) throw invalidField(field, String(entries.length), 'At most 64 labels are allowed.');
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key))
      throw invalidField(`${field}.${key}`, key, "Label keys must match '[a-z][-_a-z0-9]{0,62}'.");
    if (!LABEL_VALUE.test(value))
      throw invalidField(`${field}.${key}`, value, "Label values must match '[-_a-z0-9]{0,63}'.");
  }
  return { ...labels };
}

const NETWORK_TIERS = ['PREMIUM', 'STANDARD'];

export function checkNetworkTier(tier: string | undefined, field: string): string {
  const value = tier ?? 'PREMIUM';
  if (!NETWORK_TIERS.includes(value)) throw invalidField(field, value, `Must be one of ${NETWORK_TIERS.join(', ')}.`);
  return value;
}

/**
 * Alias IP ranges of nic0 in the subnetwork's primary range (the sandbox's subnetworks have no secondary
 * ranges, so a named one does not exist): a CIDR or address that must be free, or `/N`, which Compute
 * allocates. `used` holds the subnetwork's taken addresses and is not changed.
 */
export function allocateAliasRanges(
  body: z.infer<typeof aliasIpRangesBody> | undefined,
  subnet: Subnet,
  subnetworkLink: string,
  used: ReadonlySet<string>,
  field: string,
): Array<{ ipCidrRange: string }> {
  const taken = new Set(used);
  return (body ?? []).map((range, i) => {
    const f = `${field}.aliasIpRanges[${i}]`;
    if (range.subnetworkRangeName !== undefined) {
      throw invalidField(
        `${f}.subnetworkRangeName`,
        range.subnetworkRangeName,
        `Secondary range does not exist in subnetwork '${subnetworkLink}'.`,
      );
    }
    let cidr: string;
    const size = /^\/(\d{1,2})$/.exec(range.ipCidrRange);
    if (size) {
      const prefix = Number(size[1]);
      if (prefix < subnet.prefixLength || prefix > 32)
        throw invalidField(
          `${f}.ipCidrRange`,
          range.ipCidrRange,
          `Must be a prefix length from /${subnet.prefixLength} to /32.`,
        );
      const free = lowestFreeBlock(subnet, prefix, taken);
      if (!free)
        throw invalid(
          `Subnetwork ${subnet.cidr} has no free range of size ${range.ipCidrRange} for an alias IP range.`,
        );
      cidr = free;
    } else {
      const addresses = cidrAddresses(range.ipCidrRange);
      if (!addresses)
        throw invalidField(
          `${f}.ipCidrRange`,
          range.ipCidrRange,
          'Must be an IPv4 CIDR, an address, or a prefix length such as /32.',
        );
      const hosts = new Set(subnet.hosts);
      if (!addresses.every((ip) => hosts.has(ip))) {
        throw invalidField(
          `${f}.ipCidrRange`,
          range.ipCidrRange,
          `Alias IP range is not in the subnetwork's usable range ${subnet.cidr}.`,
        );
      }
      if (addresses.some((ip) => taken.has(ip)))
        throw invalidField(
          `${f}.ipCidrRange`,
          range.ipCidrRange,
          'IP address is already being used by another resource.',
        );
      cidr = range.ipCidrRange.includes('/') ? range.ipCidrRange : `${range.ipCidrRange}/32`;
    }
    for (const ip of cidrAddresses(cidr) ?? []) taken.add(ip);
    return { ipCidrRange: cidr };
  });
}
