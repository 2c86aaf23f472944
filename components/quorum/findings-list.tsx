import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { recoveryUrls } from '@/lib/client/queries';
import type { Finding, FindingAction, Severity } from '@/lib/core/assessment';
import { zoneSubject, type FailureSince } from '@/lib/core/failure';
import { Badge, type Tone } from '@/components/ui/badge';
import { useDescribeSince } from '@/components/ui/use-format-ago';
import { TrustHostKey } from './trust-host-key';
import { useFindingText } from './use-finding-text';

const severityTone: Record<Severity, Tone> = { critical: 'bad', warning: 'warn', info: 'info' };

export function SeverityBadge({ severity }: { severity: Severity }) {
  const t = useTranslations('quorum.severity');
  return <Badge tone={severityTone[severity]}>{t(severity)}</Badge>;
}

/** Since when a finding's failure has been seen (replicas by name, zones as `zone:<zone>`), in the reader's words. */
function FindingSince({
  finding: f,
  failureSince,
  observedAt,
}: {
  finding: Finding;
  failureSince: FailureSince;
  observedAt: string;
}) {
  const describeSince = useDescribeSince();
  const subject = f.subject === null ? null : f.code === 'ZoneUnreachable' ? zoneSubject(f.subject) : f.subject;
  const since = f.failure && subject !== null ? describeSince(failureSince[subject]?.[f.failure], observedAt) : null;
  return (
    since && (
      <p className="mt-0.5 text-xs text-slate-500" data-testid="finding-since">
        {since}
      </p>
    )
  );
}

/** What a finding says and what to do about it, in the reader's language. */
function FindingSentences({ finding }: { finding: Finding }) {
  const t = useTranslations('quorum.findings');
  const { message, fix } = useFindingText()(finding);
  return (
    <>
      <p className="mt-1 text-slate-800">{message}</p>
      <p className="mt-0.5 text-slate-500">
        <span className="font-medium text-slate-600">{t('fix')}</span> {fix}
      </p>
    </>
  );
}

function ActionLink({ clusterId, action }: { clusterId: string; action: FindingAction }) {
  const t = useTranslations('quorum.findings');
  const [href, label] =
    action.kind === 'recover'
      ? [recoveryUrls.recover(clusterId, action.replica), t('recover', { replica: action.replica })]
      : [recoveryUrls.rebalance(clusterId, action.zone), t('rebalance', { zone: action.zone })];
  return (
    <Link
      href={href}
      className="mt-1 inline-block rounded-md border border-sky-300 bg-sky-50 px-2 py-0.5 text-xs font-medium text-sky-800 hover:bg-sky-100"
      data-testid="finding-action"
      data-action={action.kind}
    >
      {label}
    </Link>
  );
}

/** `clusterId`: when given, a finding's guided fix (recover a replica, rebalance) is offered as a link. */
export function FindingsList({
  clusterId,
  findings,
  failureSince = {},
  observedAt = '',
}: {
  clusterId?: string;
  findings: Finding[];
  failureSince?: FailureSince;
  observedAt?: string;
}) {
  const t = useTranslations('quorum.findings');
  const tf = useTranslations('findings');
  if (findings.length === 0) return <p className="text-sm text-emerald-700">{t('none')}</p>;
  return (
    <ul className="space-y-3" data-testid="findings">
      {findings.map((f, i) => (
        <li
          key={`${f.code}-${f.subject ?? ''}-${i}`}
          data-testid="finding"
          data-code={f.code}
          data-severity={f.severity}
          data-failure={f.failure}
          className="text-sm [overflow-wrap:anywhere]"
        >
          <div className="flex flex-wrap items-center gap-2">
            <SeverityBadge severity={f.severity} />
            {f.failure && <Badge tone="neutral">{tf(`failure.${f.failure}`)}</Badge>}
            {f.subject && <span className="font-mono text-xs text-slate-500">{f.subject}</span>}
          </div>
          <FindingSince finding={f} failureSince={failureSince} observedAt={observedAt} />
          <FindingSentences finding={f} />
          {clusterId && f.action && <ActionLink clusterId={clusterId} action={f.action} />}
          {clusterId && f.hostKey && <TrustHostKey clusterId={clusterId} change={f.hostKey} />}
        </li>
      ))}
    </ul>
  );
}
