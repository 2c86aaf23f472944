import 'server-only';
// What every step executor needs before it acts: the cluster it works on (from the operation's cluster
// id), its replica VMs as Compute sees them, the credentials their metadata carries, and the results of
// earlier steps of the same add or remove. The replicas and credentials are read once per runner pass
// (ctx.pass) and read again after a step that changed the instances, when the view is older than
// VIEW_REUSE_MS, and in every new pass: a step run again after a crash observes the world as it is, not
// as the first attempt left it in memory. What a step is about to change it still reads right before
// (getInstance, getDisk, the etcd member list).
import { z } from 'zod';
import { logLine, SaidError } from '@/lib/core/operation-log';
import {
  ETCD_CLUSTERS,
  parseClusterId,
  type ApiServerProbe,
  type ClusterRef,
  type EtcdClusterName,
  type EtcdMember,
  type EtcdMemberStatus,
} from '@/lib/core/topology';
import type { ComputePort, InstanceInfo } from '@/lib/ports/compute';
import type { EtcdAccess, EtcdEndpoint } from '@/lib/ports/etcd-admin';
import type { KubeCredentials } from '@/lib/ports/kube-api';
import { isProviderError, ProviderError, type ProviderErrorCode } from '@/lib/ports/provider-error';
import type { Container, ReplicaAddress } from '@/lib/server/container';
import type { StepProgress } from '@/lib/ports/store';
import type { StepContext } from '@/lib/server/operations/runner';
import { clusterCredentials, replicaNameRegex } from '@/lib/server/services/observe-cluster';

export const CLUSTERS: readonly EtcdClusterName[] = ETCD_CLUSTERS;
/** Peer ports of kube-up's two etcd clusters (client ports are in the container's endpoints). */
export const PEER_PORTS: Record<EtcdClusterName, number> = { main: 2380, events: 2381 };
/** Deadline of one etcd admin call. */
export const ETCD_CALL_MS = 5_000;

export type ClusterView = {
  ref: ClusterRef;
  replicas: InstanceInfo[];
  /** How etcd main and events are dialled (TLS credentials or null for plain http), from the metadata. */
  etcd: EtcdAccess;
  kube: KubeCredentials | null;
};

/** What reading the replicas needs of a container. */
type ComputeLister = { compute: Pick<ComputePort, 'listInstances'> };

export function clusterRefOf(ctx: StepContext): ClusterRef {
  const ref = parseClusterId(ctx.operation.clusterId);
  if (!ref) throw new Error(`operation ${ctx.operation.id} has no valid cluster id (${ctx.operation.clusterId})`);
  return ref;
}

export async function listReplicas(c: ComputeLister, ref: ClusterRef): Promise<InstanceInfo[]> {
  const all = await c.compute.listInstances(ref.project, replicaNameRegex(ref.masterName));
  return [...all].sort((a, b) => a.name.localeCompare(b.name));
}

/** How long the steps of one pass reuse a cluster view; a longer step (a slow catch-up) makes the next read it again. */
export const VIEW_REUSE_MS = 15_000;
const passViews = new WeakMap<object, { view: ClusterView; readAt: number }>();

/**
 * The cluster's replicas and credentials: the pass's view when it has a recent one, else read from
 * Compute (and kept for the pass). `fresh` reads it in any case, for a step whose job is to check the
 * world (verify).
 */
export async function loadCluster(
  c: ComputeLister,
  ctx: StepContext,
  opts: { fresh?: boolean } = {},
): Promise<ClusterView> {
  const cached = ctx.pass && !opts.fresh ? passViews.get(ctx.pass) : undefined;
  if (cached && Date.now() - cached.readAt < VIEW_REUSE_MS) return cached.view;
  const ref = clusterRefOf(ctx);
  const replicas = await listReplicas(c, ref);
  const creds = clusterCredentials(replicas);
  if (!creds.etcd)
    throw new SaidError(logLine('noEtcdCredentials', { master: ref.masterName, error: String(creds.etcdProblem) }));
  const view = { ref, replicas, etcd: creds.etcd, kube: creds.kube };
  if (ctx.pass) passViews.set(ctx.pass, { view, readAt: Date.now() });
  return view;
}

/** Drops the pass's cluster view, after a step that created, deleted or re-addressed an instance. */
export function forgetCluster(ctx: StepContext): void {
  if (ctx.pass) passViews.delete(ctx.pass);
}

