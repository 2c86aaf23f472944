// An operation's log lines (lib/core/operation-log.ts) worded by the catalog: in English exactly as the journal keeps
// them, in Chinese without the English sentence, every sentence and every branch of the catalog reached.
import { describe, expect, it } from 'vitest';
import { logWordsIn, type JournaledLine } from '@/components/operations/log-words';
import type { Locale } from '@/lib/core/locale';
import { COMPUTE_WHY_KEYS, computeWhyText, type ComputeWhy } from '@/lib/core/compute-why';
import {
  LOG_KEYS,
  logLine,
  logLineWithItems,
  logSaidSchema,
  SaidError,
  saidErrorOf,
  withErrorSaid,
  withErrorWhy,
  type LogLine,
} from '@/lib/core/operation-log';
import { branchesNotReached, catalogTranslator } from '@/tests/support/catalog-words';

/** A plan's step titles as the page words them; steps 0-5 exist. */
const STEP_TITLES: Record<Locale, string[]> = {
  en: ['Pick a name', 'Take snapshots', 'Create the disk', 'Add a learner', 'Create the instance', 'Promote it'],
  'zh-CN': ['选定名称', '拍摄快照', '创建磁盘', '添加 learner', '创建实例', '提升为投票成员'],
};
const EN = (i: number) => STEP_TITLES.en[i] ?? '';
const quoted = (list: number[]) => list.map((i) => `"${EN(i)}"`).join(', ');

/** Where a stopped operation is, as the runner gives it: step 2 of 6 the last done, step 3 interrupted, or none. */
function stoppedAt(last: number | null, interrupted: number | null, notRun: number) {
  const params = {
    done: String(last === null ? 0 : last + 1),
    total: '6',
    lastStep: last === null ? 'none' : EN(last),
    lastStepNo: last === null ? 'none' : String(last + 1),
    interruptedStep: interrupted === null ? 'none' : EN(interrupted),
    interruptedStepNo: interrupted === null ? 'none' : String(interrupted + 1),
    notRun: String(notRun),
  };
  const stepOf: Record<string, number> = {};
  if (last !== null) stepOf.lastStep = last;
  if (interrupted !== null) stepOf.interruptedStep = interrupted;
  return { params, stepOf };
}

/** The outcomes of cancelled and failed operations, with the steps they name. */
function summaries(): LogLine[] {
  const cancelled = (last: number | null, interrupted: number | null, notRun: number): LogLine => {
    const at = stoppedAt(last, interrupted, notRun);
    const line = logLine('cancelled', at.params);
    return { ...line, said: { ...line.said, stepOf: at.stepOf } };
  };
  const failed = (opts: {
    last: number | null;
    interrupted?: number;
    notRun?: number;
    rolledBack: number[];
    kept: number[];
    problems: string;
  }): LogLine => {
    const at = stoppedAt(opts.last, opts.interrupted ?? null, opts.notRun ?? 2);
    const line = logLine('failed', {
      ...at.params,
      failedStep: EN(4),
      failedStepNo: '5',
      error: 'injected failure after the promote',
      outcome: opts.rolledBack.length === 0 ? 'stopped' : 'rolledBack',
      rolledBack: quoted(opts.rolledBack),
      kept: opts.kept.length === 0 ? 'none' : quoted(opts.kept),
      problems: opts.problems,
    });
    const said = {
      ...line.said,
      stepOf: { ...at.stepOf, failedStep: 4 },
      stepsOf: { rolledBack: opts.rolledBack, kept: opts.kept },
    };
    return { ...line, said };
  };
  return [
    cancelled(null, null, 6),
    cancelled(2, 3, 1),
    cancelled(3, null, 2),
    failed({ last: null, rolledBack: [], kept: [], problems: 'none' }),
    failed({ last: 3, rolledBack: [], kept: [], problems: 'none' }),
    failed({ last: 2, interrupted: 3, notRun: 1, rolledBack: [], kept: [], problems: 'none' }),
    failed({ last: 3, rolledBack: [3, 2], kept: [1, 0], problems: 'none' }),
    failed({
      last: 3,
      rolledBack: [3, 2, 1, 0],
      kept: [],
      problems: 'rolling back "Create the disk" failed: Compute Engine endpoint unreachable',
    }),
  ];
}

