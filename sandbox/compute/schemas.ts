// Stored shapes of the emulated resources. Each is the resource's GCE JSON as the API returns it,
// so handlers render by serialising; state.json is parsed with these schemas when the sandbox starts.
import { z } from 'zod';

// GCE's lifecycle as the sandbox plays it: insert PENDING -> PROVISIONING -> STAGING -> RUNNING; stop and
// delete RUNNING -> STOPPING -> DEPROVISIONING (guest down, resources being released) -> TERMINATED.
export const INSTANCE_STATUSES = [
  'PENDING',
  'PROVISIONING',
  'STAGING',
  'RUNNING',
  'STOPPING',
  'DEPROVISIONING',
  'TERMINATED',
] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

const labels = z.record(z.string(), z.string());

export const metadataItemSchema = z.object({ key: z.string(), value: z.string() });

export const metadataSchema = z.object({
  kind: z.literal('compute#metadata'),
  fingerprint: z.string(),
  items: z.array(metadataItemSchema),
});

export const accessConfigSchema = z.object({
  kind: z.literal('compute#accessConfig'),
  type: z.string(),
  name: z.string(),
  /** Absent while the instance is stopped and the address is ephemeral (GCE releases it). */
  natIP: z.string().optional(),
  networkTier: z.string(),
});
export type AccessConfig = z.infer<typeof accessConfigSchema>;

export const networkInterfaceSchema = z.object({
  kind: z.literal('compute#networkInterface'),
  name: z.string(),
  network: z.string(),
  subnetwork: z.string(),
  networkIP: z.string(),
  fingerprint: z.string(),
  stackType: z.string(),
  accessConfigs: z.array(accessConfigSchema),
  /** Allocated ranges (a `/N` asked for is stored as the CIDR Compute picked), from the primary range. */
  aliasIpRanges: z.array(z.object({ ipCidrRange: z.string(), subnetworkRangeName: z.string().optional() })).optional(),
});

export const attachedDiskSchema = z.object({
  kind: z.literal('compute#attachedDisk'),
  type: z.string(),
  mode: z.string(),
  source: z.string(),
  deviceName: z.string(),
  index: z.number(),
  boot: z.boolean(),
  autoDelete: z.boolean(),
  interface: z.string(),
  diskSizeGb: z.string(),
});

export const instanceSchema = z.object({
  kind: z.literal('compute#instance'),
  id: z.string(),
  creationTimestamp: z.string(),
  name: z.string(),
  description: z.string().optional(),
  /** Custom FQDN given at insert (GCE keeps it as given and the metadata server reports it). */
  hostname: z.string().optional(),
  tags: z.object({ items: z.array(z.string()), fingerprint: z.string() }),
  machineType: z.string(),
  status: z.enum(INSTANCE_STATUSES),
  zone: z.string(),
  canIpForward: z.boolean(),
  networkInterfaces: z.array(networkInterfaceSchema),
  disks: z.array(attachedDiskSchema),
  metadata: metadataSchema,
  serviceAccounts: z.array(z.object({ email: z.string(), scopes: z.array(z.string()) })).optional(),
  selfLink: z.string(),
  scheduling: z.object({ onHostMaintenance: z.string(), automaticRestart: z.boolean(), preemptible: z.boolean() }),
  cpuPlatform: z.string(),
  minCpuPlatform: z.string().optional(),
  shieldedInstanceConfig: z
    .object({ enableSecureBoot: z.boolean(), enableVtpm: z.boolean(), enableIntegrityMonitoring: z.boolean() })
    .optional(),
  labels: labels.optional(),
  labelFingerprint: z.string(),
  startRestricted: z.boolean(),
  deletionProtection: z.boolean(),
  guestAccelerators: z.array(z.object({ acceleratorType: z.string(), acceleratorCount: z.number() })).optional(),
  fingerprint: z.string(),
  lastStartTimestamp: z.string().optional(),
  lastStopTimestamp: z.string().optional(),
});
export type Instance = z.infer<typeof instanceSchema>;

