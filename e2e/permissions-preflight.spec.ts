// Quorum's own IAM permissions (issue 11, item 4): with one denied in the sandbox, Settings names it with what it
// is needed for and the role that grants it, and the wizard refuses a change that needs it before anything runs.
// Every permission is granted again at the end, for the specs that follow.
import path from 'node:path';
import type { APIRequestContext } from '@playwright/test';
import { E2E } from '../playwright.config';
import { expect, test } from './fixtures/test';
import { ChangePage } from './pages/change-page';

const DENIED = 'compute.targetPools.addInstance';

async function setIam(
  request: APIRequestContext,
  data: { denied?: string[]; resourceManagerApi?: 'enabled' | 'disabled' },
): Promise<void> {
  const res = await request.post(`http://127.0.0.1:${E2E.sandboxPort}/sandbox/v1/chaos/iam`, { data });
  expect(res.ok(), await res.text()).toBe(true);
}

const denyPermissions = (request: APIRequestContext, denied: string[]) => setIam(request, { denied });

test.afterEach(async ({ request }) => setIam(request, { denied: [], resourceManagerApi: 'enabled' }));

test('Settings shows a missing permission with its use and role; a change needing it is refused naming it', async ({
  page,
  request,
}) => {
  await denyPermissions(request, [DENIED]);

  await page.goto('/settings');
  // The page re-renders every 3 s and asks Resource Manager again when its answer is over 10 s old.
  const row = page.locator(`[data-testid="permission-missing-row"][data-permission="${DENIED}"]`);
  await expect(row).toBeVisible({ timeout: 20_000 });
  await expect(row).toContainText('load balancer');
  await expect(row).toContainText('roles/compute.loadBalancerAdmin');
  await expect(page.locator('[data-testid="permissions-project"][data-project="sandbox-project"]')).toContainText(
    '1 permission missing',
  );
  await page.screenshot({ path: path.join('test-results', 'permissions', 'settings.png'), fullPage: true });

  // Prod 3 -> 5 adds two replicas to the target pool: refused in the preview, naming the permission and role.
  const change = new ChangePage(page);
  await expect(async () => {
    await change.goto('prod-master', 'europe-west1');
    await change.previewScale(5);
    await expect(change.refusal()).toContainText(DENIED, { timeout: 5_000 });
  }).toPass({ timeout: 60_000 });
  await expect(change.refusal()).toContainText('roles/compute.loadBalancerAdmin');
  await expect(page.getByTestId('plan-preview')).toHaveCount(0);

  // Granted again: Settings says so within its refresh.
  await denyPermissions(request, []);
  await page.goto('/settings');
  await expect(page.locator('[data-testid="permissions-project"][data-project="sandbox-project"]')).toContainText(
    'all granted',
    { timeout: 20_000 },
  );
});

test('with the Resource Manager API disabled, Settings says changes are off and why, and a change is refused with what to do', async ({
  page,
  request,
}) => {
  await setIam(request, { resourceManagerApi: 'disabled' });
  await page.goto('/settings');
  const project = page.locator('[data-testid="permissions-project"][data-project="sandbox-project"]');
  await expect(project).toContainText('not checked: changes off', { timeout: 20_000 });
  await expect(project.getByTestId('permissions-error')).toContainText(
    'Cloud Resource Manager API has not been used in project sandbox-project before or it is disabled',
  );
  await page.screenshot({
    path: path.join('test-results', 'permissions', 'settings-api-disabled.png'),
    fullPage: true,
  });

  const change = new ChangePage(page);
  await change.goto('prod-master', 'europe-west1');
  await change.previewScale(5);
  await expect(change.refusal()).toContainText(
    'Quorum could not check its own permissions in project sandbox-project',
    { timeout: 10_000 },
  );
  await expect(change.refusal()).toContainText('Enable the Cloud Resource Manager API');
  await expect(page.getByTestId('plan-preview')).toHaveCount(0);

  await setIam(request, { resourceManagerApi: 'enabled' });
  await page.goto('/settings');
  await expect(project).toContainText('all granted', { timeout: 20_000 });
});
