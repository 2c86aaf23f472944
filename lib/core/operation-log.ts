// The sentences an operation writes to its journal, each with a key and params, so the operation page words them in
// the reader's language (messages/<locale>/operations.json, `log.<key>`). The English built here stays the record:
// the journal's `message` keeps it, as the audit and the server log do. Params are strings as they are shown
// (member IDs in hex, seconds with one decimal, lists joined); what an etcd or Compute error says stays as it came.
import { z } from 'zod';
import { computeWhySchema, withoutWhy, type ComputeWhy } from './compute-why';

export type LogParams = Readonly<Record<string, string>>;

/**
 * A sentence of the journal by key and params; `step` is the index of the plan step it belongs to, when one does.
 * `stepOf` and `stepsOf` name the params that hold a step's English title (or a list of them, each quoted), by the
 * steps' indexes, so the page words those titles from the plan.
 */
export type LogSaid = {
  key: LogKey;
  params: LogParams;
  step?: number;
  stepOf?: Readonly<Record<string, number>>;
  stepsOf?: Readonly<Record<string, readonly number[]>>;
  /** Quorum's words after Compute's message in `params.error`, which then holds the message without them. */
  errorWhy?: ComputeWhy;
  /** Params that hold a list of sentences (what a step waits for), each worded on its own and joined. */
  itemsOf?: ItemsOf;
  /** The sentence `params.error` is, when Quorum's own words failed the step (a SaidError). */
  errorSaid?: LogError;
};

/** A sentence inside another: a thing a waiting step waits for, or a problem it still sees. */
export type LogItem = { key: LogKey; params: LogParams };
type ItemsOf = Readonly<Partial<Record<ItemsParam, readonly LogItem[]>>>;
/** Why a step failed, in Quorum's words: a sentence, with its lists. */
export type LogError = LogItem & { itemsOf?: ItemsOf };

/** How a list of sentences is joined in English (the catalog's `logParts.items.<param>` in each language). */
export const ITEM_SEPARATORS = { waits: ', ', problems: '; ' } as const;
export type ItemsParam = keyof typeof ITEM_SEPARATORS;

/** What a step (or the runner) writes: the English of the record and the sentence to word it by. */
export type LogLine = { text: string; said: LogSaid };

type P<K extends string> = Readonly<Record<K, string>>;

/** Absent values (no IP yet, no IDs read) are given as `none`; the catalog has a branch for it. */
const orNone = (v: string, none: string) => (v === 'none' ? none : v);

type StoppedAt = P<'done' | 'total' | 'lastStep' | 'lastStepNo' | 'interruptedStep' | 'interruptedStepNo' | 'notRun'>;

/** Where a stopped operation left the cluster (the runner's describeStoppingPoint). */
const stoppedAt = (p: StoppedAt) =>
  `${
    p.lastStep === 'none'
      ? 'No step had completed; nothing was changed by this operation.'
      : `The cluster is as step ${p.lastStepNo}/${p.total} "${p.lastStep}" left it (${p.done} of ${p.total} steps done).`
  }${
    p.interruptedStep === 'none'
      ? ''
      : ` step ${p.interruptedStepNo}/${p.total} "${p.interruptedStep}" was interrupted while running and may be partly applied; running the operation again completes it.`
  } ${p.notRun} step${p.notRun === '1' ? '' : 's'} did not run.`;

