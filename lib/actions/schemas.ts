import { z } from 'zod';
import { WEBHOOK_FORMATS, webhookUrlProblem } from '@/lib/core/alerts';
import { CHAOS_ETCD_TARGETS } from '@/lib/core/chaos';
import { MAX_REPLICAS, MIN_REPLICAS } from '@/lib/core/planner';
import { parseClusterId } from '@/lib/core/topology';

// Input shapes shared by the actions. GCE names: RFC 1035 labels, at most 63 characters.
const gceName = z
  .string()
  .max(63)
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'Must be a Compute Engine name (lower-case letters, digits and hyphens).');
const zone = z
  .string()
  .max(63)
  .regex(/^[a-z]+-[a-z]+[0-9]+-[a-z]$/, 'Must be a zone such as europe-west1-b.');

export const gceNameSchema = gceName;
export const zoneSchema = zone;
/** An SSH key fingerprint as `ssh-keygen -l -E sha256` prints it. */
export const sshFingerprintSchema = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'Must be an SSH fingerprint such as SHA256:… (43 characters after the colon).');

export const clusterIdSchema = z
  .string()
  .max(200)
  .refine((id) => parseClusterId(id) !== null, 'Unknown cluster id.');

export const clusterIntentSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('add-replica'), zone }),
  z.object({ kind: z.literal('remove-replica'), zone, name: gceName.optional() }),
  z.object({ kind: z.literal('replace-replica'), name: gceName, zone: zone.optional() }),
  z.object({ kind: z.literal('restart-replica'), name: gceName }),
  z.object({ kind: z.literal('rebalance'), zone: zone.optional(), name: gceName.optional() }),
  z.object({
    kind: z.literal('scale'),
    replicas: z.number().int().min(MIN_REPLICAS).max(MAX_REPLICAS),
    zones: z.array(zone).max(MAX_REPLICAS).optional(),
  }),
]);

/** Going on without a verified snapshot: the reason goes into the audit log; the server checks the failed operation. */
export const backupOverrideSchema = z.object({
  reason: z.string().trim().min(10, 'Say why, in at least 10 characters.').max(500),
  failedOperationId: z.uuid(),
});

/**
 * A new cluster as the create wizard sends it. Name and zone are only bounded here: the planner and the
 * create service check them and refuse in words (a zod message would only say the request is invalid).
 */
export const newClusterSchema = z.object({
  project: z
    .string()
    .max(63)
    .regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'Must be a Compute Engine project id.'),
  masterName: z.string().trim().min(1, 'Give the new master a name.').max(100),
  zone: z.string().trim().min(1, 'Pick a zone.').max(63),
  multizone: z.boolean(),
});

/** A chaos control from the cluster page's panel (sandbox only): on one replica, or on a zone of the cluster's region. */
export const chaosRequestSchema = z.discriminatedUnion('scope', [
  z.object({
    scope: z.literal('replica'),
    name: gceName,
    zone,
    action: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('stop-vm') }),
      z.object({ kind: z.literal('kill-etcd'), etcd: z.enum(CHAOS_ETCD_TARGETS) }),
      z.object({ kind: z.literal('freeze') }),
      z.object({ kind: z.literal('unfreeze') }),
      z.object({ kind: z.literal('restore') }),
    ]),
  }),
  z.object({ scope: z.literal('zone'), zone, down: z.boolean() }),
]);
export type ChaosRequest = z.infer<typeof chaosRequestSchema>;

/** A webhook's id (the store makes UUIDs). */
export const webhookIdSchema = z.uuid('Unknown webhook.');

/** A new webhook (Settings): an http(s) address, a format, an optional bearer token for the receiver. */
export const newWebhookSchema = z.object({
  name: z.string().trim().min(1, 'Give it a name.').max(80),
  url: z
    .string()
    .trim()
    .superRefine((url, ctx) => {
      const problem = webhookUrlProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: `The address ${problem}.` });
    }),
  format: z.enum(WEBHOOK_FORMATS),
  // Sent as an HTTP header value: printable ASCII, no spaces or line breaks. Empty means none.
  secret: z
    .string()
    .max(1_000)
    .regex(/^[\x21-\x7e]*$/, 'The bearer token must be printable ASCII without spaces.')
    .optional()
    .transform((s) => (s === undefined || s === '' ? null : s)),
  enabled: z.boolean(),
});
