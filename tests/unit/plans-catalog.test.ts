// The plans catalog (messages/<locale>/plans.json) against the planner's own sentences: English worded from a plan's
// and a refusal's params, through the helper the wizards use, reads exactly like the planner's summary, step titles,
// transient notes, warnings and refusal messages, for every sentence the planner can say (lib/core/testing/
// plan-cases.ts); Chinese is complete and fills every argument.
import { parse } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { planTextIn, type PlansTranslator } from '@/components/wizards/use-plan-text';
import { reachReasonIn } from '@/components/ui/reach-words';
import { refused, type DomainErrorCode } from '@/lib/core/errors';
import type { Locale } from '@/lib/core/locale';
import { INTENT_KINDS, PLAN_WARNING_CODES, STEP_KINDS, type Plan, type Refusal } from '@/lib/core/planner';
import { PLAN_CASES } from '@/lib/core/testing/plan-cases';
import { en } from '@/messages';
import { branchesOf, branchesTaken, catalogMessage, catalogTranslator, type Call } from '@/tests/support/catalog-words';
import { PERMISSION_USES } from '@/lib/core/permissions';
import { serverRefusals } from '@/lib/core/server-refusals';

const translator = (locale: Locale, calls?: Call[]): PlansTranslator => catalogTranslator('plans', locale, calls);
/** Quorum's words for a way into a replica that failed, as the wizards word a refusal's `reason`. */
const reasonIn = (locale: Locale) => reachReasonIn(catalogTranslator('common', locale));
const messageAt = (locale: Locale, key: string): string => catalogMessage('plans', locale, key);

const cases = PLAN_CASES.map(({ name, result }) => ({ name, result: result() }));
const plans: Plan[] = cases.flatMap((c) => (c.result.ok ? [c.result.plan] : []));
const refusals: Refusal[] = cases.flatMap((c) => (c.result.ok ? [] : [c.result.refusal]));

/** The codes the planner refuses with, each worded by `plans.refusals.<code>`. */
const WORDED_CODES: readonly DomainErrorCode[] = [
  'OperationInProgress',
  'InvalidInput',
  'ZoneOutsideRegion',
  'TwoReplicaLayout',
  'LastReplica',
  'NotFound',
  'VoterUnhealthy',
  'QuorumAtRisk',
  'ZoneUnavailable',
  'EtcdTooOld',
  'NoAccess',
  'ProviderUnavailable',
  'NetworkPartition',
];

/**
 * The planner's sentences given no params, and why: both guard a state the checks before them rule out, so no plan
 * reaches them (they would read in English).
 */
const WITHOUT_PARAMS: ReadonlyArray<[RegExp, string]> = [
  [
    /^No replica runs in [^ ]+\.$/,
    'remove-replica: the zone has a replica (checked first), and pickForRemoval picks one',
  ],
  [/^No replica to move\.$/, 'rebalance: a crowded zone has two replicas, and pickForRemoval picks one of them'],
];

/**
 * Branches no plan or refusal can take, and why. Anything else a message offers, some case must reach: a branch no
 * case reaches is a sentence nobody has checked. A branch is named by its key whichever language offers it.
 */
const UNREACHABLE: Record<string, string> = {
  // pickForRemoval ranks the leader last, so of two or more candidates it never picks the one that leads.
  'summary.remove-replica: picked=other': 'a replica is never picked for being first by name',
  // A replacement in a zone of its own keeps the failed zone's tolerance, so a reduced one always shares a zone.
  'warnings.ZoneToleranceReduced: hasSharing=other': 'a reduced zone tolerance comes from sharing a zone',
  // Every zone down leaves no voter answering: the removal half is refused first (QuorumAtRisk).
  'refusals.ZoneUnavailable: variant=everyZone': 'with every zone down quorum is lost before',
  // A voter is unhealthy for a reason describeReplicaHealth names (its VM, a probe), never for none.
  'parts.down: hasReasons=other': 'an unhealthy voter always has a reason',
  // A down voter Quorum cannot get into is refused as NoAccess, before the voters that are down are named.
  'parts.reasons: kind=other': 'a voter with no access is refused as NoAccess first',
};