// What a waiting step waits for, and what the check after a change still sees wrong: items of a list sentence.
const WAITS: LogLine[] = [
  logLine('waitRunning', { name: 'prod-master-c02' }),
  logLine('waitEtcdAnswer', { cluster: 'main' }),
  logLine('waitEtcdListed', { cluster: 'events', name: 'lab-master' }),
  logLine('waitVoter', { cluster: 'main' }),
  logLine('waitLeader', { cluster: 'events' }),
  logLine('waitApiServer'),
];
const PROBLEMS: LogLine[] = [
  logLine('problemNoVm', { name: 'prod-master-ujm' }),
  logLine('problemStillVm', { name: 'prod-master-c02' }),
  logLine('problemStaticAddressMissing', { name: 'lab-master-ip' }),
  logLine('problemStaticAddressNotHeld', { name: 'lab-master', ip: '198.18.82.7', staticIp: '198.18.82.131' }),
  logLine('problemStaticAddressNotHeld', { name: 'lab-master', ip: 'none', staticIp: '198.18.82.131' }),
  logLine('problemMembers', {
    cluster: 'main',
    members: 'etcd-prod-master-1r6, etcd-prod-master-ujm',
    replicas: 'etcd-prod-master-1r6, etcd-prod-master-c02, etcd-prod-master-ujm',
  }),
  logLine('problemMembersUnstarted', {
    cluster: 'main',
    members: 'etcd-prod-master-1r6, etcd-prod-master-ujm',
    unstarted: '1',
    replicas: 'etcd-prod-master-1r6, etcd-prod-master-c02, etcd-prod-master-ujm',
  }),
  logLine('problemLearner', { cluster: 'events', learners: 'etcd-prod-master-ujm' }),
];

