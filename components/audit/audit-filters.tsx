import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { Card } from '@/components/ui/card';
import { AUDIT_OUTCOMES, type AuditQueryField } from '@/lib/core/audit';

const SINCE_SUGGESTIONS = ['15m', '1h', '24h', '7d', '30d'] as const;
const ACTION_SUGGESTIONS = ['operation.', 'chaos.', 'backup.'] as const;

const inputClass =
  'mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 shadow-sm focus:border-sky-500 focus:outline-none focus:ring-1 focus:ring-sky-500';

/**
 * The audit page's filters as a plain GET form: every filtered view is a URL to share, and the page works
 * without JavaScript. Changing a filter starts from the newest entries again (no `before`).
 */
export function AuditFilters({ form }: { form: Record<AuditQueryField, string> }) {
  const t = useTranslations('audit.filters');
  const to = useTranslations('audit.outcome');
  const outcomeKnown = (AUDIT_OUTCOMES as readonly string[]).includes(form.outcome);
  return (
    <Card>
      <form
        method="get"
        action="/audit"
        data-testid="audit-filters"
        className="grid grid-cols-2 gap-3 md:grid-cols-4 xl:grid-cols-8"
      >
        <label className="col-span-2 text-xs font-medium text-slate-600">
          {t('search')}
          <input
            type="search"
            name="q"
            defaultValue={form.q}
            placeholder={t('searchPlaceholder')}
            className={inputClass}
          />
        </label>
        <label className="text-xs font-medium text-slate-600">
          {t('who')}
          <input name="actor" defaultValue={form.actor} placeholder={t('whoPlaceholder')} className={inputClass} />
        </label>
        <label className="text-xs font-medium text-slate-600">
          {t('actionStartsWith')}
          <input
            name="action"
            defaultValue={form.action}
            list="audit-action-suggestions"
            placeholder="operation."
            className={inputClass}
          />
          <datalist id="audit-action-suggestions">
            {ACTION_SUGGESTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label className="text-xs font-medium text-slate-600">
          {t('outcome')}
          <select name="outcome" defaultValue={outcomeKnown ? form.outcome : ''} className={inputClass}>
            <option value="">{t('anyOutcome')}</option>
            {AUDIT_OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {to(o)}
              </option>
            ))}
          </select>
        </label>
        <label className="col-span-2 text-xs font-medium text-slate-600">
          {t('cluster')}
          <input
            name="cluster"
            defaultValue={form.cluster}
            placeholder="project~region~master-name"
            className={inputClass}
          />
        </label>
        <label className="text-xs font-medium text-slate-600">
          {t('since')}
          <input
            name="since"
            defaultValue={form.since}
            list="audit-since-suggestions"
            placeholder={t('sincePlaceholder')}
            className={inputClass}
          />
          <datalist id="audit-since-suggestions">
            {SINCE_SUGGESTIONS.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        </label>
        <div className="col-span-2 flex items-end gap-2 md:col-span-4 xl:col-span-8">
          <button
            type="submit"
            className="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700"
          >
            {t('filter')}
          </button>
          <Link
            href="/audit"
            className="rounded-md px-3 py-1.5 text-sm font-medium text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50"
          >
            {t('clear')}
          </Link>
        </div>
      </form>
    </Card>
  );
}
