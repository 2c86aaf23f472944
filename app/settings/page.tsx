import { hasRole } from '@/lib/core/roles';
import { pageCaller } from '@/lib/server/auth/guards';
import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
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
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('settings.page');
  return { title: t('metadataTitle') };
}

export default async function SettingsPage() {
  const caller = await pageCaller('/settings');
  const [t, roles] = await Promise.all([getTranslations('settings.page'), getTranslations('layout.role')]);
  if (!hasRole(caller.role, 'admin')) {
    return (
      <p
        role="alert"
        className="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900"
        data-testid="forbidden"
      >
        {t('forbidden', { role: roles(caller.role) })}
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
        <h1 className="text-2xl font-semibold tracking-tight">{t('heading')}</h1>
        <p className="text-sm text-slate-500">{t('intro')}</p>
      </div>
      <Card title={t('budgetTitle')} aside={<span className="text-xs text-slate-500">{t('budgetAside')}</span>}>
        <ComputeBudgetTable view={view} />
      </Card>
      <Card
        title={t('permissionsTitle')}
        aside={
          <span className="text-xs text-slate-500">{t('permissionsAside', { method: 'testIamPermissions' })}</span>
        }
      >
        <PermissionsTable projects={permissions} now={new Date(view.observedAt)} />
      </Card>
      <Card title={t('webhooksTitle')} aside={<span className="text-xs text-slate-500">{t('webhooksAside')}</span>}>
        <WebhooksPanel webhooks={webhooks} now={view.observedAt} />
      </Card>
      <Card title={t('actionsTitle')}>
        <ActionLimits view={view} />
      </Card>
    </div>
  );
}
