// Words the pages build from the catalogs: the live region's sentences (components/quorum/health-announcer.tsx),
// "5m ago" and "for 12s, since 11:59:48 UTC" (components/ui/use-format-ago.ts) and why a role may not do something
// (components/auth/caller-context.tsx), and the wizards' notes on each zone, in both languages.
import { createTranslator } from 'next-intl';
import { describe, expect, it } from 'vitest';
import { describeSinceIn, formatAgoIn } from '@/components/ui/use-format-ago';
import { planTextIn } from '@/components/wizards/use-plan-text';
import { reachReasonIn } from '@/components/ui/reach-words';
import { assessTopology } from '@/lib/core/assessment';
import type { Locale } from '@/lib/core/locale';
import type { OperationView } from '@/lib/core/operation-view';
import { INTENT_KINDS, type IntentKind } from '@/lib/core/planner';
import { ROLE_DUTIES, ROLES } from '@/lib/core/roles';
import { guessable, PASSWORD_WARNINGS, passwordProblemOf } from '@/lib/core/password-policy';
import { PERMISSION_USES, USE_LABELS, type MissingPermission } from '@/lib/core/permissions';
import { serverRefusals } from '@/lib/core/server-refusals';
import { REACH_WHY_KEYS } from '@/lib/core/reach-why';
import { injectedFaults, type ChaosInstance } from '@/lib/core/chaos';
import { REACH_WHY_CASES } from '@/lib/core/testing/reach-why-cases';
import { PROVIDER_ERROR_CODES, ProviderError } from '@/lib/ports/provider-error';
import { OPERATION_STATUSES } from '@/lib/ports/store';
import { providerRefusal } from '@/lib/server/provider-refusal';
import { buildTopology, NOW, prodSpec } from '@/lib/core/testing/topology-builder';
import { outsideZoneChoices, replacementZoneChoices } from '@/lib/core/view';
import { branchesNotReached, catalogTranslator } from '@/tests/support/catalog-words';
import { catalogs, type Messages } from '@/messages';

function sentence(locale: keyof typeof catalogs, name: string, state: string, replicas: number, zones: number) {
  const tc = createTranslator({ locale, messages: catalogs[locale] as Messages, namespace: 'common' });
  return tc('healthAnnouncement.announce', {
    name,
    state,
    tolerance: tc('tolerance.canLose', { replicas, zones }),
  });
}

describe('the health announcement in words', () => {
  it.each([
    ['warning', 0, 0, 'prod-master: warning, can lose 0 replicas and 0 zones.'],
    ['healthy', 1, 1, 'prod-master: healthy, can lose 1 replica and 1 zone.'],
    ['critical', 0, 0, 'prod-master: critical, can lose 0 replicas and 0 zones.'],
    ['healthy', 2, 1, 'prod-master: healthy, can lose 2 replicas and 1 zone.'],
  ])('en: %s, %i replicas, %i zones', (state, replicas, zones, expected) => {
    expect(sentence('en', 'prod-master', state, replicas, zones)).toBe(expected);
  });

  it.each([
    ['warning', 0, 0, 'prod-master：警告，可失去 0 个副本和 0 个可用区。'],
    ['healthy', 1, 1, 'prod-master：健康，可失去 1 个副本和 1 个可用区。'],
    ['critical', 0, 0, 'prod-master：严重，可失去 0 个副本和 0 个可用区。'],
  ])('zh-CN: %s, %i replicas, %i zones', (state, replicas, zones, expected) => {
    expect(sentence('zh-CN', 'prod-master', state, replicas, zones)).toBe(expected);
  });

  it('a cluster that could not be observed', () => {
    const en = createTranslator({ locale: 'en', messages: catalogs.en as Messages, namespace: 'common' });
    const zh = createTranslator({ locale: 'zh-CN', messages: catalogs['zh-CN'] as Messages, namespace: 'common' });
    expect(en('healthAnnouncement.unobserved', { name: 'staging-master' })).toBe(
      'staging-master: could not be observed.',
    );
    expect(zh('healthAnnouncement.unobserved', { name: 'staging-master' })).toBe('staging-master：无法观测。');
  });
});