const ENGLISH = {
  // The runner's own lines. `step` is the step's title in English; the page words it from the plan.
  started: () => 'Started',
  resumed: () => 'Resumed from the journal',
  cancelRequested: () => 'Cancel requested: stopping at the next step boundary',
  runAgain: (p: P<'step'>) => `Running "${p.step}" again: it was interrupted`,
  stepFailed: (p: P<'step' | 'error'>) => `"${p.step}" failed: ${p.error}`,
  rollingBack: (p: P<'step'>) => `Rolling back "${p.step}"`,
  rollbackFailed: (p: P<'step' | 'error'>) => `Rolling back "${p.step}" failed: ${p.error}`,
  succeeded: (p: P<'steps'>) => `Succeeded: all ${p.steps} steps done.`,
  cancelled: (p: StoppedAt) => `Cancelled. ${stoppedAt(p)}`,
  // `rolledBack` and `kept`: quoted titles, comma-joined (`kept` none when nothing is left); `problems` as they came
  // (none when there were none).
  failed: (
    p: StoppedAt & P<'failedStep' | 'failedStepNo' | 'error' | 'outcome' | 'rolledBack' | 'kept' | 'problems'>,
  ) =>
    `Failed at step ${p.failedStepNo}/${p.total} "${p.failedStep}": ${p.error}. ${
      p.outcome === 'stopped'
        ? stoppedAt(p)
        : `Rolled back ${p.rolledBack}.${p.kept === 'none' ? ' Nothing of this operation is left in effect.' : ` Still in effect: ${p.kept}.`}`
    }${p.problems === 'none' ? '' : ` ${p.problems}.`}`,
  // Compute calls of any step.
  computeRetry: (p: P<'call' | 'code' | 'error' | 'attempt' | 'seconds' | 'requestId'>) =>
    `${p.call} failed (${p.code}): ${p.error}. Retry ${p.attempt} in ${p.seconds} s${
      p.requestId === 'none'
        ? ''
        : p.requestId === 'new'
          ? ' with a new requestId (the failed Operation did nothing)'
          : ` with the same requestId ${p.requestId}`
    }`,
  // The static IP and the load balancer.
  staticIpRemoving: (p: P<'ip' | 'name'>) => `removing the static IP ${p.ip} from ${p.name}`,
  ephemeralIpNow: (p: P<'name' | 'ip'>) => `${p.name} now has the ephemeral external IP ${orNone(p.ip, '(none)')}`,
  clusterAddressAnswers: (p: P<'address' | 'seconds'>) =>
    `the cluster address ${p.address} answers through the load balancer ${p.seconds} s after the rule was created`,
  staticIpBack: (p: P<'name' | 'ip'>) => `${p.name} holds the static IP ${p.ip} again`,
  poolKept: (p: P<'count'>) => `kept: ${p.count} replicas are behind the load balancer`,
  // Starting or resetting a replica.
  alreadyRunning: (p: P<'name'>) => `${p.name} is RUNNING already: not started again`,
  instanceStarted: (p: P<'name' | 'members'>) =>
    `started ${p.name} (instances.start); etcd members ${orNone(p.members, '(ids not read)')} stay`,
  answersAgain: (p: P<'name'>) => `${p.name} answers again (etcd main, events and its API server): not reset`,
  instanceReset: (p: P<'name' | 'members'>) =>
    `reset ${p.name} (instances.reset); etcd members ${orNone(p.members, '(ids not read)')} stay`,
  rejoined: (p: P<'name' | 'seconds' | 'members'>) =>
    `${p.name} rejoined after ${p.seconds} s as the same members (${p.members}); no membership change was made`,
  // Adding a replica.
  newReplicaName: (p: P<'name'>) => `the new replica is ${p.name}`,
  learnerRefused: (p: P<'cluster' | 'error'>) => `etcd ${p.cluster} refused the learner (${p.error}); retrying`,
  learnerAdded: (p: P<'name' | 'cluster' | 'member'>) =>
    `${p.name} is a learner in etcd ${p.cluster} (member ${p.member}, as etcdctl prints it)`,
  insertFinishedEarlier: (p: P<'name' | 'requestId' | 'operation' | 'ip'>) =>
    `the insert of ${p.name} sent before the interruption (requestId ${p.requestId}) finished as ${p.operation}: ${p.name} is at ${orNone(p.ip, '(no internal IP yet)')}`,
  insertSentAgain: (p: P<'name' | 'requestId'>) =>
    `the insert of ${p.name} sent before the interruption (requestId ${p.requestId}) never reached Compute: sending it again with that requestId`,
  siblingCreated: (p: P<'name' | 'zone' | 'ip' | 'source' | 'machineType' | 'image'>) =>
    `${p.name} created in ${p.zone} at ${orNone(p.ip, '(no internal IP yet)')} as a sibling of ${p.source} (${p.machineType}, ${p.image})`,
  caughtUp: (p: P<'name' | 'seconds' | 'indexes'>) => `${p.name} caught up in ${p.seconds} s (${p.indexes})`,
  voter: (p: P<'name' | 'cluster'>) => `${p.name} is a voter in etcd ${p.cluster}`,
  apiServerReady: (p: P<'name' | 'seconds'>) => `the API server of ${p.name} is ready after ${p.seconds} s`,
  learnerRemoved: (p: P<'name' | 'cluster'>) => `removed ${p.name} from etcd ${p.cluster}`,
  finishedAddKept: (p: P<'name'>) => `this add had finished; its replica ${p.name} is kept`,
  finishedAddUndone: (p: P<'name'>) =>
    `this add had finished, but keeping ${p.name} would leave two replicas: it is undone too`,
  // Removing a replica.
  noVm: (p: P<'name'>) => `${p.name} has no VM any more; removing what is left of it`,
  leadershipNotMoved: (p: P<'cluster' | 'name' | 'why' | 'error'>) =>
    `etcd ${p.cluster} on ${p.name} ${
      p.why === 'noVm'
        ? 'has no VM'
        : p.why === 'noAccess'
          ? `cannot be reached by Quorum over SSH (${p.error})`
          : `does not answer (${p.error})`
    }: leadership is not moved gracefully (skipped); if it led, the other voters elect a leader without it`,
  leadershipMoved: (p: P<'cluster' | 'name'>) => `etcd ${p.cluster} leadership moved off ${p.name}`,
  removalRefused: (p: P<'cluster' | 'error'>) => `etcd ${p.cluster} refused the removal (${p.error}); retrying`,
  memberRemoved: (p: P<'name' | 'cluster'>) => `${p.name} removed from etcd ${p.cluster}`,
  membersMatch: (p: P<'replicas'>) => `etcd main and events name exactly the replicas ${p.replicas}; no learner`,
  // Creating a cluster.
  firewallRuleCreated: (p: P<'name' | 'allowed'>) => `created firewall rule ${p.name} (${p.allowed})`,
  addressReserved: (p: P<'name' | 'ip'>) => `reserved ${p.name}: ${p.ip}`,
  certificatesIssued: (p: P<'master' | 'ip'>) =>
    `issued the CAs of ${p.master} and the certificates of its first master at ${p.ip}`,
  diskCreated: (p: P<'name' | 'sizeGb' | 'zone'>) => `created ${p.name} (${p.sizeGb} GB pd-ssd) in ${p.zone}`,
  firstMasterCreated: (p: P<'name' | 'zone' | 'ip' | 'staticIp'>) =>
    `${p.name} created in ${p.zone} at ${p.ip}, holding ${p.staticIp}`,
  etcdAnswers: (p: P<'name' | 'seconds'>) => `etcd main and events answer on ${p.name} after ${p.seconds} s`,
  // Snapshots and the backup gate.
  snapshotMissing: (p: P<'cluster' | 'replica' | 'error'>) =>
    `no verified etcd ${p.cluster} snapshot from ${p.replica}: ${p.error}`,
  snapshotTakenEarlier: (p: P<'cluster' | 'file'>) =>
    `etcd ${p.cluster} snapshot ${p.file} was already taken and verified by this step`,
  snapshotVerified: (p: P<'cluster' | 'file' | 'member' | 'revision' | 'keys' | 'size' | 'sha256' | 'crc32'>) =>
    `etcd ${p.cluster} snapshot ${p.file} from ${p.member} verified: revision ${p.revision}, ${p.keys} keys, ${p.size}, sha256 ${p.sha256}…, crc32 ${p.crc32}`,
  pruneFailed: (p: P<'error'>) => `deleting old snapshots failed: ${p.error}`,
  pruned: (p: P<'retention' | 'files'>) => `retention (${p.retention} per etcd cluster) deleted ${p.files}`,
  backupGateOverridden: (p: P<'actor' | 'reason' | 'master' | 'failure' | 'error'>) =>
    `BACKUP GATE OVERRIDDEN by ${p.actor} ("${p.reason}"): no verified etcd snapshot of ${p.master} could be taken (${p.failure}): ${p.error}; the change goes on without a verified snapshot`,
  // A waiting step's progress (the line under its title while it runs; not journaled as a log line).
  snapshotProgress: (p: P<'cluster' | 'replica' | 'bytes' | 'total'>) =>
    `etcd ${p.cluster} snapshot from ${p.replica}: ${p.bytes} of about ${p.total}`,
  waitingForEtcdStart: (p: P<'name'>) => `waiting for ${p.name} to start etcd`,
  raftIndexes: (p: P<'indexes'>) => `raft index ${p.indexes}`,
  hasCaughtUp: (p: P<'name'>) => `${p.name} has caught up`,
  promoteRetry: (p: P<'cluster' | 'error'>) =>
    `etcd ${p.cluster}: ${p.error === 'none' ? 'learner not in sync yet' : p.error}; retrying`,
  waitingForJoin: (p: P<'what'>) =>
    `waiting for ${p.what === 'etcd' ? 'its etcd members to serve clients' : 'its API server to be ready'} (a join can take ~7 s more when etcd retries its first publish)`,
  addressAnswers: (p: P<'address'>) => `${p.address} answers`,
  waitingForLoadBalancer: (p: P<'address'>) => `waiting for the load balancer to forward ${p.address}`,
  // What a waiting step still waits for (`waits`, a list of the items below) or still sees wrong (`problems`).
  waitingFor: (p: P<'waits'>) => `waiting for ${p.waits}`,
  stillWrong: (p: P<'problems'>) => p.problems,
  // Items of `waits`.
  waitRunning: (p: P<'name'>) => `${p.name} to be RUNNING`,
  waitEtcdAnswer: (p: P<'cluster'>) => `etcd ${p.cluster} to answer`,
  waitEtcdListed: (p: P<'cluster' | 'name'>) => `etcd ${p.cluster} to list etcd-${p.name}`,
  waitVoter: (p: P<'cluster'>) => `etcd ${p.cluster} to be a voter`,
  waitLeader: (p: P<'cluster'>) => `etcd ${p.cluster} to know its leader`,
  waitApiServer: () => 'its API server to be ready',
  // Items of `problems`.
  problemNoVm: (p: P<'name'>) => `${p.name} has no VM`,
  problemStillVm: (p: P<'name'>) => `${p.name} still has a VM`,
  problemStaticAddressMissing: (p: P<'name'>) => `the static address ${p.name} is missing`,
  problemStaticAddressNotHeld: (p: P<'name' | 'ip' | 'staticIp'>) =>
    `${p.name} has external IP ${orNone(p.ip, 'none')}, not the static ${p.staticIp}`,
  problemMembers: (p: P<'cluster' | 'members' | 'replicas'>) =>
    `etcd ${p.cluster} members are [${p.members}], replicas are [${p.replicas}]`,
  // Members added but not started yet have no name (etcdctl lists them as unstarted).
  problemMembersUnstarted: (p: P<'cluster' | 'members' | 'unstarted' | 'replicas'>) =>
    `etcd ${p.cluster} members are [${p.members}] and ${p.unstarted} not started, replicas are [${p.replicas}]`,
  problemLearner: (p: P<'cluster' | 'learners'>) => `etcd ${p.cluster} still has the learner ${p.learners}`,
  // Why a step failed, in Quorum's words (a SaidError's sentence; `error` params quote what came from elsewhere).
  noSourceReplica: (p: P<'master'>) => `no running replica of ${p.master} to copy the configuration from`,
  insertGone: (p: P<'name' | 'requestId' | 'operation'>) =>
    `${p.name} is gone although its insert (requestId ${p.requestId}, ${p.operation}) succeeded`,
  noBootDisk: (p: P<'source'>) => `the boot disk of ${p.source} cannot be read: there is no boot image to copy`,
  goneAfterCreate: (p: P<'name'>) => `${p.name} is gone right after it was created`,
  learnerGone: (p: P<'name' | 'cluster'>) => `${p.name} is no member of etcd ${p.cluster}: the learner was removed`,
  catchUpTimeout: (p: P<'name' | 'seconds' | 'indexes'>) =>
    `${p.name} did not catch up within ${p.seconds} s (${p.indexes})`,
  nothingToPromote: (p: P<'name' | 'cluster'>) => `${p.name} is no member of etcd ${p.cluster}: nothing to promote`,
  noApiCredentials: () => "no replica's metadata has the API server credentials",
  apiServerTimeout: (p: P<'name' | 'seconds' | 'what'>) =>
    `${p.name} did not become ready within ${p.seconds} s: still waiting for ${p.what === 'etcd' ? 'its etcd members to serve clients' : 'its API server to be ready'}`,
  noEtcdCredentials: (p: P<'master' | 'error'>) => `cannot reach etcd of ${p.master}: ${p.error}`,
  notAnInstance: (p: P<'name' | 'master'>) => `${p.name} is not an instance of ${p.master} (yet): it cannot be reached`,
  noReplicaToAsk: (p: P<'master' | 'cluster'>) => `no running replica of ${p.master} to ask etcd ${p.cluster}`,
  noStaticAddress: (p: P<'master' | 'region'>) => `${p.master} has no static address ${p.master}-ip in ${p.region}`,
  firewallRuleGone: (p: P<'name'>) => `firewall rule ${p.name} is gone right after it was created`,
  addressGone: (p: P<'name'>) => `the static address ${p.name} is gone right after it was reserved`,
  addressInUse: (p: P<'name' | 'ip' | 'users'>) =>
    `the static address ${p.name} (${p.ip}) is in use by ${p.users}; a new cluster needs it free`,
  noInternalIp: (p: P<'name'>) => `${p.name} exists but has no internal IP`,
  addressNotYet: (p: P<'name'>) => `the static address ${p.name} is missing; its step must run first`,
  diskAttached: (p: P<'name' | 'users'>) => `the disk ${p.name} is attached to ${p.users}`,
  certificatesGone: (p: P<'master'>) =>
    `the certificates of ${p.master} are no longer stored; run the create again from the start`,
  addressMoved: (p: P<'name' | 'ip' | 'staticIp'>) =>
    `the static address ${p.name} is ${p.ip === 'none' ? 'gone' : `now ${p.ip}`}, not the ${p.staticIp} the certificates name`,
  etcdStartTimeout: (p: P<'name' | 'seconds' | 'waits'>) =>
    `${p.name} did not start etcd within ${p.seconds} s: still waiting for ${p.waits}`,
  replicaNotFound: (p: P<'name'>) => `replica ${p.name} not found`,
  replicaOfNotFound: (p: P<'name' | 'master'>) => `replica ${p.name} of ${p.master} not found`,
  poolReplicaNotFound: (p: P<'name' | 'pool'>) => `replica ${p.name} for target pool ${p.pool} not found`,
  addressTimeout: (p: P<'address' | 'seconds'>) =>
    `the cluster address ${p.address} did not answer within ${p.seconds} s`,
  poolMissing: (p: P<'pool'>) => `target pool ${p.pool} does not exist`,
  staticIpInUse: (p: P<'ip' | 'users'>) => `the static IP ${p.ip} is still used by ${p.users}`,
  wrongZone: (p: P<'name' | 'zone' | 'expected'>) => `${p.name} is in ${p.zone}, not ${p.expected}`,
  noLeaderTarget: (p: P<'cluster' | 'name'>) => `no healthy voter to take etcd ${p.cluster} leadership from ${p.name}`,
  leadershipStuck: (p: P<'cluster' | 'name'>) => `etcd ${p.cluster} leadership did not leave ${p.name}`,
  noVmToRestart: (p: P<'name' | 'action'>) =>
    `${p.name} has no VM any more: it cannot be ${p.action === 'start' ? 'started' : 'reset'}; replace it instead`,
  newMemberId: (p: P<'cluster' | 'name' | 'member' | 'was'>) =>
    `etcd ${p.cluster} on ${p.name} answers as member ${p.member}, not ${p.was} as before the restart: it did not rejoin as the same member`,
  rejoinTimeout: (p: P<'name' | 'minutes' | 'waits'>) =>
    `${p.name} did not rejoin within ${p.minutes} minutes: still waiting for ${p.waits}`,
} satisfies Record<string, (p: never) => string>;

