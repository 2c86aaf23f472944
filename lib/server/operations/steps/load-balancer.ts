import 'server-only';
import { logLine, progressSaid, SaidError } from '@/lib/core/operation-log';
// Load-balancer steps: kube-up's promotion of the first replica's static IP to a forwarding rule when a
// second replica comes, and its return when one replica is left. Each observes Compute first, so running
// it again after a crash finds its effect and does nothing.
import { connect as tlsConnect } from 'node:tls';
import { z } from 'zod';
import { DEFAULT_LB_PROPAGATION_SECONDS } from '@/lib/core/plan-run';
import type { Container } from '@/lib/server/container';
import type { StepCompensation, StepContext, StepExecutor } from '@/lib/server/operations/runner';
import {
  clusterRefOf,
  ignoreAlreadyExists,
  ignoreNotFound,
  listReplicas,
  newReplicaOf,
  pause,
  siblingStepId,
  staticAddressOf,
  stringParam,
  throwIfAborted,
  victimOf,
} from './cluster-context';

/** The propagation expected (the wait step, a plan's ETA and its warning): as configured, else the provider's default. */
export function expectedLbPropagationSeconds(
  env: Pick<Container['env'], 'QUORUM_LB_PROPAGATION_SECONDS' | 'QUORUM_PROVIDER'>,
): number {
  return env.QUORUM_LB_PROPAGATION_SECONDS ?? DEFAULT_LB_PROPAGATION_SECONDS[env.QUORUM_PROVIDER];
}

async function instanceNamed(c: Container, ctx: StepContext, name: string) {
  const ref = clusterRefOf(ctx);
  const instance = (await listReplicas(c, ref)).find((r) => r.name === name);
  if (!instance) throw new SaidError(logLine('replicaOfNotFound', { name, master: ref.masterName }));
  return instance;
}

/** Frees the static IP: the first replica gets an ephemeral external IP instead (delete then add its access config). */
const moveFirstReplicaToEphemeralIp =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const ref = clusterRefOf(ctx);
    const name = stringParam(ctx, 'name');
    const staticIp = (await staticAddressOf(c, ref)).address;
    const first = await instanceNamed(c, ctx, name);
    if (first.externalIp !== null && first.externalIp !== staticIp) {
      return { detail: { name, externalIp: first.externalIp, changed: false } };
    }
    if (first.externalIp === staticIp) {
      await ctx.log(logLine('staticIpRemoving', { ip: staticIp, name }));
      await ignoreNotFound(() =>
        c.compute.deleteAccessConfig(ref.project, first.zone, name, first.accessConfigName ?? 'external-nat'),
      );
    }
    await c.compute.addAccessConfig(ref.project, first.zone, name, null);
    const after = await instanceNamed(c, ctx, name);
    await ctx.log(logLine('ephemeralIpNow', { name, ip: after.externalIp ?? 'none' }));
    return { detail: { name, externalIp: after.externalIp, changed: true } };
  };

const createTargetPool =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const ref = clusterRefOf(ctx);
    const pool = stringParam(ctx, 'targetPool');
    const wanted = stringParam(ctx, 'instances')
      .split(',')
      .filter((n) => n !== '');
    const replicas = await listReplicas(c, ref);
    const refs = wanted.map((n) => {
      const r = replicas.find((x) => x.name === n);
      if (!r) throw new SaidError(logLine('poolReplicaNotFound', { name: n, pool }));
      return { zone: r.zone, name: r.name };
    });
    const existing = await c.compute.getTargetPool(ref.project, ref.region, pool);
    if (!existing) {
      await ignoreAlreadyExists(() =>
        c.compute.insertTargetPool(ref.project, ref.region, { name: pool, instances: refs }),
      );
      return { detail: { targetPool: pool, created: true } };
    }
    for (const r of refs) {
      if (!existing.instances.includes(r.name)) await c.compute.addTargetPoolInstance(ref.project, ref.region, pool, r);
    }
    return { detail: { targetPool: pool, created: false } };
  };