describe('a time ago in words (components/ui/use-format-ago.ts)', () => {
  const now = new Date('2026-01-10T12:00:00Z');
  it.each([
    ['2026-01-10T12:00:00Z', 'just now', '刚刚'],
    ['2026-01-10T12:00:05Z', 'just now', '刚刚'],
    ['2026-01-10T11:59:58Z', '2s ago', '2s前'],
    ['2026-01-10T11:55:00Z', '5m ago', '5m前'],
    ['not a time', '—', '—'],
  ])('%s -> %s / %s', (since, en, zh) => {
    const words = (locale: keyof typeof catalogs) => {
      const tc = createTranslator({ locale, messages: catalogs[locale] as Messages, namespace: 'common' });
      return formatAgoIn((key: 'justNow' | 'ago', values?: { age: string }) =>
        key === 'ago' ? tc('ago', values) : tc('justNow'),
      );
    };
    expect(words('en')(since, now)).toBe(en);
    expect(words('zh-CN')(since, now)).toBe(zh);
  });
});

describe('how long a failure has lasted, in words (components/ui/use-format-ago.ts)', () => {
  const observedAt = '2026-01-10T12:00:00.000Z';
  const words = (locale: keyof typeof catalogs) => {
    const tc = createTranslator({ locale, messages: catalogs[locale] as Messages, namespace: 'common' });
    return describeSinceIn((key, values) => tc(key, values));
  };
  it.each([
    ['2026-01-10T11:59:48.000Z', 'for 12s, since 11:59:48 UTC', '已持续 12s，自 UTC 11:59:48 起'],
    ['2026-01-10T11:54:30.000Z', 'for 5m30s, since 11:54:30 UTC', '已持续 5m30s，自 UTC 11:54:30 起'],
    [undefined, null, null],
    ['not a time', null, null],
  ])('%s -> %s / %s', (since, en, zh) => {
    expect(words('en')(since, observedAt)).toBe(en);
    expect(words('zh-CN')(since, observedAt)).toBe(zh);
  });
});

describe('why a button is disabled for a role (components/auth/caller-context.tsx)', () => {
  const reason = (locale: keyof typeof catalogs, role: string, needed: (typeof ROLES)[number]) => {
    const t = createTranslator({ locale, messages: catalogs[locale] as Messages, namespace: 'auth.can' });
    const roles = createTranslator({ locale, messages: catalogs[locale] as Messages, namespace: 'layout.role' });
    return t('roleTooLow', { role: roles(role as never), needed: roles(needed), duties: t(`duties.${needed}`) });
  };
  it.each(ROLES)("the English duties of %s are lib/core's", (role) => {
    const t = createTranslator({ locale: 'en', messages: catalogs.en as Messages, namespace: 'auth.can' });
    expect(t(`duties.${role}`)).toBe(ROLE_DUTIES[role]);
  });
  it("a viewer on an operator's button, in both languages", () => {
    expect(reason('en', 'viewer', 'operator')).toBe(
      'Your role is viewer: this takes the operator role, which also runs operations on clusters (and chaos controls in the sandbox).',
    );
    expect(reason('zh-CN', 'viewer', 'operator')).toBe(
      '你的角色是只读：此操作需要操作员角色（还可在集群上执行操作，在沙盒中还可使用故障注入控件）。',
    );
  });
});