const LINES: LogLine[] = [
  logLine('started'),
  logLine('resumed'),
  logLine('cancelRequested'),
  logLine('runAgain', { step: 'Create the instance prod-master-??? in europe-west1-b' }),
  logLine('stepFailed', { step: 'Promote prod-master-??? to a voter', error: 'etcdserver: request timed out' }),
  logLine('rollingBack', { step: 'Add prod-master-??? to target pool prod-master' }),
  logLine('rollbackFailed', { step: 'Create the data disk', error: 'Compute Engine endpoint unreachable' }),
  logLine('succeeded', { steps: '11' }),
  ...summaries(),
  ...(['none', 'new', '3f1c0d2e-5a7b-4c1d-9e8f-0a1b2c3d4e5f'] as const).map((requestId) =>
    logLine('computeRetry', {
      call: 'instances.insert prod-master-ujm',
      code: 'Unavailable',
      error: 'HTTP 503',
      attempt: '2',
      seconds: '1.6',
      requestId,
    }),
  ),
  logLine('staticIpRemoving', { ip: '198.18.82.130', name: 'staging-master' }),
  logLine('ephemeralIpNow', { name: 'staging-master', ip: '198.18.82.4' }),
  logLine('ephemeralIpNow', { name: 'staging-master', ip: 'none' }),
  logLine('clusterAddressAnswers', { address: '198.18.82.130:443', seconds: '6' }),
  logLine('staticIpBack', { name: 'staging-master', ip: '198.18.82.130' }),
  logLine('poolKept', { count: '3' }),
  logLine('alreadyRunning', { name: 'prod-master-c02' }),
  logLine('instanceStarted', { name: 'prod-master-c02', members: 'main b410b50c5d3f1f3, events b7db65a9a3976577' }),
  logLine('instanceStarted', { name: 'prod-master-c02', members: 'none' }),
  logLine('answersAgain', { name: 'prod-master-c02' }),
  logLine('instanceReset', { name: 'prod-master-c02', members: 'main b410b50c5d3f1f3, events b7db65a9a3976577' }),
  logLine('instanceReset', { name: 'prod-master-c02', members: 'none' }),
  logLine('rejoined', { name: 'prod-master-c02', seconds: '4.2', members: 'main b410b50c5d3f1f3, events ?' }),
  logLine('newReplicaName', { name: 'prod-master-ujm' }),
  logLine('learnerRefused', { cluster: 'main', error: 'etcdserver: too many learner members in cluster' }),
  logLine('learnerAdded', { name: 'prod-master-ujm', cluster: 'events', member: 'b7db65a9a3976577' }),
  logLine('insertFinishedEarlier', {
    name: 'prod-master-ujm',
    requestId: '3f1c0d2e-5a7b-4c1d-9e8f-0a1b2c3d4e5f',
    operation: 'operation-1733300000000-abc',
    ip: '198.18.80.5',
  }),
  logLine('insertFinishedEarlier', {
    name: 'prod-master-ujm',
    requestId: '3f1c0d2e-5a7b-4c1d-9e8f-0a1b2c3d4e5f',
    operation: 'operation-1733300000000-abc',
    ip: 'none',
  }),
  logLine('insertSentAgain', { name: 'prod-master-ujm', requestId: '3f1c0d2e-5a7b-4c1d-9e8f-0a1b2c3d4e5f' }),
  logLine('siblingCreated', {
    name: 'prod-master-ujm',
    zone: 'europe-west1-b',
    ip: '198.18.80.5',
    source: 'prod-master-1r6',
    machineType: 'n1-standard-2',
    image: 'projects/cos-cloud/global/images/cos-113-18244-85-49',
  }),
  logLine('siblingCreated', {
    name: 'prod-master-ujm',
    zone: 'europe-west1-b',
    ip: 'none',
    source: 'prod-master-1r6',
    machineType: 'n1-standard-2',
    image: '',
  }),
  logLine('caughtUp', { name: 'prod-master-ujm', seconds: '9.5', indexes: 'main 224/224, events 11/11' }),
  logLine('voter', { name: 'prod-master-ujm', cluster: 'main' }),
  logLine('apiServerReady', { name: 'prod-master-ujm', seconds: '0.1' }),
  logLine('learnerRemoved', { name: 'prod-master-ujm', cluster: 'events' }),
  logLine('finishedAddKept', { name: 'staging-master-bmv' }),
  logLine('finishedAddUndone', { name: 'staging-master-bmv' }),
  logLine('noVm', { name: 'prod-master-c02' }),
  logLine('leadershipNotMoved', { cluster: 'main', name: 'prod-master-c02', why: 'noVm', error: '' }),
  logLine('leadershipNotMoved', {
    cluster: 'main',
    name: 'prod-master-c02',
    why: 'noAccess',
    error: 'SSH login refused',
  }),
  logLine('leadershipNotMoved', { cluster: 'events', name: 'prod-master-c02', why: 'noAnswer', error: 'timed out' }),
  logLine('leadershipMoved', { cluster: 'main', name: 'prod-master-c02' }),
  logLine('removalRefused', { cluster: 'main', error: 'etcdserver: re-configuration failed' }),
  logLine('memberRemoved', { name: 'prod-master-c02', cluster: 'events' }),
  logLine('membersMatch', { replicas: 'prod-master-1r6, prod-master-c02, prod-master-ujm' }),
  logLine('firewallRuleCreated', { name: 'lab-master-etcd', allowed: 'tcp:2380-2381' }),
  logLine('addressReserved', { name: 'lab-master-ip', ip: '198.18.82.131' }),
  logLine('certificatesIssued', { master: 'lab-master', ip: '198.18.80.10' }),
  logLine('diskCreated', { name: 'lab-master-pd', sizeGb: '20', zone: 'europe-west1-d' }),
  logLine('firstMasterCreated', {
    name: 'lab-master',
    zone: 'europe-west1-d',
    ip: '198.18.80.10',
    staticIp: '198.18.82.131',
  }),
  logLine('etcdAnswers', { name: 'lab-master', seconds: '3.4' }),
  logLine('snapshotMissing', { cluster: 'main', replica: 'prod-master-c02', error: 'failed verification' }),
  logLine('snapshotTakenEarlier', { cluster: 'events', file: '20261203T225138Z-de5e12.db' }),
  logLine('snapshotVerified', {
    cluster: 'main',
    file: '20261203T225137Z-26acf0.db',
    member: 'prod-master-1r6',
    revision: '1193',
    keys: '198',
    size: '176 KiB',
    sha256: '1cf399b3dfbd',
    crc32: '3241031103',
  }),
  logLine('pruneFailed', { error: 'EACCES' }),
  logLine('pruned', { retention: '5', files: 'main/20261203T225051Z-fabba8.db, events/20261203T225051Z-97d32d.db' }),
  logLine('backupGateOverridden', {
    actor: 'admin@example.com',
    reason: 'etcd disk full, must add now',
    master: 'prod-master',
    failure: 'snapshot-failed',
    error: 'no space left on device',
  }),
  // A waiting step's progress.
  logLine('snapshotProgress', { cluster: 'main', replica: 'prod-master-1r6', bytes: '96 KiB', total: '176 KiB' }),
  logLine('waitingForEtcdStart', { name: 'prod-master-ujm' }),
  logLine('raftIndexes', { indexes: 'main 120/224, events 11/11' }),
  logLine('hasCaughtUp', { name: 'prod-master-ujm' }),
  logLine('promoteRetry', { cluster: 'main', error: 'none' }),
  logLine('promoteRetry', { cluster: 'events', error: 'etcdserver: unhealthy cluster' }),
  logLine('waitingForJoin', { what: 'etcd' }),
  logLine('waitingForJoin', { what: 'apiServer' }),
  logLine('addressAnswers', { address: '198.18.82.131:443' }),
  logLine('waitingForLoadBalancer', { address: '198.18.82.131:443' }),
  ...WAITS,
  ...PROBLEMS,
  logLineWithItems('waitingFor', WAITS),
  logLineWithItems('stillWrong', PROBLEMS),
  // Why a step failed, in Quorum's words.
  logLine('noSourceReplica', { master: 'prod-master' }),
  logLine('insertGone', {
    name: 'prod-master-ujm',
    requestId: '5f0c2a7e-1b2c-4d3e-8f90-a1b2c3d4e5f6',
    operation: 'operation-17',
  }),
  logLine('noBootDisk', { source: 'prod-master-1r6' }),
  logLine('goneAfterCreate', { name: 'prod-master-ujm' }),
  logLine('learnerGone', { name: 'prod-master-ujm', cluster: 'main' }),
  logLine('catchUpTimeout', { name: 'prod-master-ujm', seconds: '120', indexes: 'main 120/224, events 11/11' }),
  logLine('nothingToPromote', { name: 'prod-master-ujm', cluster: 'events' }),
  logLine('noApiCredentials'),
  logLine('apiServerTimeout', { name: 'prod-master-ujm', seconds: '180', what: 'etcd' }),
  logLine('apiServerTimeout', { name: 'prod-master-ujm', seconds: '180', what: 'apiServer' }),
  logLine('noEtcdCredentials', { master: 'prod-master', error: 'no replica metadata names the etcd CA' }),
  logLine('notAnInstance', { name: 'prod-master-ujm', master: 'prod-master' }),
  logLine('noReplicaToAsk', { master: 'prod-master', cluster: 'main' }),
  logLine('noStaticAddress', { master: 'prod-master', region: 'europe-west1' }),
  logLine('firewallRuleGone', { name: 'lab-master-etcd' }),
  logLine('addressGone', { name: 'lab-master-ip' }),
  logLine('addressInUse', { name: 'lab-master-ip', ip: '198.18.82.131', users: 'other-master' }),
  logLine('noInternalIp', { name: 'lab-master' }),
  logLine('addressNotYet', { name: 'lab-master-ip' }),
  logLine('diskAttached', { name: 'lab-master-pd', users: 'other-master' }),
  logLine('certificatesGone', { master: 'lab-master' }),
  logLine('addressMoved', { name: 'lab-master-ip', ip: '198.18.82.9', staticIp: '198.18.82.131' }),
  logLine('addressMoved', { name: 'lab-master-ip', ip: 'none', staticIp: '198.18.82.131' }),
  logLineWithItems('etcdStartTimeout', WAITS.slice(1, 3), { name: 'lab-master', seconds: '180' }),
  logLine('replicaNotFound', { name: 'prod-master-ujm' }),
  logLine('replicaOfNotFound', { name: 'prod-master-ujm', master: 'prod-master' }),
  logLine('poolReplicaNotFound', { name: 'prod-master-ujm', pool: 'prod-master' }),
  logLine('addressTimeout', { address: '198.18.82.131:443', seconds: '120' }),
  logLine('poolMissing', { pool: 'prod-master' }),
  logLine('staticIpInUse', { ip: '198.18.82.131', users: 'prod-master-1r6, prod-master-c02' }),
  logLine('wrongZone', { name: 'prod-master-c02', zone: 'europe-west1-c', expected: 'europe-west1-d' }),
  logLine('noLeaderTarget', { cluster: 'main', name: 'prod-master-c02' }),
  logLine('leadershipStuck', { cluster: 'events', name: 'prod-master-c02' }),
  logLine('noVmToRestart', { name: 'prod-master-c02', action: 'start' }),
  logLine('noVmToRestart', { name: 'prod-master-c02', action: 'reset' }),
  logLine('newMemberId', {
    cluster: 'main',
    name: 'prod-master-c02',
    member: '8e9e05c52164694d',
    was: 'b410b50c5d3f1f3',
  }),
  logLineWithItems('rejoinTimeout', WAITS.slice(3), { name: 'prod-master-c02', minutes: '5' }),
];

