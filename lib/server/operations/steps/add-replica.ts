import 'server-only';
import { logLine, progressSaid, SaidError, secondsText } from '@/lib/core/operation-log';
// The steps that add a replica, after kube-up's replicate-master-instance but with learners: the name
// first (journaled, so a resumed add reuses it; Compute assigns the internal IP at the insert), learners in etcd main and events before
// the VM exists, disk, instance with the first master's metadata and the new replica's own certificates,
// catch-up, promote, API server. Each observes before it acts. etcd main and events are separate raft
// groups, so each step asks and changes both at once.
//
// The new replica's private keys go nowhere but into its instance's metadata: not into a step's detail,
// the log or the store. 'issue-certificates' issues them before anything changes and keeps them in memory
// for the runner pass (ctx.pass) only, and 'create-instance' uses them. A pass that did not issue them (a
// run resumed after a crash in between) has 'create-instance' issue them again from the same cluster CAs,
// which is safe because nothing holds the first ones.
import { randomBytes } from 'node:crypto';
import { memberIdHex } from '@/lib/core/format';
import type { EtcdClusterName } from '@/lib/core/topology';
import type { InstanceInfo } from '@/lib/ports/compute';
import { isProviderError } from '@/lib/ports/provider-error';
import { readClusterAuthorities, issueReplicaCerts, replicaMetadata, type ReplicaCerts } from '@/lib/pki/replica-certs';
import type { Container } from '@/lib/server/container';
import type { StepCompensation, StepContext, StepExecutor } from '@/lib/server/operations/runner';
import {
  CLUSTERS,
  clusterRefOf,
  ETCD_CALL_MS,
  findReplica,
  ignoreAlreadyExists,
  ignoreNotFound,
  inEachCluster,
  listReplicas,
  loadCluster,
  memberOf,
  newReplicaOf,
  probeReplica,
  peerUrl,
  replicaAddress,
  reportAndPause,
  retryOn,
  siblingStepId,
  stringParam,
  throwIfAborted,
  voterEndpoints,
  type ClusterView,
} from './cluster-context';
import { removeFromTargetPool } from './load-balancer';
import { requestIdSentBefore } from './compute-call';
import { siblingInstanceSpec } from './sibling-spec';

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** kube-up's MASTER_DISK_SIZE default, used when the first master's data disk cannot be read. */
const DEFAULT_DISK_GB = 20;
const CATCH_UP_TIMEOUT_MS = 10 * 60_000;
const PROMOTE_TIMEOUT_MS = 2 * 60_000;
/** Covers the ~7 s first-publish retry of about one snapshot join in three (reference/ha-masters.md). */
const API_SERVER_TIMEOUT_MS = 3 * 60_000;

function randomSuffix(): string {
  const bytes = randomBytes(3);
  return [...bytes].map((b) => NAME_CHARS[b % NAME_CHARS.length] ?? 'x').join('');
}

/** The replica whose metadata a new one copies: the first RUNNING one by name. */
function sourceReplica(view: ClusterView, exclude: string): InstanceInfo {
  const source = view.replicas.find(
    (r) => r.name !== exclude && r.status === 'RUNNING' && r.metadata['kube-env'] !== undefined,
  );
  if (!source) throw new SaidError(logLine('noSourceReplica', { master: view.ref.masterName }));
  return source;
}

/**
 * Uses the plan's name when it gave one, else picks a free `<master>-xyz`. No internal IP: Compute assigns
 * it at the insert ('create-instance' journals it), and peers reach each other by instance name.
 */
const pickName =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const ref = clusterRefOf(ctx);
    const view = await loadCluster(c, ctx);
    const taken = new Set(view.replicas.map((r) => r.name));
    let name = stringParam(ctx, 'name');
    if (ctx.step.params.namePending === true) {
      do name = `${ref.masterName}-${randomSuffix()}`;
      while (taken.has(name));
    }
    await ctx.log(logLine('newReplicaName', { name }));
    return { detail: { name } };
  };

/** Certificates 'issue-certificates' made in a pass, by replica name (a scale plan adds several), until 'create-instance' uses them. */
const passCerts = new WeakMap<object, Map<string, ReplicaCerts>>();

/**
 * Issues the new replica's certificates from the cluster's CAs in an existing master's metadata, before
 * anything changes, and keeps them in memory for the instance step of this pass (see the top of this
 * file). A run again finds them there, or the instance holding its own, and issues nothing.
 */
