// The findings catalog (messages/<locale>/findings.json) against the rules' own sentences: English worded from a
// finding's params, through the helper the pages use, reads exactly like the finding's `message` and `fix`, for
// every sentence the rules can say (lib/core/testing/finding-cases.ts); Chinese is complete and fills every argument.
import { parse } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { findingTextIn, type FindingsTranslator } from '@/components/quorum/use-finding-text';
import { reachReasonIn } from '@/components/ui/reach-words';
import { FINDING_CODES, type Finding, type RuleFinding } from '@/lib/core/assessment';
import { FAILURE_CLASSES, FAILURE_LABELS } from '@/lib/core/failure';
import { FINDING_CASES } from '@/lib/core/testing/finding-cases';
import type { Locale } from '@/lib/core/locale';
import { en } from '@/messages';
import { branchesOf, branchesTaken, catalogMessage, catalogTranslator, type Call } from '@/tests/support/catalog-words';

const translator = (locale: Locale, calls?: Call[]): FindingsTranslator => catalogTranslator('findings', locale, calls);
/** Quorum's words for a way into a replica that failed, as the pages word a finding's `reason`. */
const reasonIn = (locale: Locale) => reachReasonIn(catalogTranslator('common', locale));
const messageAt = (locale: Locale, key: string): string => catalogMessage('findings', locale, key);

const cases = FINDING_CASES.map(({ name, findings }) => ({ name, findings: findings() }));
const all: RuleFinding[] = cases.flatMap((c) => c.findings);

/**
 * Branches no finding can take, and why. Anything else a message offers, some case must reach: a branch no
 * case reaches is a sentence nobody has checked.
 */
const UNREACHABLE: Record<string, string> = {
  // An unhealthy or silent replica always has a primary failure, and a lagging member's comes after any other.
  'ReplicaUnhealthy.message: failure=memberLagging': 'lagging ranks below every sign of an unhealthy replica',
  'ReplicaUnhealthy.message: failure=other': 'such a replica always has a primary failure',
  // Every VM status has its branch; `other` is the fallback ICU requires.
  'ReplicaUnhealthy.fix: vmStatus=other': 'every status is listed',
  // A cut needs two voters at least; ZonePartition is always between two zones; and a member with one peer sees
  // either all of them or none.
  'ZonePartition.message: voters=one': 'a partition has two voters at least',
  'PeersCut.message: voters=one': 'a partition has two voters at least',
  'ZonePartition.fix: zoneCount=other': 'a zone partition is between two zones',
  'parts.views: peers=one': 'one peer is seen or not: all or none',
};

describe('the findings catalog', () => {
  it.each(['en', 'zh-CN'] as const)('%s words both sentences of every code', (locale) => {
    const t = translator(locale);
    for (const code of FINDING_CODES) {
      expect(t.has(`${code}.message`), `${locale} ${code}.message`).toBe(true);
      expect(t.has(`${code}.fix`), `${locale} ${code}.fix`).toBe(true);
    }
  });

  it('labels every failure class, in English as the core does', () => {
    for (const failure of FAILURE_CLASSES) expect(en.findings.failure[failure]).toBe(FAILURE_LABELS[failure]);
  });

  it('the cases make every code, and every finding has params', () => {
    expect(new Set(all.map((f) => f.code))).toEqual(new Set(FINDING_CODES));
    for (const f of all) expect(f.params, `${f.code} ${f.subject ?? ''}`).toBeTypeOf('object');
  });

  describe.each(cases)('$name', ({ findings }) => {
    it('English worded from the params reads exactly like the finding', () => {
      const text = findingTextIn(translator('en'), 'en', reasonIn('en'));
      for (const f of findings) expect(text(f)).toEqual({ message: f.message, fix: f.fix });
    });

    it('Chinese fills every argument', () => {
      const text = findingTextIn(translator('zh-CN'), 'zh-CN', reasonIn('zh-CN'));
      for (const f of findings) {
        const { message, fix } = text(f);
        for (const s of [message, fix]) {
          expect(s, f.code).not.toMatch(/[{}]/);
          expect(s, f.code).not.toBe('');
          expect(s, f.code).toMatch(/\p{Script=Han}/u);
        }
      }
    });
  });

  it.each(['en', 'zh-CN'] as const)('%s: the cases go through every branch of every message', (locale) => {
    const calls: Call[] = [];
    const text = findingTextIn(translator(locale, calls), locale);
    for (const f of all) text(f);
    const taken = new Set<string>();
    for (const { key, values } of calls)
      for (const b of branchesTaken(parse(messageAt(locale, key)), values, locale)) taken.add(`${key}: ${b}`);
    const offered = new Set<string>();
    const keys = [
      ...FINDING_CODES.flatMap((code) => [`${code}.message`, `${code}.fix`]),
      ...Object.keys(en.findings.parts).map((part) => `parts.${part}`),
    ];
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

  it('words lists and parts in Chinese', () => {
    const text = findingTextIn(translator('zh-CN'), 'zh-CN', reasonIn('zh-CN'));
    const of = (name: string, code: string) => {
      const f = cases.find((c) => c.name === name)?.findings.find((x) => x.code === code);
      if (!f) throw new Error(`${name}: no ${code}`);
      return text(f);
    };
    expect(of('two of three stopped', 'QuorumLost').fix).toBe(
      '让 prod-master-c02和prod-master-d03 恢复运行（启动虚拟机或其 etcd），直到有 2 个投票成员应答；成员变更（包括“恢复副本”向导）都需要先有法定人数。',
    );
    expect(of('replicas only in main and only in events', 'MembershipMismatch').message).toContain(
      '（仅在 main 中：prod-master-d03；仅在 events 中：prod-master-d04）',
    );
    expect(of('two followers cut', 'ZonePartition').message).toBe(
      'etcd main 位于 europe-west1-c 和 europe-west1-d 的成员之间无法互通，尽管两侧都在应答 Quorum：' +
        'prod-master-c02 报告的领导者为 prod-master-b01（任期 3），能看到 2 个对等成员中的 1 个：prod-master-b01；' +
        'prod-master-d03 报告的领导者为 prod-master-b01（任期 3），能看到 2 个对等成员中的 1 个：prod-master-b01。' +
        'etcd main 仅通过 europe-west1-b（prod-master-b01（领导者））保持法定人数；失去它就会使写入停止。',
    );
  });

  it("words Quorum's reason for no access in Chinese, and keeps a reason it does not know as it came", () => {
    const text = findingTextIn(translator('zh-CN'), 'zh-CN', reasonIn('zh-CN'));
    const of = (name: string) => {
      const f = cases.find((c) => c.name === name)?.findings.find((x) => x.code === 'NoAccess');
      if (!f) throw new Error(`${name}: no NoAccess`);
      return text(f).message;
    };
    expect(of('no SSH answer')).toContain('（10.0.0.3 在 3000 毫秒内没有 SSH 应答）');
    expect(of('OS Login')).toContain('（Quorum 尚不支持 OS Login：此实例（或其项目）的 enable-oslogin 为 TRUE');
    expect(of('no access of an unknown kind')).toContain('（something else）');
  });

  it('keeps the English of a finding stored without params, in any language', () => {
    const stored: Finding = { code: 'QuorumLost', severity: 'critical', subject: 'etcd main', message: 'm', fix: 'f' };
    expect(findingTextIn(translator('zh-CN'), 'zh-CN')(stored)).toEqual({ message: 'm', fix: 'f' });
  });
});
