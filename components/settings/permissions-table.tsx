import { Badge } from '@/components/ui/badge';
import { TableHead } from '@/components/ui/table-head';
import { formatAgo, pluralize } from '@/lib/core/format';
import { USE_LABELS, type ProjectPermissions } from '@/lib/core/permissions';

/** Per project: the IAM permissions Quorum's identity lacks, what each is needed for and the role that grants it. */
export function PermissionsTable({ projects, now }: { projects: ProjectPermissions[]; now: Date }) {
  return (
    <div className="space-y-4">
      {projects.map((p) => (
        <section key={p.project} data-testid="permissions-project" data-project={p.project} className="space-y-2">
          <div className="flex items-center gap-2 text-sm">
            <span className="font-mono text-xs">{p.project}</span>
            {p.error !== null ? (
              <Badge tone="bad">not checked: changes off</Badge>
            ) : p.missing.length === 0 ? (
              <Badge tone="good">all granted</Badge>
            ) : (
              <Badge tone="bad">{pluralize(p.missing.length, 'permission')} missing</Badge>
            )}
            <span className="text-xs text-slate-500">checked {formatAgo(new Date(p.checkedAt), now)}</span>
          </div>
          {p.error !== null ? (
            <p className="text-sm text-amber-800" data-testid="permissions-error">
              Resource Manager could not answer, so Quorum makes no change in this project until it does: {p.error}{' '}
              Observing goes on. Enable the Cloud Resource Manager API in the project (Quorum asks it with
              projects.testIamPermissions, which needs no role).
            </p>
          ) : p.missing.length > 0 ? (
            <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
              <table className="w-full text-sm" data-testid="permissions-missing">
                <TableHead columns={['Missing permission', 'Needed to', 'Granted by']} />
                <tbody>
                  {p.missing.map((m) => (
                    <tr
                      key={m.permission}
                      data-testid="permission-missing-row"
                      data-permission={m.permission}
                      className="border-t border-slate-100"
                    >
                      <td className="px-4 py-2 font-mono text-xs">{m.permission}</td>
                      <td className="px-4 py-2">{m.uses.map((u) => USE_LABELS[u]).join(', ')}</td>
                      <td className="px-4 py-2 font-mono text-xs">{m.roles.join(' or ')}</td>
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