const view = (line: LogLine, step?: number): JournaledLine => ({
  message: line.text,
  said: step === undefined ? line.said : { ...line.said, step },
});

const words = (locale: Locale) =>
  logWordsIn(catalogTranslator('operations', locale), (i) => STEP_TITLES[locale][i] ?? null);

/** The params' own values (names, addresses, errors as they came) taken out, what is left must not be English. */
function withoutParams(text: string, line: LogLine): string {
  const items = Object.values(line.said.itemsOf ?? {}).flatMap((list) => list ?? []);
  const values = [...Object.values(line.said.params), ...items.flatMap((i) => Object.values(i.params))]
    .filter((v) => v !== '')
    .sort((a, b) => b.length - a.length);
  return values.reduce((t, v) => t.split(v).join(' '), text);
}

// Names of things that stay as they are in Chinese: etcd's, Compute's and Quorum's own terms.
const KEPT =
  /\b(etcd|main|events|learner|requestId|Operation|Compute|RUNNING|instances\.start|instances\.reset|API|SSH|Quorum|GB|pd-ssd|sha256|crc32|CA|IP|etcdctl|raft)\b/g;

describe('operation log lines in words', () => {
  it.each(LINES.map((l) => [l.said.key, l.text, l] as const))('%s: %s', (_key, text, line) => {
    expect(words('en')(view(line))).toBe(text);
    const zh = words('zh-CN')(view(line));
    expect(zh).toMatch(/[\u4e00-\u9fff]/);
    expect(withoutParams(zh, line).replace(KEPT, '')).not.toMatch(/[A-Za-z]{3,}/);
  });

  it('reaches every sentence and every branch of the catalog in both languages', () => {
    expect(new Set(LINES.map((l) => l.said.key))).toEqual(new Set(LOG_KEYS));
    const cases = LINES.map((l) => ({ key: l.said.key, values: l.said.params }));
    for (const locale of ['en', 'zh-CN'] as const)
      expect(branchesNotReached('operations', 'log.', LOG_KEYS, cases, locale)).toEqual([]);
  });

  it("puts a step's line under the step's title as the plan words it, and names it inside the runner's own lines", () => {
    const learner = logLine('learnerAdded', { name: 'prod-master-ujm', cluster: 'main', member: 'b410b50c5d3f1f3' });
    expect(words('en')(view(learner, 3))).toBe(`Add a learner: ${learner.text}`);
    expect(words('zh-CN')(view(learner, 3))).toBe(
      '添加 learner: prod-master-ujm 已成为 etcd main 的 learner（成员 b410b50c5d3f1f3，与 etcdctl 显示一致）',
    );
    const rollingBack = logLine('rollingBack', { step: 'Add a learner (English, as journaled)' });
    expect(words('zh-CN')(view(rollingBack, 3))).toBe('正在回滚“添加 learner”');
  });

  it("words a failed operation's outcome with the plan's step titles, quoted and listed in Chinese", () => {
    const [, , , , , , rolledBack] = summaries();
    if (!rolledBack) throw new Error('no summary');
    expect(rolledBack.text).toBe(
      'Failed at step 5/6 "Create the instance": injected failure after the promote. Rolled back "Add a learner", "Create the disk". Still in effect: "Take snapshots", "Pick a name".',
    );
    expect(words('zh-CN')(view(rolledBack))).toBe(
      '在第 5/6 步“创建实例”失败：injected failure after the promote。已回滚 “添加 learner”、“创建磁盘”。仍然生效：“拍摄快照”、“选定名称”。',
    );
  });

  it('words a list of things waited for item by item, joined as the language joins them', () => {
    const waiting = logLineWithItems('waitingFor', [
      logLine('waitEtcdAnswer', { cluster: 'main' }),
      logLine('waitApiServer'),
    ]);
    expect(waiting.text).toBe('waiting for etcd main to answer, its API server to be ready');
    expect(words('en')(view(waiting))).toBe(waiting.text);
    expect(words('zh-CN')(view(waiting))).toBe('正在等待：etcd main 应答，其 API 服务器就绪');
    // Kept with the step's progress in the store, and read back whole.
    expect(logSaidSchema.parse(JSON.parse(JSON.stringify(waiting.said)))).toEqual(waiting.said);
    const wrong = logLineWithItems('stillWrong', [
      logLine('problemStillVm', { name: 'prod-master-c02' }),
      logLine('problemLearner', { cluster: 'events', learners: 'etcd-prod-master-ujm' }),
    ]);
    expect(wrong.text).toBe('prod-master-c02 still has a VM; etcd events still has the learner etcd-prod-master-ujm');
    expect(words('zh-CN')(view(wrong))).toBe(
      'prod-master-c02 仍有虚拟机；etcd events 仍有 learner etcd-prod-master-ujm',
    );
  });

  it("words a step's failure in Quorum's own words in the reader's language, and the error's lists too", () => {
    const error = new SaidError(
      logLineWithItems('rejoinTimeout', [logLine('waitEtcdAnswer', { cluster: 'events' }), logLine('waitApiServer')], {
        name: 'prod-master-c02',
        minutes: '5',
      }),
    );
    expect(error.message).toBe(
      'prod-master-c02 did not rejoin within 5 minutes: still waiting for etcd events to answer, its API server to be ready',
    );
    expect(saidErrorOf(error)).toEqual(error.said);
    expect(saidErrorOf(new Error(error.message))).toBeNull();
    const failed = withErrorSaid(
      logLine('stepFailed', { step: 'Wait for the rejoin', error: error.message }),
      error.said,
    );
    expect(words('en')(view(failed))).toBe(failed.text);
    expect(words('zh-CN')(view(failed))).toBe(
      '“Wait for the rejoin”失败：prod-master-c02 未在 5 分钟内重新加入：仍在等待：etcd events 应答，其 API 服务器就绪',
    );
    // Read back from the store whole.
    expect(logSaidSchema.parse(JSON.parse(JSON.stringify(failed.said)))).toEqual(failed.said);
  });

  it('reads a line as journaled when it has no sentence, or names a step the plan does not have', () => {
    const old: JournaledLine = { ...view(logLine('started')), message: 'Started (an older line)', said: null };
    expect(words('zh-CN')(old)).toBe('Started (an older line)');
    const lost = logLine('voter', { name: 'prod-master-ujm', cluster: 'main' });
    expect(words('zh-CN')({ ...view(lost, 9), message: 'Promote: prod-master-ujm is a voter in etcd main' })).toBe(
      'Promote: prod-master-ujm is a voter in etcd main',
    );
  });
});

