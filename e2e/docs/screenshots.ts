// Screenshots for docs/ (README). Not part of the test suite: run with
//   npx playwright test -c playwright.docs.config.ts
import { expect, test } from '@playwright/test';

test.describe.configure({ timeout: 180_000 });

const prod = `/clusters/${encodeURIComponent('sandbox-project~europe-west1~prod-master')}`;
const staging = `/clusters/${encodeURIComponent('sandbox-project~us-central1~staging-master')}`;

test('fleet and cluster pages', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('fleet-row')).toHaveCount(2);
  await expect(page.getByTestId('fleet-row').first()).toBeVisible();
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live');
  await page.screenshot({ path: 'docs/fleet.png', fullPage: true });

  await page.goto(prod);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3);
  // Streamed content sits hidden in the DOM until React reveals it; wait until it is on screen.
  await expect(page.getByRole('heading', { level: 1, name: 'prod-master' })).toBeVisible();
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live');
  await page.screenshot({ path: 'docs/cluster-prod.png', fullPage: true });

  await page.goto(staging);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(1);
  await expect(page.getByRole('heading', { level: 1, name: 'staging-master' })).toBeVisible();
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live');
  await page.screenshot({ path: 'docs/cluster-staging.png', fullPage: true });
});

test('wizard preview and operation page: staging 1 -> 3, then back to 1', async ({ page }) => {
  await page.goto(`${staging}/change`);
  await page.getByRole('button', { name: /Make it HA/ }).click();
  await expect(page.getByTestId('plan-preview')).toBeVisible();
  await page.getByTestId('confirm-run').locator('input').fill('staging-master');
  await page.screenshot({ path: 'docs/wizard-preview.png', fullPage: true });
  await page.getByRole('button', { name: 'Run this plan' }).click();
  await page.waitForURL(/\/operations\//);
  const lbWait = page.locator('[data-testid="operation-step"][data-kind="await-cluster-address"]');
  await expect(lbWait.getByTestId('step-progress')).toBeVisible({ timeout: 30_000 });
  await page.waitForTimeout(1_500);
  await page.screenshot({ path: 'docs/operation-running.png', fullPage: true });
  await expect(page.getByTestId('operation-status')).toHaveText('succeeded', { timeout: 120_000 });
  await page.screenshot({ path: 'docs/operation-done.png', fullPage: true });

  await page.goto(`${staging}/change`);
  await page.getByRole('tab', { name: 'Scale' }).click();
  await page.getByRole('spinbutton').fill('1');
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  await page.getByTestId('confirm-run').locator('input').fill('staging-master');
  await page.getByRole('button', { name: 'Run this plan' }).click();
  await expect(page.getByTestId('operation-status')).toHaveText('succeeded', { timeout: 120_000 });
});

test('create wizard preview (not run)', async ({ page }) => {
  await page.goto('/clusters/new');
  const form = page.getByTestId('create-form');
  await form.getByLabel('Master name').fill('blue-master');
  await form.getByLabel('Region').selectOption('europe-west1');
  await form.getByLabel('Zone of the first master').selectOption('europe-west1-c');
  await form.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByTestId('plan-preview')).toBeVisible();
  await page.getByTestId('confirm-run').locator('input').fill('blue-master');
  await page.screenshot({ path: 'docs/create-wizard.png', fullPage: true });
});

test('settings: a missing permission', async ({ page, request }) => {
  const iam = 'http://127.0.0.1:8781/sandbox/v1/chaos/iam';
  await request.post(iam, { data: { denied: ['compute.targetPools.addInstance', 'iam.serviceAccounts.actAs'] } });
  try {
    await page.goto('/settings');
    await expect(page.getByTestId('permission-missing-row')).toHaveCount(2, { timeout: 20_000 });
    await page.screenshot({ path: 'docs/settings-permissions.png', fullPage: true });
  } finally {
    await request.post(iam, { data: { denied: [] } });
  }
});

// The same pages in Simplified Chinese (a browser that asks for it), for the README's Chinese section.
test.describe('in Chinese', () => {
  test.use({ locale: 'zh-CN' });

  test('fleet, cluster page and a change preview', async ({ page }) => {
    await page.goto('/');
    await expect(page.getByTestId('fleet-row')).toHaveCount(2);
    await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live');
    await page.screenshot({ path: 'docs/zh-CN/fleet.png', fullPage: true });

    await page.goto(prod);
    await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3);
    await expect(page.getByRole('heading', { level: 1, name: 'prod-master' })).toBeVisible();
    await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live');
    await page.screenshot({ path: 'docs/zh-CN/cluster-prod.png', fullPage: true });

    await page.goto(`${staging}/change`);
    await page.getByRole('button', { name: /改为高可用/ }).click();
    await expect(page.getByTestId('plan-preview')).toBeVisible();
    await page.screenshot({ path: 'docs/zh-CN/wizard-preview.png', fullPage: true });
  });
});
