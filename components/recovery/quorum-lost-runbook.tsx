import { useLocale, useTranslations } from 'next-intl';
import type { Locale } from '@/lib/core/locale';
import type { LostEtcdCluster, QuorumLostRunbook, RunbookProcedure, RunbookStep, Said } from '@/lib/core/runbook';
import { formatBytes } from '@/lib/core/format';
import { paramValuesIn, type CatalogTranslator } from '@/components/ui/param-words';
import { useReachReason } from '@/components/ui/reach-words';
import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { CopyButton } from '@/components/ui/copy-button';
import { TableHead } from '@/components/ui/table-head';

/** Words the runbook's sentences in `locale` (`recovery.runbook.said.<key>`); `english` where the catalog has none. */
export function runbookWordsIn(
  t: CatalogTranslator,
  locale: Locale,
  reasonIn?: (reason: string) => string,
): (said: Said, english: string) => string {
  const valuesOf = paramValuesIn(t, locale, reasonIn);
  const say = (said: Said, english: string): string => {
    if (!t.has(said.key)) return english;
    const nested = Object.entries(said.nested ?? {}).map(([name, n]) => [name, say(n, '')] as const);
    return t(said.key, { ...valuesOf(said.params), ...Object.fromEntries(nested) });
  };
  return say;
}

function useSay(): (said: Said, english: string) => string {
  const t = useTranslations('recovery.runbook.said');
  const locale = useLocale();
  const reasonIn = useReachReason();
  // Keys come from the runbook at run time, which the typed translator cannot check.
  return runbookWordsIn(t as unknown as CatalogTranslator, locale, reasonIn);
}

/**
 * The disaster-recovery runbook shown instead of any membership change while etcd has lost quorum: who survives,
 * the newest verified snapshot, and two hand procedures with every command filled in (lib/core/runbook.ts).
 * Only the copy buttons run in the browser; the rest renders on the server as well.
 */
export function QuorumLostRunbookView({ runbook }: { runbook: QuorumLostRunbook }) {
  const t = useTranslations('recovery.runbook');
  const say = useSay();
  return (
    <div className="space-y-4" data-testid="quorum-lost-runbook">
      <div role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-sm">
        <h2 className="text-base font-semibold text-red-800">{t('title')}</h2>
        <ul className="mt-1 space-y-0.5 text-red-700">
          {runbook.lost.map((l) => (
            <li key={l.cluster}>{say(l.said.summary, l.summary)}</li>
          ))}
        </ul>
        <p className="mt-2 text-xs text-red-700/80">
          {t('observed', {
            cluster: runbook.cluster.masterName,
            project: runbook.cluster.project,
            observedAt: runbook.observedAt,
          })}
        </p>
      </div>

      {runbook.notes.map((n, i) => (
        <p
          key={n}
          className="rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900"
          data-testid="runbook-note"
        >
          {runbook.notesSaid[i] ? say(runbook.notesSaid[i], n) : n}
        </p>
      ))}

      {runbook.tryFirst.length > 0 && (
        <Card title={t('tryFirst')}>
          <p className="mb-3 text-sm text-slate-700">{t('tryFirstDetail')}</p>
          <Steps steps={runbook.tryFirst} testId="runbook-try-first" context={t('tryFirstContext')} />
        </Card>
      )}

      {runbook.lost.map((l) => (
        <LostCluster key={l.cluster} lost={l} />
      ))}

      {runbook.afterwards.length > 0 && (
        <Card title={t('afterwards')}>
          <Steps steps={runbook.afterwards} testId="runbook-afterwards" context={t('afterwardsContext')} />
        </Card>
      )}
    </div>
  );
}