describe("Quorum's words after Compute's message (lib/core/compute-why.ts) in a log line", () => {
  const GOOGLE =
    "instances.insert sandbox-project/europe-west1-b/prod-master-oij: operation operation-1 failed: The zone 'projects/sandbox-project/zones/europe-west1-b' does not have enough resources available to fulfill the request.";
  const WHYS: ComputeWhy[] = [
    {
      key: 'quota',
      params: {
        quota: 'SSD_TOTAL_GB',
        limit: '24',
        region: 'europe-west1',
        metric: 'compute.googleapis.com/ssd_total_storage',
      },
    },
    { key: 'quota', params: { quota: 'CPUS', limit: 'none', region: 'none', metric: 'none' } },
    { key: 'quota', params: { quota: 'none', limit: 'none', region: 'none', metric: 'none' } },
    { key: 'stockout', params: { zone: 'europe-west1-b', reason: 'ZONE_RESOURCE_POOL_EXHAUSTED' } },
    { key: 'stockout', params: { zone: 'none', reason: 'resourcePoolExhausted' } },
    { key: 'rateLimited', params: {} },
    { key: 'notReady', params: {} },
    { key: 'serverSide', params: {} },
    { key: 'permission', params: { permission: 'compute.instances.create' } },
    { key: 'permission', params: { permission: 'none' } },
  ];
  const lines = WHYS.flatMap((why) => {
    const error = `${GOOGLE} (${computeWhyText(why)})`;
    return [
      withErrorWhy(logLine('stepFailed', { step: 'Create the instance', error }), why),
      withErrorWhy(
        logLine('computeRetry', {
          call: 'instances.insert',
          code: 'RateLimited',
          error,
          attempt: '1',
          seconds: '2.0',
          requestId: 'none',
        }),
        why,
      ),
    ];
  });

  it.each(lines.map((l) => [l.said.errorWhy?.key ?? '', l.text, l] as const))('%s: %s', (_key, text, line) => {
    expect(line.said.errorWhy, 'said apart').toBeDefined();
    expect(line.said.params.error).toBe(GOOGLE);
    expect(words('en')(view(line))).toBe(text);
    const zh = words('zh-CN')(view(line));
    // Google's message as it came, Quorum's words in Chinese only.
    expect(zh).toContain(GOOGLE);
    const why = line.said.errorWhy ? computeWhyText(line.said.errorWhy) : '';
    expect(zh).not.toContain(why);
    // The names both carry (Google's message, the quota, the zone) taken out, longest first.
    const names = [...Object.values(line.said.params), ...Object.values(line.said.errorWhy?.params ?? {})]
      .filter((v) => v !== '')
      .sort((a, b) => b.length - a.length);
    const ownWords = names.reduce((t, v) => t.split(v).join(' '), zh);
    expect(ownWords.replace(KEPT, '').replace(/\b(Engine|IAM|Google|QUOTA_EXCEEDED)\b/g, '')).not.toMatch(
      /[A-Za-z]{3,}/,
    );
  });

  it('reaches every branch of the words in both languages', () => {
    const cases = WHYS.map((why) => ({ key: why.key, values: why.params }));
    for (const locale of ['en', 'zh-CN'] as const)
      expect(branchesNotReached('operations', 'errorWhy.', COMPUTE_WHY_KEYS, cases, locale)).toEqual([]);
  });

  it('keeps a line whole when the error does not end with the words (a step that worded the error itself)', () => {
    const why = WHYS[5];
    if (!why) throw new Error('no case');
    const line = withErrorWhy(
      logLine('stepFailed', { step: 'Create the instance', error: `rate limited: ${GOOGLE}` }),
      why,
    );
    expect(line.said.errorWhy).toBeUndefined();
    expect(line.said.params.error).toBe(`rate limited: ${GOOGLE}`);
  });
});