export const diskSchema = z.object({
  kind: z.literal('compute#disk'),
  id: z.string(),
  creationTimestamp: z.string(),
  name: z.string(),
  description: z.string().optional(),
  sizeGb: z.string(),
  zone: z.string(),
  status: z.enum(['CREATING', 'READY']),
  selfLink: z.string(),
  type: z.string(),
  sourceImage: z.string().optional(),
  users: z.array(z.string()).optional(),
  labels: labels.optional(),
  labelFingerprint: z.string(),
  physicalBlockSizeBytes: z.string(),
  lastAttachTimestamp: z.string().optional(),
  lastDetachTimestamp: z.string().optional(),
});
export type Disk = z.infer<typeof diskSchema>;

export const addressSchema = z.object({
  kind: z.literal('compute#address'),
  id: z.string(),
  creationTimestamp: z.string(),
  name: z.string(),
  description: z.string().optional(),
  address: z.string(),
  status: z.enum(['RESERVING', 'RESERVED', 'IN_USE']),
  region: z.string(),
  selfLink: z.string(),
  users: z.array(z.string()).optional(),
  networkTier: z.string().optional(),
  addressType: z.enum(['EXTERNAL', 'INTERNAL']),
  purpose: z.string().optional(),
  subnetwork: z.string().optional(),
  ipVersion: z.string().optional(),
  labelFingerprint: z.string(),
});
export type Address = z.infer<typeof addressSchema>;

export const targetPoolSchema = z.object({
  kind: z.literal('compute#targetPool'),
  id: z.string(),
  creationTimestamp: z.string(),
  name: z.string(),
  description: z.string().optional(),
  region: z.string(),
  selfLink: z.string(),
  instances: z.array(z.string()),
  healthChecks: z.array(z.string()).optional(),
  sessionAffinity: z.string(),
});
export type TargetPool = z.infer<typeof targetPoolSchema>;

export const forwardingRuleSchema = z.object({
  kind: z.literal('compute#forwardingRule'),
  id: z.string(),
  creationTimestamp: z.string(),
  name: z.string(),
  description: z.string().optional(),
  region: z.string(),
  IPAddress: z.string(),
  IPProtocol: z.string(),
  portRange: z.string().optional(),
  target: z.string(),
  selfLink: z.string(),
  loadBalancingScheme: z.string(),
  networkTier: z.string(),
  labelFingerprint: z.string(),
  fingerprint: z.string(),
});
export type ForwardingRule = z.infer<typeof forwardingRuleSchema>;

const firewallRuleSchema = z.object({ IPProtocol: z.string(), ports: z.array(z.string()).optional() });

export const firewallSchema = z.object({
  kind: z.literal('compute#firewall'),
  id: z.string(),
  creationTimestamp: z.string(),
  name: z.string(),
  description: z.string().optional(),
  network: z.string(),
  priority: z.number(),
  sourceRanges: z.array(z.string()).optional(),
  sourceTags: z.array(z.string()).optional(),
  sourceServiceAccounts: z.array(z.string()).optional(),
  targetTags: z.array(z.string()).optional(),
  targetServiceAccounts: z.array(z.string()).optional(),
  allowed: z.array(firewallRuleSchema).optional(),
  denied: z.array(firewallRuleSchema).optional(),
  direction: z.string(),
  logConfig: z.object({ enable: z.boolean() }),
  disabled: z.boolean(),
  selfLink: z.string(),
});
export type Firewall = z.infer<typeof firewallSchema>;

/**
 * What finishing an Operation does. Stored with the operation (not as a closure) so that an
 * operation still pending when the sandbox stops is finished by the next start.
 */
export const effectSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('instanceRunning'), zone: z.string(), name: z.string() }),
  z.object({ type: z.literal('instanceTerminated'), zone: z.string(), name: z.string() }),
  z.object({ type: z.literal('instanceDeleted'), zone: z.string(), name: z.string() }),
  z.object({ type: z.literal('instanceReset'), zone: z.string(), name: z.string() }),
  z.object({ type: z.literal('diskReady'), zone: z.string(), name: z.string() }),
  z.object({ type: z.literal('addressReserved'), region: z.string(), name: z.string() }),
  /** The rule's insert is DONE: its propagation (SANDBOX_LB_DELAY_MS) starts now. */
  z.object({ type: z.literal('forwardingRuleInserted'), region: z.string(), name: z.string() }),
  z.object({
    type: z.literal('targetPoolMembership'),
    region: z.string(),
    name: z.string(),
    add: z.boolean(),
    instances: z.array(z.string()),
  }),
]);
export type Effect = z.infer<typeof effectSchema>;

