import { hasRole } from '@/lib/core/roles';
import { pageCaller } from '@/lib/server/auth/guards';
import type { Metadata } from 'next';
import { AutoRefresh } from '@/components/settings/auto-refresh';
import { ActionLimits, ComputeBudgetTable } from '@/components/settings/compute-budget-table';
import { Card } from '@/components/ui/card';
import { rateLimitsView } from '@/lib/server/rate-limit/view';
import { PermissionsTable } from '@/components/settings/permissions-table';
import { container } from '@/lib/server/container';
import { WebhooksPanel } from '@/components/settings/webhooks-panel';
import { listWebhookViews } from '@/lib/server/services/webhooks';

// The page re-renders every 3 s; Resource Manager is asked again at most this often while it is open.
const PERMISSIONS_MAX_AGE_MS = 10_000;

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Settings' };

export default async function SettingsPage() {
  const caller = await pageCaller('/settings');
  if (!hasRole(caller.role, 'admin')) {
    return (
      <p
        role="alert"
        className="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900"
        data-testid="forbidden"
      >
        Settings take the admin role; yours is {caller.role}.
      </p>
    );
  }
  const view = rateLimitsView();
  const permissions = await container().permissions.report(PERMISSIONS_MAX_AGE_MS);
  const webhooks = await listWebhookViews();
  return (
    <div className="space-y-4">
      <AutoRefresh everyMs={3_000} />
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Settings</h1>
        <p className="text-sm text-slate-500">
          Rate limits in force on this server (set by environment variables; see the README) and the permissions Quorum
          holds.
        </p>
      </div>
      <Card
        title="Compute API budget per project"
        aside={<span className="text-xs text-slate-500">since the server started · updates every 3 s</span>}
      >
        <ComputeBudgetTable view={view} />
      </Card>
      <Card
        title="Quorum's permissions on Compute Engine"
        aside={<span className="text-xs text-slate-500">testIamPermissions · at start, every 5 min and here</span>}
      >
        <PermissionsTable projects={permissions} now={new Date(view.observedAt)} />
      </Card>
      <Card
        title="Alert webhooks"
        aside={<span className="text-xs text-slate-500">firing and resolved notifications · admins only</span>}
      >
        <WebhooksPanel webhooks={webhooks} now={view.observedAt} />
      </Card>
      <Card title="Changes per user">
        <ActionLimits view={view} />
      </Card>
    </div>
  );
}
