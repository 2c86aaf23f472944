// The quorum-loss runbook in the reader's language (lib/core/runbook.ts's `said`, worded by
// components/recovery/quorum-lost-runbook.tsx from messages/<locale>/recovery.json): in English every sentence reads
// exactly as the runbook's own English, in Chinese it reads otherwise, and every sentence of the catalog is reached.
import { describe, expect, it } from 'vitest';
import { createTranslator } from 'next-intl';
import { runbookWordsIn } from '@/components/recovery/quorum-lost-runbook';
import { reachReasonIn } from '@/components/ui/reach-words';
import { catalogTranslator } from '@/tests/support/catalog-words';
import type { CatalogTranslator } from '@/components/ui/param-words';
import { assessTopology } from '@/lib/core/assessment';
import type { SnapshotListing } from '@/lib/core/backups';
import type { Locale } from '@/lib/core/locale';
import { quorumLostRunbook, type QuorumLostRunbook, type Said } from '@/lib/core/runbook';
import { buildTopology, NOW, prodSpec, withReplica, type TopologySpec } from '@/lib/core/testing/topology-builder';
import type { Topology } from '@/lib/core/topology';
import { catalogs, en as enCatalog, type Messages } from '@/messages';

const PROD_ID = 'sandbox-project~europe-west1~prod-master';

function snapshot(over: Partial<SnapshotListing> = {}): SnapshotListing {
  return {
    version: 1,
    clusterId: PROD_ID,
    etcdCluster: 'main',
    file: '20260110T085500Z-a1b2c3.db',
    takenAt: '2026-01-10T08:55:00.000Z',
    verifiedAt: '2026-01-10T08:55:02.000Z',
    sizeBytes: 1536,
    sha256: 'a'.repeat(64),
    revision: 4711,
    hash: 12345,
    totalKeys: 42,
    revisionBefore: 4711,
    member: 'prod-master-b01',
    operationId: 'op-1',
    stepId: 'step-1',
    intact: true,
    ...over,
  };
}

const prod = (replicas: TopologySpec['replicas'], extra: Partial<TopologySpec> = {}) =>
  buildTopology(prodSpec({ replicas, ...extra }));

function runbook(t: Topology, snapshots: SnapshotListing[] = [], folder?: string): QuorumLostRunbook {
  const rb = quorumLostRunbook({
    topology: t,
    assessment: assessTopology(t, NOW),
    snapshots,
    ...(folder ? { snapshotFolders: { main: folder, events: folder } } : {}),
  });
  if (!rb) throw new Error('expected a runbook');
  return rb;
}