const createForwardingRule =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const ref = clusterRefOf(ctx);
    const name = stringParam(ctx, 'forwardingRule');
    const port = ctx.step.params.port ?? 443;
    const existing = await c.compute.getForwardingRule(ref.project, ref.region, name);
    if (existing) return { detail: { forwardingRule: name, ipAddress: existing.ipAddress, createdAtMs: null } };
    const staticIp = (await staticAddressOf(c, ref)).address;
    await ignoreAlreadyExists(() =>
      c.compute.insertForwardingRule(ref.project, ref.region, {
        name,
        ipAddress: staticIp,
        portRange: `${port}-${port}`,
        target: name,
      }),
    );
    // The propagation clock starts here; a resumed wait measures its progress from this moment.
    return { detail: { forwardingRule: name, ipAddress: staticIp, createdAtMs: Date.now() } };
  };

/** True when a TLS server completes a handshake at host:port within the timeout (who answers is the load balancer's business). */
function tlsAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('secureConnect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

const forwardingRuleDetail = z.object({ createdAtMs: z.number().nullable() });

/**
 * Waits until `https://<static IP>` completes a TLS handshake through the forwarding rule. Progress is the
 * time since the rule was created over the expected propagation (`expectedSeconds`, else QUORUM_LB_PROPAGATION_SECONDS, else the provider's default); the
 * deadline is three times that, at least two minutes.
 */
const awaitClusterAddress =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const ref = clusterRefOf(ctx);
    const staticIp = (await staticAddressOf(c, ref)).address;
    // The load balancer, not a replica: the dashboard may dial the static IP directly (a TLS handshake only).
    const port = c.endpoints.loadBalancerPort;
    const expectedSeconds = ctx.step.params.expectedSeconds;
    const configuredMs = expectedLbPropagationSeconds(c.env) * 1_000;
    const expectedMs =
      typeof expectedSeconds === 'number' && expectedSeconds > 0 ? expectedSeconds * 1_000 : configuredMs;
    const rule = forwardingRuleDetail.safeParse(ctx.results[siblingStepId(ctx, 'create-forwarding-rule')]);
    const since = rule.success && rule.data.createdAtMs !== null ? rule.data.createdAtMs : Date.now();
    const deadline = Date.now() + Math.max(expectedMs * 3, 120_000);
    for (;;) {
      throwIfAborted(ctx.signal);
      if (await tlsAnswers(staticIp, port, 2_000)) {
        const tookMs = Date.now() - since;
        await ctx.progress({
          fraction: 1,
          etaSeconds: 0,
          ...progressSaid(logLine('addressAnswers', { address: `${staticIp}:${port}` })),
        });
        await ctx.log(
          logLine('clusterAddressAnswers', {
            address: `${staticIp}:${port}`,
            seconds: String(Math.round(tookMs / 1_000)),
          }),
        );
        return { detail: { address: `${staticIp}:${port}`, tookMs } };
      }
      if (Date.now() > deadline)
        throw new SaidError(
          logLine('addressTimeout', {
            address: `${staticIp}:${port}`,
            seconds: String(Math.round((Date.now() - since) / 1_000)),
          }),
        );
      const elapsed = Date.now() - since;
      // Past the expected time the bar stays short of full and the ETA says "any moment".
      const fraction = Math.min(0.95, elapsed / expectedMs);
      const etaSeconds = Math.max(1, Math.round((expectedMs - elapsed) / 1_000));
      await ctx.progress({
        fraction,
        etaSeconds,
        ...progressSaid(logLine('waitingForLoadBalancer', { address: `${staticIp}:${port}` })),
      });
      await pause(1_000, ctx.signal);
    }
  };

const addToTargetPool =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const ref = clusterRefOf(ctx);
    const pool = stringParam(ctx, 'targetPool');
    const { name } = newReplicaOf(ctx);
    const existing = await c.compute.getTargetPool(ref.project, ref.region, pool);
    if (!existing) throw new SaidError(logLine('poolMissing', { pool }));
    if (existing.instances.includes(name)) return { detail: { targetPool: pool, added: false } };
    await c.compute.addTargetPoolInstance(ref.project, ref.region, pool, { zone: stringParam(ctx, 'zone'), name });
    return { detail: { targetPool: pool, added: true } };
  };

export async function removeFromTargetPool(
  c: Container,
  ctx: StepContext,
  pool: string,
  replica: { zone: string; name: string },
): Promise<boolean> {
  const ref = clusterRefOf(ctx);
  const existing = await c.compute.getTargetPool(ref.project, ref.region, pool);
  if (!existing || !existing.instances.includes(replica.name)) return false;
  await ignoreNotFound(() => c.compute.removeTargetPoolInstance(ref.project, ref.region, pool, replica));
  return true;
}