describe('the plans catalog', () => {
  it.each(['en', 'zh-CN'] as const)(
    '%s words every intent kind, step kind, warning code and refusal code',
    (locale) => {
      const t = translator(locale);
      for (const kind of INTENT_KINDS) expect(t.has(`summary.${kind}`), `${locale} summary.${kind}`).toBe(true);
      for (const kind of STEP_KINDS) expect(t.has(`steps.${kind}`), `${locale} steps.${kind}`).toBe(true);
      for (const code of PLAN_WARNING_CODES) expect(t.has(`warnings.${code}`), `${locale} warnings.${code}`).toBe(true);
      for (const code of WORDED_CODES) expect(t.has(`refusals.${code}`), `${locale} refusals.${code}`).toBe(true);
    },
  );

  it('the cases plan every intent kind, step kind and warning code, and make every refusal code the planner words', () => {
    expect(new Set(plans.map((p) => p.intent.kind))).toEqual(new Set(INTENT_KINDS));
    expect(new Set(plans.flatMap((p) => p.steps.map((s) => s.kind)))).toEqual(new Set(STEP_KINDS));
    expect(new Set(plans.flatMap((p) => p.warnings.map((w) => w.code)))).toEqual(new Set(PLAN_WARNING_CODES));
    expect(new Set(refusals.map((r) => r.code))).toEqual(new Set(WORDED_CODES));
    expect(Object.keys(en.plans.refusals).sort()).toEqual([...WORDED_CODES].sort());
  });

  it('every plan, warning and refusal the cases make has params', () => {
    for (const p of plans) {
      expect(p.summaryParams, p.summary).toBeTypeOf('object');
      for (const w of p.warnings) expect(w.params, w.message).toBeTypeOf('object');
    }
    for (const r of refusals) expect(r.params, r.message).toBeTypeOf('object');
    const unworded = refusals.filter((r) => WITHOUT_PARAMS.some(([sentence]) => sentence.test(r.message)));
    expect(unworded, 'reached a sentence left without params').toEqual([]);
  });

  it('the dry run lists the plan steps by id and title, which the preview words from the plan', () => {
    for (const p of plans) {
      const byId = new Map(p.steps.map((s) => [s.id, s.title]));
      for (const s of p.calls.steps) expect(byId.get(s.stepId), s.stepId).toBe(s.title);
    }
  });

  describe.each(cases)('$name', ({ result }) => {
    it('English worded from the params reads exactly like the planner', () => {
      const text = planTextIn(translator('en'), 'en', reasonIn('en'));
      if (!result.ok) {
        expect(text.refusal(result.refusal)).toBe(result.refusal.message);
        return;
      }
      const { plan } = result;
      expect(text.summary(plan)).toBe(plan.summary);
      expect(plan.steps.map(text.step)).toEqual(plan.steps.map((s) => s.title));
      expect(plan.steps.map(text.transient)).toEqual(plan.steps.map((s) => s.transient ?? null));
      expect(plan.warnings.map(text.warning)).toEqual(plan.warnings.map((w) => w.message));
    });

    it('Chinese fills every argument', () => {
      const text = planTextIn(translator('zh-CN'), 'zh-CN', reasonIn('zh-CN'));
      const said = result.ok
        ? [
            text.summary(result.plan),
            ...result.plan.steps.map(text.step),
            ...result.plan.steps.flatMap((s) => text.transient(s) ?? []),
            ...result.plan.warnings.map(text.warning),
          ]
        : [text.refusal(result.refusal)];
      for (const s of said) {
        expect(s).not.toMatch(/[{}]/);
        expect(s).not.toBe('');
        expect(s).toMatch(/\p{Script=Han}/u);
      }
    });
  });

  it.each(['en', 'zh-CN'] as const)('%s: the cases go through every branch of every message', (locale) => {
    const calls: Call[] = [];
    const text = planTextIn(translator(locale, calls), locale);
    for (const p of plans) {
      text.summary(p);
      p.steps.forEach((s) => {
        text.step(s);
        text.transient(s);
      });
      p.warnings.forEach(text.warning);
    }
    refusals.forEach(text.refusal);
    // The parts the server's refusals share with the planner's (parts.missing, parts.uses): every permission use.
    const missing = serverRefusals.permissionsMissing('p', [
      { permission: 'compute.instances.get', uses: [...PERMISSION_USES], roles: ['roles/compute.viewer'] },
    ]);
    if (missing) text.refusal(missing);
    const taken = new Set<string>();
    for (const { key, values } of calls)
      for (const b of branchesTaken(parse(messageAt(locale, key)), values, locale)) taken.add(`${key}: ${b}`);
    const offered = new Set<string>();
    const keys = (['summary', 'steps', 'transient', 'warnings', 'refusals', 'parts'] as const).flatMap((section) =>
      Object.keys(en.plans[section]).map((k) => `${section}.${k}`),
    );
    for (const key of keys) for (const b of branchesOf(parse(messageAt(locale, key)))) offered.add(`${key}: ${b}`);
    const missed = [...offered].filter((b) => !taken.has(b) && !(b in UNREACHABLE));
    expect(missed).toEqual([]);
    expect(
      [...taken].filter((b) => b in UNREACHABLE),
      'reached after all',
    ).toEqual([]);
    if (locale === 'en')
      expect(
        Object.keys(UNREACHABLE).filter((b) => !offered.has(b)),
        'no such branch',
      ).toEqual([]);
  });

  describe('in Chinese', () => {
    const text = planTextIn(translator('zh-CN'), 'zh-CN');
    const of = (name: string) => {
      const c = cases.find((x) => x.name === name);
      if (!c) throw new Error(`no case ${name}`);
      return c.result;
    };
    const planOf = (name: string): Plan => {
      const r = of(name);
      if (!r.ok) throw new Error(`${name}: ${r.refusal.message}`);
      return r.plan;
    };
    const refusalOf = (name: string): Refusal => {
      const r = of(name);
      if (r.ok) throw new Error(`${name}: planned`);
      return r.refusal;
    };

    it('words a summary with its list of zones, and the steps of the load balancer', () => {
      const plan = planOf('staging 1 -> 3 with names');
      expect(text.summary(plan)).toBe('从 1 个副本扩容到 3 个：在 us-central1-a和us-central1-c 中添加');
      const pool = plan.steps.find((s) => s.kind === 'create-target-pool');
      expect(pool && text.step(pool)).toBe('创建包含 staging-master-b01 的目标池 staging-master');
      const promote = plan.steps.find((s) => s.transient !== undefined);
      expect(promote && text.transient(promote)).toMatch(/^暂时只有两个投票成员/);
    });

    it('words a down voter with each of its reasons', () => {
      expect(text.refusal(refusalOf('add while two voters are down, one for several reasons'))).toBe(
        'prod-master-c02（虚拟机状态为 STOPPED）和prod-master-b04（etcd main 无应答，API server 未就绪，etcd events 未及时应答）' +
          ' 不健康，而在有投票成员宕机时 etcd 会拒绝添加新成员：请先恢复或移除它们。',
      );
    });

    it('words a warning with its numbers', () => {
      const warning = planOf('replace during a zone outage').warnings.find((w) => w.code === 'ZoneToleranceReduced');
      expect(warning && text.warning(warning)).toBe(
        '替换副本将放到 europe-west1-b，因为 europe-west1-c 不可达，与 prod-master-b01 同处一个可用区：' +
          '集群仍可容忍 1 个副本故障，但只能容忍 0 个可用区故障，而不是 1 个，因为失去 europe-west1-b 会同时失去 2 个投票成员。' +
          '等 europe-west1-c 恢复后，请重新均衡（集群页面提供此操作）：在那里添加一个副本，再移除同处一个可用区的两个副本之一。',
      );
    });
  });

  it("words Quorum's reason for no access in a refusal in Chinese", () => {
    const c = cases.find((x) => x.name === 'replace a replica Quorum cannot get into');
    if (!c || c.result.ok) throw new Error('no such refusal');
    expect(planTextIn(translator('zh-CN'), 'zh-CN', reasonIn('zh-CN')).refusal(c.result.refusal)).toContain(
      '（10.0.0.3 的 sshd 拒绝了 Quorum 的密钥（All configured authentication methods failed））',
    );
  });

  it('keeps the English of a refusal without params, or of a code the catalog does not word, in any language', () => {
    const text = planTextIn(translator('zh-CN'), 'zh-CN');
    expect(text.refusal({ code: 'NotFound', message: 'No cluster prod-master in europe-west1.' })).toBe(
      'No cluster prod-master in europe-west1.',
    );
    expect(text.refusal({ code: 'QuotaExceeded', message: 'Quota CPUS exceeded.', params: { quota: 'CPUS' } })).toBe(
      'Quota CPUS exceeded.',
    );
    expect(text.refusal({ code: null, message: 'm' })).toBe('m');
    const [plan] = plans;
    if (!plan) throw new Error('no plan');
    // A plan from before plans had params.
    expect(text.summary({ intent: plan.intent, summary: plan.summary } as Plan)).toBe(plan.summary);
  });

  it("passes a refusal's params through an action's failure, and adds none when it has none", () => {
    const withParams = refusals.find((r) => r.code === 'TwoReplicaLayout');
    if (!withParams) throw new Error('no TwoReplicaLayout refusal');
    expect(refused(withParams)).toEqual({ ok: false, ...withParams });
    expect(refused({ code: 'NotFound', message: 'm' })).toEqual({ ok: false, code: 'NotFound', message: 'm' });
    expect(refused({ code: 'NotFound', message: 'm' })).not.toHaveProperty('params');
  });
});