const issueCertificates =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const view = await loadCluster(c, ctx);
    const replica = newReplicaOf(ctx);
    const source = sourceReplica(view, replica.name);
    // Only the member's own etcd certs are new (kube-up's SANs); the rest of the source's metadata is copied.
    const detail = {
      name: replica.name,
      etcdPeerSans: [replica.name, '127.0.0.1'],
      etcdServerSans: [`etcd-${replica.name}`, '127.0.0.1'],
      copiedFrom: source.name,
      copied: ['MASTER_CERT', 'MASTER_KEY', 'KUBEAPISERVER_CERT', 'KUBEAPISERVER_KEY'],
    };
    const kept = ctx.pass ? (passCerts.get(ctx.pass) ?? new Map<string, ReplicaCerts>()) : null;
    if (findReplica(view, replica.name) || kept?.has(replica.name)) return { detail };
    const certs = await issueReplicaCerts(await readClusterAuthorities(source.metadata), replica);
    if (ctx.pass && kept) passCerts.set(ctx.pass, kept.set(replica.name, certs));
    return { detail };
  };

async function memberIn(c: Container, view: ClusterView, cluster: EtcdClusterName, name: string) {
  const members = await c.etcd.memberList(voterEndpoints(c, view, cluster, [name]), view.etcd[cluster], ETCD_CALL_MS);
  return { members, member: memberOf(members, name, cluster) };
}

/** Adds the new replica as a learner in main and events; a member with its peer URL is reused. */
const addLearner =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const view = await loadCluster(c, ctx);
    const { name } = newReplicaOf(ctx);
    const ids = await inEachCluster(async (cluster): Promise<[EtcdClusterName, string]> => {
      const { member } = await memberIn(c, view, cluster, name);
      if (member) return [cluster, member.id];
      const added = await retryOn(
        ['EtcdRefused'],
        () =>
          c.etcd.memberAddLearner(
            voterEndpoints(c, view, cluster, [name]),
            view.etcd[cluster],
            [peerUrl(name, cluster)],
            ETCD_CALL_MS,
          ),
        {
          timeoutMs: 20_000,
          everyMs: 1_000,
          signal: ctx.signal,
          onRetry: (e) => ctx.log(logLine('learnerRefused', { cluster, error: e.message }), 'warn'),
        },
      );
      await ctx.log(logLine('learnerAdded', { name, cluster, member: memberIdHex(added.id) }));
      return [cluster, added.id];
    });
    return { detail: Object.fromEntries(ids) };
  };

const createDisk =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const view = await loadCluster(c, ctx);
    const { name } = newReplicaOf(ctx);
    const zone = stringParam(ctx, 'zone');
    const diskName = `${name}-pd`;
    if (await c.compute.getDisk(view.ref.project, zone, diskName))
      return { detail: { disk: diskName, created: false, sizeGb: null, type: null } };
    const source = sourceReplica(view, name);
    const sourceDisk = await c.compute.getDisk(view.ref.project, source.zone, `${source.name}-pd`);
    const sizeGb = sourceDisk?.sizeGb ?? DEFAULT_DISK_GB;
    // kube-up's MASTER_DISK_TYPE (pd-ssd) unless the source's data disk says otherwise.
    const type = sourceDisk?.type || 'pd-ssd';
    await ignoreAlreadyExists(() => c.compute.insertDisk(view.ref.project, zone, { name: diskName, sizeGb, type }));
    return { detail: { disk: diskName, created: true, sizeGb, type } };
  };

/**
 * Creates the instance as a sibling of a running replica (sibling-spec.ts) with its metadata,
 * INITIAL_ETCD_CLUSTER(_STATE) and the new certificates rewritten, then reads back the internal IP Compute
 * assigned and journals it. A run again after the insert finds the instance and journals its IP.
 */