export type LogKey = keyof typeof ENGLISH;
type ParamsOf<K extends LogKey> = Parameters<(typeof ENGLISH)[K]> extends [infer A] ? A : never;

export const LOG_KEYS = Object.keys(ENGLISH) as LogKey[];

/** A stored sentence as read back: a key this build knows, string params, the step's index. */
const logItemSchema = z.object({
  key: z.enum(LOG_KEYS as [LogKey, ...LogKey[]]),
  params: z.record(z.string(), z.string()),
});
const itemsOfSchema = z.partialRecord(
  z.enum(Object.keys(ITEM_SEPARATORS) as [ItemsParam, ...ItemsParam[]]),
  z.array(logItemSchema),
);
const logErrorSchema = logItemSchema.extend({ itemsOf: itemsOfSchema.optional() });

export const logSaidSchema = logItemSchema.extend({
  step: z.number().int().nonnegative().optional(),
  stepOf: z.record(z.string(), z.number().int().nonnegative()).optional(),
  stepsOf: z.record(z.string(), z.array(z.number().int().nonnegative())).optional(),
  errorWhy: computeWhySchema.optional(),
  itemsOf: itemsOfSchema.optional(),
  errorSaid: logErrorSchema.optional(),
});

/** A journal sentence: its English and how to word it again. */
export function logLine<K extends LogKey>(
  key: K,
  ...[params]: [ParamsOf<K>] extends [never] ? [] : [ParamsOf<K>]
): LogLine {
  const p = (params ?? {}) as LogParams;
  return { text: (ENGLISH[key] as (p: LogParams) => string)(p), said: { key, params: { ...p } } };
}

