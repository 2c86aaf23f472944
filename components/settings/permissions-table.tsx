import { useTranslations } from 'next-intl';
import { Badge } from '@/components/ui/badge';
import { TableHead } from '@/components/ui/table-head';
import { useFormatAgo } from '@/components/ui/use-format-ago';
import type { ProjectPermissions } from '@/lib/core/permissions';

/** Per project: the IAM permissions Quorum's identity lacks, what each is needed for and the role that grants it. */
export function PermissionsTable({ projects, now }: { projects: ProjectPermissions[]; now: Date }) {
  const t = useTranslations('settings.permissions');
  const formatAgo = useFormatAgo();
  return (
    <div className="space-y-4">
      {projects.map((p) => (
        <section key={p.project} data-testid="permissions-project" data-project={p.project} className="space-y-2">
          <div className="flex items-center gap-2 text-sm">
            <span className="font-mono text-xs">{p.project}</span>
            {p.error !== null ? (
              <Badge tone="bad">{t('notChecked')}</Badge>
            ) : p.missing.length === 0 ? (
              <Badge tone="good">{t('allGranted')}</Badge>
            ) : (
              <Badge tone="bad">{t('missing', { count: p.missing.length })}</Badge>
            )}
            <span className="text-xs text-slate-500">
              {t('checked', { ago: formatAgo(new Date(p.checkedAt), now) })}
            </span>
          </div>
          {p.error !== null ? (
            <p className="text-sm text-amber-800" data-testid="permissions-error">
              {t('error', { error: p.error, method: 'projects.testIamPermissions' })}
            </p>
          ) : p.missing.length > 0 ? (
            <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
              <table className="w-full text-sm" data-testid="permissions-missing">
                <TableHead columns={[t('columns.permission'), t('columns.neededTo'), t('columns.grantedBy')]} />
                <tbody>
                  {p.missing.map((m) => (
                    <tr
                      key={m.permission}
                      data-testid="permission-missing-row"
                      data-permission={m.permission}
                      className="border-t border-slate-100"
                    >
                      <td className="px-4 py-2 font-mono text-xs">{m.permission}</td>
                      {/* What each use is called: lib/core's USE_LABELS, worded by the catalog (the same English). */}
                      <td className="px-4 py-2">{m.uses.map((u) => t(`use.${u}`)).join(t('useSeparator'))}</td>
                      <td className="px-4 py-2 font-mono text-xs">{m.roles.join(t('or'))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </section>
      ))}
    </div>
  );
}