const createInstance =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const view = await loadCluster(c, ctx);
    const { name } = newReplicaOf(ctx);
    const zone = stringParam(ctx, 'zone');
    const sent = await requestIdSentBefore(c.store, ctx, 'insertInstance', [{ zone, name }]);
    if (sent !== null) {
      // This step sent the insert in an earlier run and never read its answer (a crash): Compute's Operation for that
      // requestId says what became of it; a failure of it fails the step as the call itself would have.
      const earlier = await c.compute.awaitZoneMutation(view.ref.project, zone, sent);
      if (earlier) {
        const made = await c.compute.getInstance(view.ref.project, zone, name);
        if (!made) throw new SaidError(logLine('insertGone', { name, requestId: sent, operation: earlier.operation }));
        await ctx.log(
          logLine('insertFinishedEarlier', {
            name,
            requestId: sent,
            operation: earlier.operation,
            ip: made.internalIp ?? 'none',
          }),
        );
        return { detail: { name, created: true, internalIp: made.internalIp, copiedFrom: null } };
      }
      await ctx.log(logLine('insertSentAgain', { name, requestId: sent }));
    }
    const found = await c.compute.getInstance(view.ref.project, zone, name);
    if (found) return { detail: { name, created: false, internalIp: found.internalIp, copiedFrom: null } };
    const source = sourceReplica(view, name);
    const bootDiskName = source.config?.bootDisk ?? source.diskNames?.[0];
    const bootDisk = bootDiskName ? await c.compute.getDisk(view.ref.project, source.zone, bootDiskName) : null;
    if (!bootDisk) throw new SaidError(logLine('noBootDisk', { source: source.name }));
    const kept = ctx.pass ? passCerts.get(ctx.pass) : undefined;
    const certs = kept?.get(name) ?? (await issueReplicaCerts(await readClusterAuthorities(source.metadata), { name }));
    const existing = view.replicas.map((r) => r.name).filter((n) => n !== name);
    const metadata = replicaMetadata(source.metadata, { name, existingReplicas: existing, certs });
    const spec = siblingInstanceSpec(source, bootDisk, {
      project: view.ref.project,
      zone,
      name,
      metadata,
      dataDisk: `${name}-pd`,
      loginKeys: c.reach.loginKeyLine(),
    });
    await ignoreAlreadyExists(() => c.compute.insertInstance(spec));
    // The metadata is the certificates' home from now on.
    kept?.delete(name);
    const created = await c.compute.getInstance(view.ref.project, zone, name);
    if (!created) throw new SaidError(logLine('goneAfterCreate', { name }));
    await ctx.log(
      logLine('siblingCreated', {
        name,
        zone,
        ip: created.internalIp ?? 'none',
        source: source.name,
        machineType: spec.machineType,
        image: spec.bootDisk?.sourceImage ?? '',
      }),
    );
    return { detail: { name, created: true, internalIp: created.internalIp, copiedFrom: source.name } };
  };

type CatchUp = { cluster: EtcdClusterName; learner: number; leader: number; voter: boolean };

/**
 * Waits until the learner's raft index reaches the leader's index as read one poll earlier, in both
 * clusters. Progress is learner index over leader index, with an ETA from the learner's recent rate.
 */
const awaitLearnerCatchUp =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const view = await loadCluster(c, ctx);
    const { name } = newReplicaOf(ctx);
    // The new instance exists by now ('create-instance' ran and dropped the pass's view).
    const own = replicaAddress(view, name);
    const started = Date.now();
    const deadline = started + CATCH_UP_TIMEOUT_MS;
    const target: Partial<Record<EtcdClusterName, number>> = {};
    let previous: { at: number; learner: number } | null = null;
    for (;;) {
      throwIfAborted(ctx.signal);
      // One round of reads: per cluster the member list, every voter's status and the learner's, all at once.
      const states = await inEachCluster(async (cluster): Promise<CatchUp> => {
        const voters = voterEndpoints(c, view, cluster, [name]);
        const [members, statuses, learner] = await Promise.all([
          c.etcd.memberList(voters, view.etcd[cluster], ETCD_CALL_MS),
          Promise.all(voters.map((e) => c.etcd.status(e, view.etcd[cluster], ETCD_CALL_MS))),
          c.etcd.status(c.endpoints.etcd(own, cluster), view.etcd[cluster], ETCD_CALL_MS),
        ]);
        const member = memberOf(members, name, cluster);
        if (!member) throw new SaidError(logLine('learnerGone', { name, cluster }));
        const leader = Math.max(0, ...statuses.map((s) => (s.ok ? s.raftIndex : 0)));
        return { cluster, learner: learner.ok ? learner.raftIndex : 0, leader, voter: !member.isLearner };
      });
      const caught = states.every(
        (s) => s.voter || (target[s.cluster] !== undefined && s.learner >= (target[s.cluster] ?? 0) && s.learner > 0),
      );
      const learnerSum = states.reduce((n, s) => n + s.learner, 0);
      const leaderSum = states.reduce((n, s) => n + s.leader, 0);
      const fraction = leaderSum === 0 ? 0 : learnerSum / leaderSum;
      if (caught) {
        await ctx.progress({ fraction: 1, etaSeconds: 0, ...progressSaid(logLine('hasCaughtUp', { name })) });
        const tookMs = Date.now() - started;
        await ctx.log(
          logLine('caughtUp', {
            name,
            seconds: secondsText(tookMs),
            indexes: states.map((s) => `${s.cluster} ${s.learner}/${s.leader}`).join(', '),
          }),
        );
        return { detail: { tookMs, raftIndex: Object.fromEntries(states.map((s) => [s.cluster, s.learner])) } };
      }
      for (const s of states) target[s.cluster] = s.leader;
      const now = Date.now();
      const rate = previous && now > previous.at ? (learnerSum - previous.learner) / ((now - previous.at) / 1_000) : 0;
      const etaSeconds = rate > 0 ? Math.round((leaderSum - learnerSum) / rate) : undefined;
      previous = { at: now, learner: learnerSum };
      const booting = states.some((s) => s.learner === 0);
      const progress = {
        fraction,
        ...(etaSeconds !== undefined ? { etaSeconds } : {}),
        ...progressSaid(
          booting
            ? logLine('waitingForEtcdStart', { name })
            : logLine('raftIndexes', {
                indexes: states.map((s) => `${s.cluster} ${s.learner}/${s.leader}`).join(', '),
              }),
        ),
      };
      if (now > deadline) {
        await ctx.progress(progress);
        throw new SaidError(
          logLine('catchUpTimeout', {
            name,
            seconds: String(CATCH_UP_TIMEOUT_MS / 1_000),
            indexes: states.map((s) => `${s.cluster} ${s.learner}/${s.leader}`).join(', '),
          }),
        );
      }
      await reportAndPause(ctx, progress, 500);
    }
  };