/**
 * Runs `act` for etcd main and events at once (two separate raft groups, each with its own members) and
 * settles both before it returns or throws: a step never ends, and a rollback never starts, while a change
 * to one of them is still in flight. Results in CLUSTERS order.
 */
export async function inEachCluster<T>(act: (cluster: EtcdClusterName) => Promise<T>): Promise<T[]> {
  const settled = await Promise.allSettled(CLUSTERS.map(act));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

/** A member's peer URL as kube-up advertises it: by instance name (`https://<instance>:2380`, events 2381). */
export function peerUrl(instance: string, cluster: EtcdClusterName): string {
  return `https://${instance}:${PEER_PORTS[cluster]}`;
}

/** What the endpoints need of a replica of this view (the reach port gets into it by project, zone, id). */
export function addressOf(view: ClusterView, instance: InstanceInfo): ReplicaAddress {
  return { ...instance, project: view.ref.project };
}

/**
 * The replica `name` of the view as the endpoints need it; throws when Compute does not list it (a new
 * replica whose instance is not made yet is not reachable, so there is nothing to ask).
 */
export function replicaAddress(view: ClusterView, name: string): ReplicaAddress {
  const instance = findReplica(view, name);
  if (!instance) throw new SaidError(logLine('notAnInstance', { name, master: view.ref.masterName }));
  return addressOf(view, instance);
}

/**
 * Client endpoints of the RUNNING replicas other than `exclude` (a learner refuses admin RPCs; a leaving
 * member should not be asked), each reached over SSH. When Quorum can get into none of them the etcd port
 * rejects with NoAccess and the step stops there, saying so: nothing is changed through a replica it
 * cannot reach.
 */
export function voterEndpoints(
  c: Container,
  view: ClusterView,
  cluster: EtcdClusterName,
  exclude: readonly string[] = [],
): EtcdEndpoint[] {
  const endpoints = view.replicas
    .filter((r) => r.status === 'RUNNING' && !exclude.includes(r.name))
    .map((r) => c.endpoints.etcd(addressOf(view, r), cluster));
  if (endpoints.length === 0) throw new SaidError(logLine('noReplicaToAsk', { master: view.ref.masterName, cluster }));
  return endpoints;
}

/** What one replica's own etcd members (main, events, in CLUSTERS order) and API server answer now, each through SSH. */
export async function probeReplica(
  c: Container,
  view: ClusterView,
  own: ReplicaAddress,
  kube: KubeCredentials,
): Promise<{ etcd: EtcdMemberStatus[]; api: ApiServerProbe }> {
  const [etcd, api] = await Promise.all([
    Promise.all(CLUSTERS.map((cl) => c.etcd.status(c.endpoints.etcd(own, cl), view.etcd[cl], ETCD_CALL_MS))),
    c.kube.probe(c.endpoints.apiServer(own), kube, ETCD_CALL_MS),
  ]);
  return { etcd, api };
}

/** The member of replica `name`: kube-up names it `etcd-<instance>` and advertises `https://<instance>:PORT`. */
export function memberOf(
  members: readonly EtcdMember[],
  name: string,
  cluster: EtcdClusterName,
): EtcdMember | undefined {
  return members.find((m) => m.name === `etcd-${name}` || m.peerUrls.includes(peerUrl(name, cluster)));
}

// --- params and results ---------------------------------------------------------------------------------

export function stringParam(ctx: StepContext, key: string): string {
  const v = ctx.step.params[key];
  if (typeof v !== 'string' || v === '') throw new Error(`step ${ctx.step.id} has no "${key}" param`);
  return v;
}

/** The id of a sibling step of the same add or remove: step ids are `<prefix><op>:<zone>:<kind>`. */
export function siblingStepId(ctx: StepContext, kind: string): string {
  return ctx.step.id.replace(/:[^:]+$/, `:${kind}`);
}

/** An add journals no IP before its insert (Compute assigns it); a create's certificates name one. */
export const newReplicaSchema = z.object({ name: z.string().min(1), internalIp: z.string().min(1).optional() });
export type NewReplica = z.infer<typeof newReplicaSchema>;

/**
 * Steps that choose the name (and, in a create, the internal IP) of the replica an operation builds:
 * 'pick-name' in an add, 'issue-cluster-certificates' in a create (the first master's certificates name them).
 */
const NEW_REPLICA_STEPS = ['pick-name', 'issue-cluster-certificates'] as const;

const createdSchema = z.object({ internalIp: z.string().min(1).nullable().optional() });

/**
 * The name of the replica this add or create builds, with its internal IP once known (chosen by a create,
 * or journaled by 'create-instance' after Compute assigned it), or null when this operation builds none.
 */
export function newReplicaIfAny(ctx: StepContext): NewReplica | null {
  for (const kind of NEW_REPLICA_STEPS) {
    const parsed = newReplicaSchema.safeParse(ctx.results[siblingStepId(ctx, kind)]);
    if (!parsed.success) continue;
    const created = createdSchema.safeParse(ctx.results[siblingStepId(ctx, 'create-instance')]);
    const assigned = created.success ? created.data.internalIp : undefined;
    return parsed.data.internalIp === undefined && assigned ? { ...parsed.data, internalIp: assigned } : parsed.data;
  }
  return null;
}

/** The name chosen for this add or create (journaled, so a resumed run reuses it). */
export function newReplicaOf(ctx: StepContext): NewReplica {
  const found = newReplicaIfAny(ctx);
  if (!found)
    throw new Error(
      `step ${siblingStepId(ctx, ctx.operation.kind === 'create-cluster' ? 'issue-cluster-certificates' : 'pick-name')} left no name for the new replica`,
    );
  return found;
}

export const victimSchema = z.object({
  name: z.string().min(1),
  zone: z.string().min(1),
  internalIp: z.string().nullable(),
});
export type Victim = z.infer<typeof victimSchema>;

/** The replica 'resolve-replica' chose for this removal. */
export function victimOf(ctx: StepContext): Victim {
  const id = siblingStepId(ctx, 'resolve-replica');
  const parsed = victimSchema.safeParse(ctx.results[id]);
  if (!parsed.success) throw new Error(`step ${id} left no replica to remove`);
  return parsed.data;
}

// --- waiting ----------------------------------------------------------------------------------------------

export class StepCancelled extends Error {
  override readonly name = 'StepCancelled';
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new StepCancelled('cancelled');
}

/** Sleeps, ending early (with StepCancelled) when the step's signal aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new StepCancelled('cancelled'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Writes a waiting step's progress while it sleeps between two polls, so a slow journal write does not
 * lengthen the poll period. Both settle before it returns or throws (StepCancelled when the step is cancelled).
 */
export async function reportAndPause(
  ctx: Pick<StepContext, 'progress' | 'signal'>,
  progress: StepProgress,
  ms: number,
): Promise<void> {
  const [written, slept] = await Promise.allSettled([ctx.progress(progress), pause(ms, ctx.signal)]);
  if (slept.status === 'rejected') throw slept.reason;
  if (written.status === 'rejected') throw written.reason;
}

/**
 * Runs `act`, retrying while it rejects with one of `codes` (etcd refuses reconfiguration for a few seconds
 * after a member reconnects; a learner is not ready at once), until `timeoutMs` has passed.
 */
export async function retryOn<T>(
  codes: readonly ProviderErrorCode[],
  act: () => Promise<T>,
  opts: {
    timeoutMs: number;
    everyMs: number;
    signal: AbortSignal;
    onRetry?: (e: ProviderError, attempt: number) => Promise<void>;
  },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(opts.signal);
    try {
      return await act();
    } catch (e) {
      if (!isProviderError(e) || !codes.includes(e.code) || Date.now() + opts.everyMs > deadline) throw e;
      await opts.onRetry?.(e, attempt);
      await pause(opts.everyMs, opts.signal);
    }
  }
}

/** Resolves normally when the call rejects with NotFound: the thing to delete is gone already. */
export async function ignoreNotFound(act: () => Promise<void>): Promise<void> {
  try {
    await act();
  } catch (e) {
    if (!(isProviderError(e) && e.code === 'NotFound')) throw e;
  }
}

/** Resolves normally when the call rejects with AlreadyExists (another attempt created it first). */
export async function ignoreAlreadyExists(act: () => Promise<void>): Promise<void> {
  try {
    await act();
  } catch (e) {
    if (!(isProviderError(e) && e.code === 'AlreadyExists')) throw e;
  }
}

export async function staticAddressOf(
  c: Container,
  ref: ClusterRef,
): Promise<{ name: string; address: string; users: string[] }> {
  const address = await c.compute.getAddress(ref.project, ref.region, `${ref.masterName}-ip`);
  if (!address) throw new SaidError(logLine('noStaticAddress', { master: ref.masterName, region: ref.region }));
  return address;
}

export function findReplica(view: ClusterView, name: string): InstanceInfo | undefined {
  return view.replicas.find((r) => r.name === name);
}