/** The sentences with a list, and the param that holds it. */
const LIST_PARAM = {
  waitingFor: 'waits',
  stillWrong: 'problems',
  etcdStartTimeout: 'waits',
  rejoinTimeout: 'waits',
} as const satisfies Partial<Record<LogKey, ItemsParam>>;

/**
 * The sentence `key` whose list param is `items` (each a sentence of its own), joined as ITEM_SEPARATORS says, with
 * its other `params`: `waitingFor` with [waitEtcdAnswer main, waitApiServer] is `waiting for etcd main to answer,
 * its API server to be ready`.
 */
export function logLineWithItems(
  key: keyof typeof LIST_PARAM,
  items: readonly LogLine[],
  params: LogParams = {},
): LogLine {
  const param = LIST_PARAM[key];
  const all = { ...params, [param]: items.map((i) => i.text).join(ITEM_SEPARATORS[param]) };
  return {
    text: (ENGLISH[key] as (p: LogParams) => string)(all),
    said: { key, params: all, itemsOf: { [param]: items.map((i) => ({ key: i.said.key, params: i.said.params })) } },
  };
}

/** An error in Quorum's own words: a step that throws it fails with a sentence the page words again. */
export class SaidError extends Error {
  readonly said: LogError;
  constructor(line: LogLine) {
    super(line.text);
    this.name = 'SaidError';
    const { key, params, itemsOf } = line.said;
    this.said = itemsOf ? { key, params, itemsOf } : { key, params };
  }
}