describe("the wizards' zone notes in words (lib/core/view.ts's choices, worded by components/wizards/use-plan-text.ts)", () => {
  const text = (locale: Locale) => planTextIn(catalogTranslator('plans', locale), locale);

  it("a zone of another region: the planner's English, and Chinese from the same params", () => {
    const topology = buildTopology(prodSpec());
    const [outside] = outsideZoneChoices({ id: 'x', topology, assessment: assessTopology(topology, NOW) }, [
      'us-central1-a',
    ]);
    if (!outside) throw new Error('no choice');
    const words = {
      code: 'ZoneOutsideRegion' as const,
      message: outside.refusal,
      params: outside.refusalParams ?? undefined,
    };
    expect(text('en').refusal(words)).toBe(outside.refusal);
    expect(text('zh-CN').refusal(words)).toMatch(
      /^us-central1-a 位于 us-central1，不在集群所在的区域 europe-west1 内；请从 .+ 中选择。$/,
    );
  });

  it('a replacement away from its zone: the tolerance warning in both languages', () => {
    const base = buildTopology(
      prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout', apiServer: 'timeout' }, { zone: 'd' }] }),
    );
    const t = {
      ...base,
      nodes: (base.nodes ?? []).map((n) => (n.zone === 'europe-west1-c' ? { ...n, ready: false } : n)),
    };
    const choices = replacementZoneChoices(
      { id: 'x', topology: t, assessment: assessTopology(t, NOW) },
      'prod-master-c02',
    );
    const refused = choices.find((c) => c.zone === 'europe-west1-c');
    const warning = choices.find((c) => c.recommended)?.warning;
    if (!warning || !refused?.refusal) throw new Error('no warning or refusal');
    expect(text('en').warning(warning)).toBe(warning.message);
    expect(text('zh-CN').warning(warning)).toMatch(/^替换副本将放到 europe-west1-b，因为 europe-west1-c 不可达/);
    const refusal = { code: refused.refusalCode, message: refused.refusal, params: refused.refusalParams ?? undefined };
    expect(text('en').refusal(refusal)).toBe(refused.refusal);
    expect(text('zh-CN').refusal(refusal)).toMatch(/[\u4e00-\u9fff]/);
    expect(text('zh-CN').refusal(refusal)).not.toBe(refused.refusal);
  });
});

/** Two permissions a change needs and Quorum's identity lacks, one with two roles, one with two uses. */
const TWO_MISSING: MissingPermission[] = [
  {
    permission: 'compute.targetPools.addInstance',
    uses: ['load-balancer'],
    roles: ['roles/compute.loadBalancerAdmin', 'roles/compute.networkAdmin'],
  },
  { permission: 'compute.instances.setMetadata', uses: ['ssh', 'observe'], roles: ['roles/compute.instanceAdmin.v1'] },
];

/** Passwords the policy refuses, one for each way it says why but the guessable ones' warnings (below, every one). */
const WEAK_PASSWORDS = ['short1', 'x'.repeat(300), 'olga@example.com', 'Olga Operator1', 'johnsmith1990'];