/** Promotes the learner in main and events; already a voter = done; LearnerNotReady is retried for up to two minutes. */
const promoteLearner =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const view = await loadCluster(c, ctx);
    const { name } = newReplicaOf(ctx);
    const started = Date.now();
    let voters = 0;
    await inEachCluster(async (cluster) => {
      const { member } = await memberIn(c, view, cluster, name);
      if (!member) throw new SaidError(logLine('nothingToPromote', { name, cluster }));
      if (member.isLearner) {
        await retryOn(
          ['LearnerNotReady', 'EtcdRefused'],
          () =>
            c.etcd.memberPromote(voterEndpoints(c, view, cluster, [name]), view.etcd[cluster], member.id, ETCD_CALL_MS),
          {
            timeoutMs: PROMOTE_TIMEOUT_MS,
            everyMs: 250,
            signal: ctx.signal,
            onRetry: (e, attempt) =>
              attempt % 8 === 1
                ? ctx.progress({
                    fraction: voters / CLUSTERS.length,
                    ...progressSaid(
                      logLine('promoteRetry', { cluster, error: e.code === 'LearnerNotReady' ? 'none' : e.message }),
                    ),
                  })
                : Promise.resolve(),
          },
        );
        await ctx.log(logLine('voter', { name, cluster }));
      }
      voters++;
    });
    await ctx.progress({ fraction: 1, etaSeconds: 0 });
    return { detail: { tookMs: Date.now() - started } };
  };

/** Waits until the new member answers status in both clusters and its API server is ready. */
const awaitApiServer =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const view = await loadCluster(c, ctx);
    const { name } = newReplicaOf(ctx);
    const own = replicaAddress(view, name);
    if (!view.kube) throw new SaidError(logLine('noApiCredentials'));
    const kube = view.kube;
    const started = Date.now();
    const deadline = started + API_SERVER_TIMEOUT_MS;
    for (;;) {
      throwIfAborted(ctx.signal);
      const { etcd, api: probe } = await probeReplica(c, view, own, kube);
      if (etcd.every((s) => s.ok) && probe.ready === true) {
        await ctx.log(logLine('apiServerReady', { name, seconds: secondsText(Date.now() - started) }));
        return { detail: { tookMs: Date.now() - started } };
      }
      const what = !etcd.every((s) => s.ok) ? 'etcd' : 'apiServer';
      if (Date.now() > deadline)
        throw new SaidError(
          logLine('apiServerTimeout', { name, seconds: String(API_SERVER_TIMEOUT_MS / 1_000), what }),
        );
      await reportAndPause(ctx, progressSaid(logLine('waitingForJoin', { what })), 500);
    }
  };