/** The sentence of a SaidError (also one passed through another bundle), null for any other error. */
export function saidErrorOf(e: unknown): LogError | null {
  if (!(e instanceof Error) || !('said' in e)) return null;
  const parsed = logErrorSchema.safeParse(e.said);
  return parsed.success ? parsed.data : null;
}

/** `line` (whose `error` param is the message of `said`'s error) with that error's sentence beside it. */
export function withErrorSaid(line: LogLine, said: LogError | null): LogLine {
  return said === null || line.said.params.error === undefined
    ? line
    : { ...line, said: { ...line.said, errorSaid: said } };
}

/**
 * `line` (whose `error` param is an error's message) with Quorum's words after Compute's message said apart, so the
 * page words them in the reader's language; as it was when there are none or the message does not end with them.
 */
export function withErrorWhy(line: LogLine, why: ComputeWhy | null): LogLine {
  const error = line.said.params.error;
  const base = why === null || error === undefined ? null : withoutWhy(error, why);
  if (why === null || base === null) return line;
  return { ...line, said: { ...line.said, params: { ...line.said.params, error: base }, errorWhy: why } };
}

/** A waiting step's progress message: the English of the record and the sentence to word it by. */
export function progressSaid(line: LogLine): { message: string; said: LogSaid } {
  return { message: line.text, said: line.said };
}

/** Seconds with one decimal, as every log line gives a duration. */
export function secondsText(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