describe("the server's refusals beside the planner's (lib/core/server-refusals.ts) in words", () => {
  const all = [
    serverRefusals.signInFirst(),
    serverRefusals.passwordChangeRequired(),
    ...ROLES.flatMap((role) => ROLES.map((needed) => serverRefusals.roleTooLow(role, needed))),
    serverRefusals.backupOverrideNeedsAdmin(),
    serverRefusals.tooManyChanges(12),
    serverRefusals.tooManyPreviews(3),
    serverRefusals.planChanged('Add a replica in europe-west1-d'),
    serverRefusals.invalidRequest(),
    serverRefusals.serverFault(),
    serverRefusals.unknownClusterId(),
    serverRefusals.unknownCluster('sandbox-project~europe-west1~nope-master'),
    serverRefusals.clusterGone('prod-master', 'europe-west1'),
    serverRefusals.noSuchOperation(),
    serverRefusals.confirmName('prod-master', 'cluster'),
    serverRefusals.confirmName('lab-master', 'newCluster'),
    ...WEAK_PASSWORDS.map((password) => {
      const problem = passwordProblemOf(password, { email: 'olga@example.com', name: 'Olga Operator' });
      if (!problem) throw new Error(`${password} is not refused`);
      return serverRefusals.weakPassword(problem);
    }),
    ...PASSWORD_WARNINGS.map((warning) => serverRefusals.weakPassword(guessable(warning))),
    serverRefusals.accountExists('olga@example.com'),
    // better-auth's own words, carried as they came.
    serverRefusals.accountRefused('Invalid email'),
    serverRefusals.noSuchAccount(),
    serverRefusals.lastAdmin('admin@quorum.local'),
    serverRefusals.ownAccount('disable'),
    serverRefusals.ownAccount('delete'),
    serverRefusals.tooManyWebhooks(20),
    serverRefusals.noSuchWebhook(),
    serverRefusals.projectNotManaged('other-project', ['sandbox-project', 'lab-project']),
    serverRefusals.zoneInNoRegion('mars-north1-a', 'sandbox-project', ['europe-west1', 'us-central1']),
    serverRefusals.nameTaken('prod-master', [{ name: 'prod-master-abc', zone: 'europe-west1-b' }]),
    serverRefusals.nameTaken('prod-master', [
      { name: 'prod-master-abc', zone: 'europe-west1-b' },
      { name: 'prod-master-def', zone: 'europe-west1-c' },
    ]),
    serverRefusals.diskExists('lab-master', 'europe-west1-b'),
    serverRefusals.addressInUse('lab-master', '198.18.4.10', ['prod-master', 'lab-master-fr']),
    serverRefusals.permissionsUnchecked(
      'sandbox-project',
      'Cloud Resource Manager API has not been used in project 42',
    ),
    ...(
      [
        [
          {
            permission: 'compute.instances.create',
            uses: ['operate', 'create'],
            roles: ['roles/compute.instanceAdmin.v1'],
          },
        ],
        TWO_MISSING,
      ] satisfies MissingPermission[][]
    ).map((missing) => {
      const refusal = serverRefusals.permissionsMissing('sandbox-project', missing);
      if (!refusal) throw new Error('nothing missing');
      return refusal;
    }),
    // A provider failing under an action (lib/server/provider-refusal.ts), its answer quoted as it came.
    ...PROVIDER_ERROR_CODES.map((code) =>
      providerRefusal(new ProviderError(code, 'reading forwarding rule prod-master: backend error')),
    ),
    serverRefusals.kubeUpOnly(
      'MULTIZONE=true KUBE_GCE_ZONE=europe-west1-b KUBE_GCE_INSTANCE_PREFIX=lab ./cluster/kube-up.sh',
    ),
  ];
  const text = (locale: Locale) => planTextIn(catalogTranslator('plans', locale), locale);

  it.each(all.map((r) => [r.code, r.message, r] as const))('%s: %s', (_code, message, refusal) => {
    // The page shows a changed plan in place of the old one, so its words leave the new summary out.
    expect(text('en').refusal(refusal)).toBe(message.replace(/ \(now: [^)]*\)/, ''));
    const zh = text('zh-CN').refusal(refusal);
    expect(zh).not.toBe(message);
    // Chinese throughout: no English sentence left but the names it carries (and the products' own names).
    const carried = Object.values(refusal.params)
      .flatMap((v) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v : []))
      .sort((a, b) => b.length - a.length);
    const rest = carried.reduce((left, name) => left.replaceAll(name, ''), zh);
    expect(
      rest.replace(
        /\b(viewer|operator|admin|Quorum|Compute Engine|Compute|Google|Cloud Resource Manager API|Resource Manager|projects\.testIamPermissions|Webhook|etcd|kube-up|user-data|configure-sh)\b/g,
        '',
      ),
    ).not.toMatch(/[A-Za-z]{4,}/);
  });

  it('reaches every way a password is refused: short, long, the email, guessable with each warning and with none', () => {
    const variants = all
      .filter((r) => r.code === 'WeakPassword')
      .map((r) => `${String(r.params.variant)}:${String(r.params.warning ?? '')}`);
    expect(new Set(variants)).toEqual(
      new Set(['short:', 'long:', 'email:', 'guessable:', ...PASSWORD_WARNINGS.map((w) => `guessable:${w}`)]),
    );
  });

  it('says the taken names, the missing permissions and a short password in Chinese', () => {
    expect(
      text('zh-CN').refusal(
        serverRefusals.nameTaken('prod-master', [
          { name: 'prod-master-abc', zone: 'europe-west1-b' },
          { name: 'prod-master-def', zone: 'europe-west1-c' },
        ]),
      ),
    ).toBe(
      '名称 prod-master 已被占用：europe-west1-b 中的 prod-master-abc、europe-west1-c 中的 prod-master-def 已存在。请另选一个名称。',
    );
    const missing = serverRefusals.permissionsMissing('sandbox-project', TWO_MISSING);
    expect(missing && text('zh-CN').refusal(missing)).toBe(
      'Quorum 的身份缺少此变更在项目 sandbox-project 中需要的 2 项权限：compute.targetPools.addInstance（用于负载均衡器；由 roles/compute.loadBalancerAdmin 或 roles/compute.networkAdmin 授予）；compute.instances.setMetadata（用于通过 SSH 登录主节点、观测；由 roles/compute.instanceAdmin.v1 授予）。请授予相应角色后重试；未做任何更改。',
    );
    const short = passwordProblemOf('short1');
    expect(short && text('zh-CN').refusal(serverRefusals.weakPassword(short))).toBe(
      '密码只有 6 个字符；至少需要 12 个。未做任何更改。',
    );
  });

  it('says the wait and the roles in Chinese', () => {
    expect(text('zh-CN').refusal(serverRefusals.tooManyChanges(12))).toBe(
      '短时间内变更过多；未做任何更改。请在 12 秒后重试。',
    );
    expect(text('zh-CN').refusal(serverRefusals.roleTooLow('viewer', 'operator'))).toBe(
      '你的角色（只读）不能执行此操作：需要操作员角色（还可在集群上执行操作，在沙盒中还可使用故障注入控件）。未做任何更改；请联系管理员。',
    );
  });
});