export function addReplicaExecutors(c: Container) {
  return {
    'pick-name': pickName(c),
    'issue-certificates': issueCertificates(c),
    'add-learner': addLearner(c),
    'create-disk': createDisk(c),
    'create-instance': createInstance(c),
    'await-learner-catch-up': awaitLearnerCatchUp(c),
    'promote-learner': promoteLearner(c),
    'await-api-server': awaitApiServer(c),
  } satisfies Record<string, StepExecutor>;
}

// --- compensations of a failed add ----------------------------------------------------------------------

/** Removes the new replica's member (learner, or voter if a promote got through) from main and events. */
export async function removeNewMembers(c: Container, ctx: StepContext): Promise<void> {
  const view = await loadCluster(c, ctx);
  const { name } = newReplicaOf(ctx);
  for (const cluster of CLUSTERS) {
    const { member } = await memberIn(c, view, cluster, name);
    if (!member) continue;
    await retryOn(
      ['EtcdRefused', 'Timeout'],
      async () => {
        try {
          await c.etcd.memberRemove(
            voterEndpoints(c, view, cluster, [name]),
            view.etcd[cluster],
            member.id,
            ETCD_CALL_MS,
          );
        } catch (e) {
          if (!(isProviderError(e) && e.code === 'NotFound')) throw e;
        }
      },
      { timeoutMs: 30_000, everyMs: 1_000, signal: new AbortController().signal },
    );
    await ctx.log(logLine('learnerRemoved', { name, cluster }));
  }
}

/**
 * The new member leaves etcd before its instance goes, as in a removal: a promoted member whose VM is gone
 * would still count towards quorum, and with two voters that loses it.
 */
async function deleteNewInstance(c: Container, ctx: StepContext): Promise<void> {
  const ref = clusterRefOf(ctx);
  const { name } = newReplicaOf(ctx);
  const zone = stringParam(ctx, 'zone');
  if (!(await c.compute.getInstance(ref.project, zone, name))) return;
  await removeNewMembers(c, ctx);
  await ignoreNotFound(() => c.compute.deleteInstance(ref.project, zone, name));
}

/**
 * In a scale plan the runner compensates every done step of these kinds. An add whose verify step is done
 * finished, and its healthy replica is kept, unless keeping it would leave two replicas (a failed 1 -> 3):
 * then it is undone too, and the cluster goes back to the one replica it started with.
 */
function unlessAddFinished(c: Container, compensate: StepCompensation): StepCompensation {
  return async (ctx) => {
    if (ctx.results[siblingStepId(ctx, 'verify')] !== undefined) {
      const { name } = newReplicaOf(ctx);
      const others = (await listReplicas(c, clusterRefOf(ctx))).filter((r) => r.name !== name);
      if (others.length !== 1) {
        await ctx.log(logLine('finishedAddKept', { name }));
        return;
      }
      await ctx.log(logLine('finishedAddUndone', { name }));
    }
    await compensate(ctx);
  };
}

export function addReplicaCompensations(c: Container): Record<string, StepCompensation> {
  const compensations: Record<string, StepCompensation> = {
    'add-learner': (ctx) => removeNewMembers(c, ctx),
    'create-disk': async (ctx) => {
      // A create-instance that failed half way is not "done", so it has no compensation of its own:
      // the instance holding the disk goes first.
      await deleteNewInstance(c, ctx);
      const ref = clusterRefOf(ctx);
      const disk = `${newReplicaOf(ctx).name}-pd`;
      const zone = stringParam(ctx, 'zone');
      if (await c.compute.getDisk(ref.project, zone, disk))
        await ignoreNotFound(() => c.compute.deleteDisk(ref.project, zone, disk));
    },
    'create-instance': (ctx) => deleteNewInstance(c, ctx),
    'add-to-target-pool': async (ctx) => {
      await removeFromTargetPool(c, ctx, stringParam(ctx, 'targetPool'), {
        zone: stringParam(ctx, 'zone'),
        name: newReplicaOf(ctx).name,
      });
    },
  };
  return Object.fromEntries(Object.entries(compensations).map(([kind, f]) => [kind, unlessAddFinished(c, f)]));
}

/** Step kinds a failed add undoes (newest first): put this in the stored plan's `rollback`. */
export const ADD_ROLLBACK_KINDS = ['add-learner', 'create-disk', 'create-instance', 'add-to-target-pool'] as const;