const removeFromTargetPoolStep =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const victim = victimOf(ctx);
    const removed = await removeFromTargetPool(c, ctx, stringParam(ctx, 'targetPool'), victim);
    return { detail: { removed } };
  };

const deleteForwardingRule =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const ref = clusterRefOf(ctx);
    const name = stringParam(ctx, 'forwardingRule');
    if (!(await c.compute.getForwardingRule(ref.project, ref.region, name))) return { detail: { deleted: false } };
    await ignoreNotFound(() => c.compute.deleteForwardingRule(ref.project, ref.region, name));
    return { detail: { deleted: true } };
  };

/** Gives the static IP back to the last replica: its ephemeral access config goes, one with the static IP comes. */
const returnStaticIpToLastReplica =
  (c: Container): StepExecutor =>
  (ctx) =>
    giveStaticIpTo(c, ctx, stringParam(ctx, 'lastReplica'));

async function giveStaticIpTo(c: Container, ctx: StepContext, name: string) {
  const ref = clusterRefOf(ctx);
  const address = await staticAddressOf(c, ref);
  const last = (await listReplicas(c, ref)).find((r) => r.name === name);
  if (!last) throw new SaidError(logLine('replicaNotFound', { name }));
  if (last.externalIp === address.address) return { detail: { name, externalIp: address.address, changed: false } };
  if (address.users.some((u) => u !== name))
    throw new SaidError(logLine('staticIpInUse', { ip: address.address, users: address.users.join(', ') }));
  if (last.externalIp !== null) {
    await ignoreNotFound(() =>
      c.compute.deleteAccessConfig(ref.project, last.zone, name, last.accessConfigName ?? 'external-nat'),
    );
  }
  await c.compute.addAccessConfig(ref.project, last.zone, name, address.address);
  await ctx.log(logLine('staticIpBack', { name, ip: address.address }));
  return { detail: { name, externalIp: address.address, changed: true } };
}

const deleteTargetPool =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const ref = clusterRefOf(ctx);
    const name = stringParam(ctx, 'targetPool');
    if (!(await c.compute.getTargetPool(ref.project, ref.region, name))) return { detail: { deleted: false } };
    await ignoreNotFound(() => c.compute.deleteTargetPool(ref.project, ref.region, name));
    return { detail: { deleted: true } };
  };

export function loadBalancerExecutors(c: Container) {
  return {
    'move-first-replica-to-ephemeral-ip': moveFirstReplicaToEphemeralIp(c),
    'create-target-pool': createTargetPool(c),
    'create-forwarding-rule': createForwardingRule(c),
    'await-cluster-address': awaitClusterAddress(c),
    'add-to-target-pool': addToTargetPool(c),
    'remove-from-target-pool': removeFromTargetPoolStep(c),
    'delete-forwarding-rule': deleteForwardingRule(c),
    'return-static-ip-to-last-replica': returnStaticIpToLastReplica(c),
    'delete-target-pool': deleteTargetPool(c),
  } satisfies Record<string, StepExecutor>;
}

/**
 * A failed scale-up from one replica undoes the load balancer it made (newest first: the forwarding rule,
 * the target pool, then the static IP back on the first replica), once the adds' own rollback has left the
 * cluster with one replica again; with more, the load balancer serves them and is kept.
 */
function whenBackToOneReplica(c: Container, undo: (ctx: StepContext) => Promise<unknown>): StepCompensation {
  return async (ctx) => {
    const replicas = await listReplicas(c, clusterRefOf(ctx));
    if (replicas.length !== 1) {
      await ctx.log(logLine('poolKept', { count: String(replicas.length) }));
      return;
    }
    await undo(ctx);
  };
}

export function loadBalancerCompensations(c: Container): Record<string, StepCompensation> {
  return {
    'move-first-replica-to-ephemeral-ip': whenBackToOneReplica(c, (ctx) =>
      giveStaticIpTo(c, ctx, stringParam(ctx, 'name')),
    ),
    'create-target-pool': whenBackToOneReplica(c, deleteTargetPool(c)),
    'create-forwarding-rule': whenBackToOneReplica(c, deleteForwardingRule(c)),
  };
}

/** Step kinds a failed scale-up from one replica undoes (see loadBalancerCompensations). */
export const LB_ROLLBACK_KINDS = [
  'move-first-replica-to-ephemeral-ip',
  'create-target-pool',
  'create-forwarding-rule',
] as const;