export const operationSchema = z.object({
  kind: z.literal('compute#operation'),
  id: z.string(),
  name: z.string(),
  zone: z.string().optional(),
  region: z.string().optional(),
  operationType: z.string(),
  targetLink: z.string(),
  targetId: z.string().optional(),
  status: z.enum(['PENDING', 'RUNNING', 'DONE']),
  user: z.string(),
  progress: z.number(),
  insertTime: z.string(),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
  selfLink: z.string(),
  /** GCE: "[Output Only] The value of `requestId` if you provided it in the request. Not present otherwise." */
  clientOperationId: z.string().optional(),
  error: z
    .object({
      errors: z.array(
        z.object({ code: z.string(), message: z.string(), errorDetails: z.array(z.unknown()).optional() }),
      ),
    })
    .optional(),
  httpErrorStatusCode: z.number().optional(),
  httpErrorMessage: z.string().optional(),
});
export type Operation = z.infer<typeof operationSchema>;

export const storedOperationSchema = z.object({
  op: operationSchema,
  effect: effectSchema.optional(),
  requestId: z.string().optional(),
  /** What the requestId was sent with: method, path, query and body, so a reuse for another call is refused. */
  requestKey: z.string().optional(),
  /**
   * How the operation fails when it is DONE, with nothing applied (GCE accepts an insert, then reports e.g.
   * ZONE_RESOURCE_POOL_EXHAUSTED on its Operation). Set by the sandbox's fault injection only.
   */
  failure: z
    .object({
      httpStatus: z.number(),
      code: z.string(),
      message: z.string(),
      errorDetails: z.array(z.unknown()).optional(),
    })
    .optional(),
  /** Milliseconds since epoch; orders operations for pruning and listing. */
  createdAtMs: z.number(),
});
export type StoredOperation = z.infer<typeof storedOperationSchema>;

export const projectStateSchema = z.object({
  /** Keyed `<zone>/<name>`. */
  instances: z.record(z.string(), instanceSchema),
  /** Keyed `<zone>/<name>`. */
  disks: z.record(z.string(), diskSchema),
  /** Keyed `<region>/<name>`. */
  addresses: z.record(z.string(), addressSchema),
  /** Keyed `<region>/<name>`. */
  targetPools: z.record(z.string(), targetPoolSchema),
  /** Keyed `<region>/<name>`. */
  forwardingRules: z.record(z.string(), forwardingRuleSchema),
  /** Keyed by name (global). */
  firewalls: z.record(z.string(), firewallSchema),
  /** Keyed by operation name (unique in the project). */
  operations: z.record(z.string(), storedOperationSchema),
  /** projects.get's commonInstanceMetadata (project-wide metadata); absent until first set. */
  commonInstanceMetadata: metadataSchema.optional(),
  /** Stable per project: projects.get's `id`. */
  projectId: z.string().optional(),
  /**
   * Guest attributes, keyed `<zone>/<instance>`, written by the guest through the metadata server
   * (`PUT .../guest-attributes/<namespace>/<key>`); read with instances.getGuestAttributes. Kept apart from
   * the instance because they are not part of its JSON on GCE.
   */
  guestAttributes: z
    .record(z.string(), z.array(z.object({ namespace: z.string(), key: z.string(), value: z.string() })))
    .optional(),
});
export type ProjectState = z.infer<typeof projectStateSchema>;

export const sandboxStateSchema = z.object({
  version: z.literal(1),
  /** Set once the seed finished; a state without it is a crashed seed and is wiped at start. */
  seedComplete: z.boolean(),
  projects: z.record(z.string(), projectStateSchema),
});
export type SandboxState = z.infer<typeof sandboxStateSchema>;

export function emptyProject(): ProjectState {
  return {
    instances: {},
    disks: {},
    addresses: {},
    targetPools: {},
    forwardingRules: {},
    firewalls: {},
    operations: {},
  };
}

export function emptyState(): SandboxState {
  return { version: 1, seedComplete: false, projects: {} };
}