describe("an operation on the cluster page's timeline (components/topology/cluster-timeline.tsx) in words", () => {
  const line = (locale: keyof typeof catalogs, kind: IntentKind, status: OperationView['status']) => {
    const tt = createTranslator({ locale, messages: catalogs[locale] as Messages, namespace: 'topology.timeline' });
    const ops = createTranslator({ locale, messages: catalogs[locale] as Messages, namespace: 'operations' });
    return tt('operation', { kind: tt(`kinds.${kind}`), status: ops(`status.${status}`), createdAt: '14:02' });
  };

  it.each(INTENT_KINDS.flatMap((kind) => OPERATION_STATUSES.map((status) => [kind, status] as const)))(
    '%s %s: English names the kind as it is; Chinese has no English word',
    (kind, status) => {
      expect(line('en', kind, status)).toBe(`operation ${kind} ${status} · 14:02`);
      expect(line('zh-CN', kind, status)).not.toMatch(/[A-Za-z]{3,}/);
    },
  );

  it('reads a finished restart in Chinese', () => {
    expect(line('zh-CN', 'restart-replica', 'succeeded')).toBe('操作 重启副本 成功 · 14:02');
  });
});

describe('what each permission use is called on the settings page', () => {
  it.each(PERMISSION_USES)('%s: English as lib/core labels it, Chinese without English', (use) => {
    const en = createTranslator({ locale: 'en', messages: catalogs.en as Messages, namespace: 'settings.permissions' });
    const zh = createTranslator({
      locale: 'zh-CN',
      messages: catalogs['zh-CN'] as Messages,
      namespace: 'settings.permissions',
    });
    expect(en(`use.${use}`)).toBe(USE_LABELS[use]);
    expect(zh(`use.${use}`).replace('SSH', '')).not.toMatch(/[A-Za-z]{3,}/);
  });
});

