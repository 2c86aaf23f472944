// The IPC messages between the sandbox (sandbox/vm/namespaced-host.ts) and one VM process
// (sandbox/vm/vm-main.ts, running inside the VM's network namespace). Parsed with zod on both sides:
// the channel crosses a process boundary.
import { z } from 'zod';

export const vmSpecSchema = z.object({
  project: z.string(),
  zone: z.string(),
  name: z.string(),
  internalIp: z.string(),
  diskDir: z.string(),
  metadataUrl: z.string(),
});

export const vmBootSchema = z.object({
  spec: vmSpecSchema,
  /** Where the metadata proxy at 169.254.169.254:80 inside the VM forwards to (the host side of the bridge). */
  metadataUpstream: z.object({ host: z.string(), port: z.number().int() }),
  /** Root-owned directory for what lives on a VM's root disk but not on its data disk (homes, sshd's run files). */
  vmRoot: z.string(),
});
export type VmBoot = z.infer<typeof vmBootSchema>;

export const vmRequestSchema = z.discriminatedUnion('op', [
  z.object({ id: z.number(), op: z.literal('boot'), boot: vmBootSchema }),
  z.object({ id: z.number(), op: z.literal('shutdown') }),
  z.object({ id: z.number(), op: z.literal('killEtcd'), clusters: z.array(z.enum(['main', 'events'])) }),
  z.object({ id: z.number(), op: z.literal('freeze') }),
  z.object({ id: z.number(), op: z.literal('thaw') }),
  z.object({ id: z.number(), op: z.literal('restore') }),
  z.object({ id: z.number(), op: z.literal('setZoneNodesReady'), zone: z.string(), ready: z.boolean() }),
  z.object({ id: z.number(), op: z.literal('stopSshd') }),
  z.object({ id: z.number(), op: z.literal('startSshd') }),
  z.object({ id: z.number(), op: z.literal('replaceHostKeys') }),
]);
export type VmRequest = z.infer<typeof vmRequestSchema>;
/** A request without its id, as the host's callers build it. */
export type VmCommand = VmRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export const vmChaosStateSchema = z.object({
  state: z.enum(['booting', 'running', 'stopped', 'failed']),
  frozen: z.boolean(),
  etcd: z.object({ main: z.enum(['running', 'killed', 'absent']), events: z.enum(['running', 'killed', 'absent']) }),
  sshd: z.boolean(),
});

export const vmMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('reply'),
    id: z.number(),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: z.object({ name: z.string(), message: z.string() }).optional(),
  }),
  /** Pushed whenever the VM's state changes, so the host answers `state`/`describe` synchronously. */
  z.object({ type: z.literal('state'), chaos: vmChaosStateSchema, masterName: z.string().optional() }),
]);
export type VmMessage = z.infer<typeof vmMessageSchema>;