function LostCluster({ lost }: { lost: LostEtcdCluster }) {
  const t = useTranslations('recovery.runbook');
  const say = useSay();
  const { cluster, snapshot } = lost;
  return (
    <Card title={`etcd ${cluster}`} aside={<Badge tone="bad">{t('quorumLost')}</Badge>}>
      <div className="space-y-4 text-sm" data-testid="runbook-cluster" data-etcd={cluster}>
        <div>
          <p className="text-slate-800">{say(lost.said.summary, lost.summary)}</p>
          {lost.note && lost.said.note && (
            <p className="mt-1 text-xs text-slate-500">{say(lost.said.note, lost.note)}</p>
          )}
        </div>

        <div className="relative overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="runbook-members">
            <TableHead
              columns={[t('columns.replica'), t('columns.zone'), t('columns.raftIndex'), t('columns.state')]}
              compact
            />
            <tbody>
              {lost.members.map((m) => (
                <tr
                  key={`${m.name}/${m.memberId ?? ''}`}
                  data-testid="runbook-member"
                  data-surviving={m.surviving}
                  className={`border-t border-slate-100 ${m.chosen ? 'bg-emerald-50' : ''}`}
                >
                  <td className="py-1 pr-3">
                    <span
                      className="font-mono text-xs"
                      {...(m.chosen ? { 'data-testid': 'runbook-survivor', 'data-etcd': cluster } : {})}
                    >
                      {m.name}
                    </span>
                    {m.chosen && (
                      <span className="ml-2">
                        <Badge tone="good">{t('highestRaftIndex')}</Badge>
                      </span>
                    )}
                  </td>
                  <td className="py-1 pr-3 text-xs">{m.zone ?? '—'}</td>
                  <td className="py-1 pr-3 font-mono text-xs">{m.raftIndex ?? '—'}</td>
                  <td className={`py-1 text-xs ${m.surviving ? 'text-emerald-800' : 'text-red-700'}`}>
                    {say(m.stateSaid, m.state)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>

        <div data-testid="runbook-snapshot" data-file={snapshot?.file ?? ''}>
          <span className="font-medium text-slate-700">{t('snapshot.label')} </span>
          {snapshot ? (
            <span className="text-slate-800">
              {t.rich('snapshot.detail', {
                file: snapshot.file,
                age: snapshot.age,
                takenAt: snapshot.takenAt,
                size: formatBytes(snapshot.sizeBytes),
                revision: String(snapshot.revision),
                keys: snapshot.totalKeys,
                mono: (chunks) => <span className="font-mono text-xs">{chunks}</span>,
              })}
            </span>
          ) : (
            <span className="text-slate-800">{t('snapshot.none')}</span>
          )}
        </div>

        <p
          className="rounded-md bg-slate-50 p-3 font-medium text-slate-900"
          data-testid="runbook-recommendation"
          data-recommended={lost.recommended ?? ''}
        >
          {say(lost.said.recommendation, lost.recommendation)}
        </p>

        <Procedure
          etcd={cluster}
          procedure={lost.forceNewCluster}
          recommended={lost.recommended === 'force-new-cluster'}
          title={t('forceNewCluster.title', { flag: '--force-new-cluster' })}
          unavailable={t('forceNewCluster.unavailable', { cluster })}
        />
        <Procedure
          etcd={cluster}
          procedure={lost.snapshotRestore}
          recommended={lost.recommended === 'snapshot-restore'}
          title={t('snapshotRestore.title')}
          unavailable={snapshot ? t('snapshotRestore.noReplicaRunning') : t('snapshotRestore.noSnapshot', { cluster })}
        />
      </div>
    </Card>
  );
}

function Procedure({
  etcd,
  procedure,
  recommended,
  title,
  unavailable,
}: {
  etcd: string;
  procedure: RunbookProcedure | null;
  recommended: boolean;
  title: string;
  unavailable: string;
}) {
  const t = useTranslations('recovery.runbook');
  const say = useSay();
  const locale = useLocale();
  if (!procedure) {
    return (
      <section
        className="rounded-md border border-slate-200 p-3"
        data-testid="runbook-procedure"
        data-available="false"
      >
        <h3 className="font-semibold text-slate-500">{title}</h3>
        <p className="mt-1 text-slate-500">{unavailable}</p>
      </section>
    );
  }
  return (
    <section
      className={`rounded-md border p-3 ${recommended ? 'border-emerald-300' : 'border-slate-200'}`}
      data-testid="runbook-procedure"
      data-kind={procedure.kind}
      data-available="true"
    >
      <h3 className="flex flex-wrap items-center gap-2 font-semibold text-slate-900">
        {title}
        <span className="text-xs font-normal text-slate-500">{t('on', { target: procedure.target })}</span>
        {recommended && <Badge tone="good">{t('recommended')}</Badge>}
      </h3>
      <div className="mt-2">
        <Steps steps={procedure.steps} testId="runbook-steps" context={`${title}, etcd ${etcd}`} />
      </div>
      <p className="mt-3 rounded-md bg-amber-50 p-2 text-amber-900" data-testid="runbook-data-loss">
        <span className="font-semibold">{t('dataLoss')} </span>
        {/* Chinese sentences end in their own full stop; English ones are spaced. */}
        {procedure.dataLossSaid.map((s) => say(s, '')).join(locale === 'en' ? ' ' : '')}
      </p>
    </section>
  );
}

/** `context` names the list in the copy buttons' names: the same step can appear in several procedures. */
function Steps({ steps, testId, context }: { steps: readonly RunbookStep[]; testId: string; context: string }) {
  const t = useTranslations('recovery.runbook');
  const say = useSay();
  return (
    <ol className="list-decimal space-y-3 pl-5 text-sm" data-testid={testId}>
      {steps.map((s, i) => (
        <li key={`${i}-${s.title}`} data-testid="runbook-step">
          <div className="font-medium text-slate-900">{say(s.said.title, s.title)}</div>
          {s.command !== null && (
            <div className="mt-1 flex items-start gap-2">
              <pre
                className="min-w-0 flex-1 overflow-x-auto whitespace-pre-wrap break-all rounded bg-terminal p-2 font-mono text-xs text-terminal-text"
                data-testid="runbook-command"
              >
                {s.command}
              </pre>
              <CopyButton
                text={s.command}
                what={t('copyWhat', { n: i + 1, context, title: say(s.said.title, s.title) })}
              />
            </div>
          )}
          {s.detail !== null && s.said.detail && (
            <p className="mt-1 text-xs text-slate-600">{say(s.said.detail, s.detail)}</p>
          )}
        </li>
      ))}
    </ol>
  );
}