describe("Quorum's words for a way into a replica that failed (lib/core/reach-why.ts)", () => {
  const reasonIn = (locale: Locale) => reachReasonIn(catalogTranslator('common', locale));

  it.each(REACH_WHY_CASES.map((c) => [c.key, c.text, c] as const))('%s: %s', (_key, text, c) => {
    expect(reasonIn('en')(text)).toBe(text);
    const zh = reasonIn('zh-CN')(text);
    expect(zh).not.toBe(text);
    expect(zh).toMatch(/\p{Script=Han}/u);
    // Chinese throughout but for what it quotes and names (and the products' own names, commands and settings).
    const carried = Object.values(c.params).sort((a, b) => b.length - a.length);
    const rest = carried.reduce((left, name) => left.replaceAll(name, ''), zh);
    expect(
      rest.replace(
        /\b(Quorum|Compute Engine|SSH|sshd|OS Login|enable-oslogin|TRUE|QUORUM_SSH_ADDRESS|IP|connect failed|guest attributes)\b/g,
        '',
      ),
    ).not.toMatch(/[A-Za-z]{3,}/);
  });

  it('reaches every branch but the fall-back of an address kind QUORUM_SSH_ADDRESS never has', () => {
    const cases = [...REACH_WHY_CASES, { key: 'noAddress', params: { kind: 'internal' } }].map((c) => ({
      key: c.key,
      values: { ...c.params },
    }));
    for (const locale of ['en', 'zh-CN'] as const)
      expect(branchesNotReached('common', 'reachWhy.', REACH_WHY_KEYS, cases, locale)).toEqual(
        locale === 'en' ? [] : ['noAddress: kind=other'],
      );
  });

  it('keeps a reason that is none of its sentences as it came', () => {
    expect(reasonIn('zh-CN')('connect ECONNREFUSED 127.0.0.1:22')).toBe('connect ECONNREFUSED 127.0.0.1:22');
  });

  it('reads the internal address kind in Chinese', () => {
    expect(reasonIn('zh-CN')('the instance has no internal IP to reach port 22 on (QUORUM_SSH_ADDRESS=internal)')).toBe(
      '该实例没有内部 IP 可用于连接 22 端口（QUORUM_SSH_ADDRESS=internal）',
    );
  });
});

describe("the chaos panel's faults of a replica", () => {
  const base: ChaosInstance = {
    project: 'sandbox-project',
    zone: 'europe-west1-c',
    name: 'prod-master-c02',
    status: 'RUNNING',
    vmState: 'running',
    frozen: false,
    zoneDown: false,
    etcd: { main: 'running', events: 'running' },
    sshd: true,
  };
  const faultsIn = (locale: Locale, i: ChaosInstance) => {
    const t = createTranslator({ locale, messages: catalogs[locale] as Messages, namespace: 'topology.chaos' });
    return injectedFaults(i).map((f) => t(`faults.${f.kind}`, { ...f }));
  };

  it.each([
    [['zone down'], ['可用区宕机'], { ...base, zoneDown: true, frozen: true }],
    [['VM TERMINATED'], ['虚拟机 TERMINATED'], { ...base, status: 'TERMINATED', sshd: false }],
    [['etcd main killed'], ['etcd main 已终止'], { ...base, etcd: { main: 'killed', events: 'running' } }],
    [
      ['etcd main and events killed'],
      ['etcd main 和 events 已终止'],
      { ...base, etcd: { main: 'killed', events: 'killed' } },
    ],
    [
      ['etcd events killed', 'frozen'],
      ['etcd events 已终止', '已冻结'],
      { ...base, etcd: { main: 'running', events: 'killed' }, frozen: true },
    ],
    [['sshd stopped'], ['sshd 已停止'], { ...base, sshd: false }],
    [[], [], base],
  ] as const)('%j', (english, chinese, instance) => {
    expect(faultsIn('en', instance as ChaosInstance)).toEqual(english);
    expect(faultsIn('zh-CN', instance as ChaosInstance)).toEqual(chinese);
  });
});