/** Runbooks that between them say every sentence the catalog has. */
const RUNBOOKS: [string, () => QuorumLostRunbook][] = [
  [
    'two of three stopped, no snapshot',
    () => runbook(prod([{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd', vmStatus: 'STOPPED' }])),
  ],
  [
    'two of three stopped, snapshots in a folder',
    () =>
      runbook(
        prod([{ zone: 'b' }, { zone: 'c', vmStatus: 'SUSPENDED' }, { zone: 'd', vmStatus: 'STOPPING' }]),
        [snapshot(), snapshot({ etcdCluster: 'events', file: 'events.db' })],
        '/srv/quorum/snapshots',
      ),
  ],
  [
    'no member answers, replicas run, a snapshot',
    () =>
      runbook(
        prod([
          { zone: 'b', etcd: 'refused' },
          { zone: 'c', etcd: 'timeout' },
          { zone: 'd', vmStatus: 'STOPPED' },
        ]),
        [snapshot()],
      ),
  ],
  [
    'no member answers, none runs, a snapshot',
    () =>
      runbook(
        prod([
          { zone: 'b', vmStatus: 'STOPPED' },
          { zone: 'c', vmStatus: 'STOPPED' },
          { zone: 'd', vmStatus: 'STOPPED' },
        ]),
        [snapshot()],
      ),
  ],
  [
    'no member answers, no snapshot, one without SSH access',
    () =>
      runbook(
        prod([
          { zone: 'b', etcd: 'noaccess' },
          { zone: 'c', vmStatus: 'STOPPED' },
          { zone: 'd', vmStatus: 'STOPPED' },
        ]),
      ),
  ],
  [
    'main and events with different survivors, only events lost on one',
    () =>
      runbook(
        prod([
          { zone: 'b', events: 'refused' },
          { zone: 'c', main: 'refused' },
          { zone: 'd', vmStatus: 'STOPPED' },
        ]),
      ),
  ],
  [
    'a learner and a member with no VM',
    () =>
      runbook(
        prod([{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd', learner: true }], {
          extraMembers: [{ name: 'etcd-prod-master-x09' }],
        }),
      ),
  ],
  [
    'the others last seen no further than the survivor, their VMs on the way down',
    () =>
      runbook(
        ['prod-master-c02', 'prod-master-d03'].reduce(
          (t, name) => withReplica(t, name, (r) => ({ ...r, vmStatus: 'STOPPING' as const })),
          prod([{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }]),
        ),
      ),
  ],
  [
    'a member that was last seen ahead, the rest answered',
    () => {
      const t = prod([{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }]);
      // d03 answered a last time, 42 entries ahead, while its VM was already on its way down.
      return runbook(
        withReplica(t, 'prod-master-d03', (r) => {
          const s = r.etcd.main;
          if (!s.ok) throw new Error('d03 does not answer');
          return { ...r, vmStatus: 'STOPPING', etcd: { ...r.etcd, main: { ...s, raftIndex: s.raftIndex + 42 } } };
        }),
      );
    },
  ],
  [
    'a replica answering as a member the list does not have',
    () => {
      const t = prod([
        { zone: 'b' },
        { zone: 'c', vmStatus: 'STOPPED' },
        { zone: 'd', vmStatus: 'STOPPED' },
        { zone: 'b' },
      ]);
      return runbook(
        withReplica(t, 'prod-master-b04', (r) => {
          const s = r.etcd.main;
          if (!s.ok) throw new Error('b04 does not answer');
          return { ...r, etcd: { ...r.etcd, main: { ...s, memberId: '999999' } } };
        }),
      );
    },
  ],
];

/** Every sentence of a runbook with the English beside it. */
function sentences(rb: QuorumLostRunbook): [Said, string][] {
  const steps = [
    ...rb.tryFirst,
    ...rb.afterwards,
    ...rb.lost.flatMap((l) => [...(l.forceNewCluster?.steps ?? []), ...(l.snapshotRestore?.steps ?? [])]),
  ];
  return [
    ...rb.notesSaid.map((s, i): [Said, string] => [s, rb.notes[i] ?? '']),
    ...rb.lost.flatMap((l): [Said, string][] => [
      [l.said.summary, l.summary],
      ...(l.said.note && l.note ? [[l.said.note, l.note] as [Said, string]] : []),
      [l.said.recommendation, l.recommendation],
      ...l.members.map((m): [Said, string] => [m.stateSaid, m.state]),
    ]),
    ...steps.flatMap((s): [Said, string][] => [
      [s.said.title, s.title],
      ...(s.said.detail && s.detail ? [[s.said.detail, s.detail] as [Said, string]] : []),
    ]),
  ];
}

function words(locale: Locale, keys: Set<string> = new Set()) {
  const t = createTranslator({
    locale,
    messages: catalogs[locale] as Messages,
    namespace: 'recovery.runbook.said',
    onError: (error) => {
      throw error;
    },
  }) as unknown as CatalogTranslator;
  const recording = ((key: string, values?: Record<string, string | number | boolean>) => {
    keys.add(key);
    return t(key, values);
  }) as CatalogTranslator;
  recording.has = (key) => t.has(key);
  return runbookWordsIn(recording, locale, reachReasonIn(catalogTranslator('common', locale)));
}

/** The catalog's sentence keys, as `a.b` paths. */
function keysOf(tree: object, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : keysOf(v as object, `${prefix}${k}.`),
  );
}

describe('the quorum-loss runbook in words', () => {
  it.each(RUNBOOKS)('%s: English as the runbook says it, Chinese otherwise', (_name, make) => {
    const rb = make();
    const [en, zh] = [words('en'), words('zh-CN')];
    for (const [said, english] of sentences(rb)) {
      expect(en(said, '(no key)'), said.key).toBe(english);
      expect(zh(said, '(no key)'), said.key).not.toBe(english);
      expect(zh(said, '(no key)'), said.key).toMatch(/[\u4e00-\u9fff]/);
    }
    // What a procedure loses, sentence by sentence, then joined as the page joins them.
    for (const p of rb.lost.flatMap((l) => [l.forceNewCluster, l.snapshotRestore]))
      if (p) expect(p.dataLossSaid.map((s) => en(s, '(no key)')).join(' ')).toBe(p.dataLoss);
  });

  it('reaches every sentence of the catalog', () => {
    const used = new Set<string>();
    const en = words('en', used);
    for (const [, make] of RUNBOOKS) {
      const rb = make();
      for (const [said] of sentences(rb)) en(said, '');
      for (const p of rb.lost.flatMap((l) => [l.forceNewCluster, l.snapshotRestore]))
        for (const s of p?.dataLossSaid ?? []) en(s, '');
    }
    expect(keysOf(enCatalog.recovery.runbook.said).filter((k) => !used.has(k))).toEqual([]);
  });

  it("says Quorum's reason for no access to a replica in the same language", () => {
    const rb = RUNBOOKS.find(([name]) => name === 'no member answers, no snapshot, one without SSH access')?.[1]();
    const row = rb?.lost.flatMap((l) => l.members).find((r) => r.stateSaid.key === 'state.noAccess');
    if (!row) throw new Error('no replica without SSH access');
    expect(words('zh-CN')(row.stateSaid, '')).toContain('10.0.0.2 的 sshd 拒绝了 Quorum 的密钥');
  });

  it('says a state inside a sentence in the same language', () => {
    const rb = RUNBOOKS[2]?.[1]();
    const why = rb?.tryFirst.find((s) => s.said.title.key === 'why');
    if (!why) throw new Error('no step asking why etcd does not answer');
    expect(words('zh-CN')(why.said.title, '')).toMatch(
      /^查明 prod-master-b01 上的 etcd main 为何不应答（etcd 无应答（connect ECONNREFUSED /,
    );
  });
});
