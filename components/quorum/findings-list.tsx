import type { Finding, Severity } from '@/lib/core/assessment';
import { Badge, type Tone } from '@/components/ui/badge';

const severityTone: Record<Severity, Tone> = { critical: 'bad', warning: 'warn', info: 'info' };

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <Badge tone={severityTone[severity]}>{severity}</Badge>;
}

export function FindingsList({ findings }: { findings: Finding[] }) {
  if (findings.length === 0) return <p className="text-sm text-emerald-700">No findings: the layout follows every rule Quorum checks.</p>;
  return (
    <ul className="space-y-3" data-testid="findings">
      {findings.map((f, i) => (
        <li key={`${f.code}-${f.subject ?? ''}-${i}`} data-testid="finding" data-code={f.code} data-severity={f.severity} className="text-sm">
          <div className="flex items-center gap-2">
            <SeverityBadge severity={f.severity} />
            {f.subject && <span className="font-mono text-xs text-slate-500">{f.subject}</span>}
          </div>
          <p className="mt-1 text-slate-800">{f.message}</p>
          <p className="mt-0.5 text-slate-500"><span className="font-medium text-slate-600">Fix:</span> {f.fix}</p>
        </li>
      ))}
    </ul>
  );
}
