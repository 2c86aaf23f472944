// Kubernetes-shaped JSON the API-server stand-in stores and serves: Leases, Nodes and Status errors,
// shaped as kube-apiserver returns them so kubectl and Kubernetes' clients parse them unchanged.

import { z } from 'zod';

export const LEASE_NAMESPACE = 'kube-system';
export const LEASE_PREFIX = `/registry/leases/${LEASE_NAMESPACE}/`;
export const NODE_PREFIX = '/registry/minions/';

/** The leader-elected components of a kube-up master. */
export const LEADER_ELECTED_COMPONENTS = ['kube-controller-manager', 'kube-scheduler', 'cluster-autoscaler'] as const;

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits, UTC. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Kubernetes Time (metadata timestamps): RFC 3339, whole seconds. */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const leaseSchema = z.object({
  kind: z.literal('Lease'),
  apiVersion: z.literal('coordination.k8s.io/v1'),
  metadata: z
    .object({
      name: z.string(),
      namespace: z.string(),
      uid: z.string().optional(),
      creationTimestamp: z.string().optional(),
      resourceVersion: z.string().optional(),
    })
    .loose(),
  spec: z
    .object({
      holderIdentity: z.string().optional(),
      leaseDurationSeconds: z.number().int().positive().optional(),
      acquireTime: z.string().optional(),
      renewTime: z.string().optional(),
      leaseTransitions: z.number().int().nonnegative().optional(),
    })
    .loose(),
});
export type Lease = z.infer<typeof leaseSchema>;

// DNS-1123 subdomain, as Kubernetes requires of node names.
export const dns1123Subdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a lowercase RFC 1123 subdomain');

export const nodeInputSchema = z
  .object({
    apiVersion: z.literal('v1').optional(),
    kind: z.literal('Node').optional(),
    metadata: z
      .object({
        name: dns1123Subdomain,
        labels: z.record(z.string(), z.string()).optional(),
        annotations: z.record(z.string(), z.string()).optional(),
      })
      .loose(),
    spec: z.record(z.string(), z.unknown()).optional(),
    status: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
export type NodeInput = z.infer<typeof nodeInputSchema>;

export type KubeStatus = {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string };
  code: number;
};

export function statusFailure(
  code: number,
  reason: string,
  message: string,
  details?: KubeStatus['details'],
): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}
