// Screenshots for docs/ (README). Not part of the test suite: run with
//   npx playwright test -c playwright.docs.config.ts
import { expect, test } from '@playwright/test';

test('fleet and cluster pages', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('fleet-row')).toHaveCount(2);
  await expect(page.getByTestId('fleet-row').first()).toBeVisible();
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live');
  await page.screenshot({ path: 'docs/fleet.png', fullPage: true });

  await page.goto(`/clusters/${encodeURIComponent('sandbox-project~europe-west1~prod-master')}`);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3);
  // Streamed content sits hidden in the DOM until React reveals it; wait until it is on screen.
  await expect(page.getByTestId('replica-card').first()).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'prod-master' })).toBeVisible();
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live');
  await page.screenshot({ path: 'docs/cluster-prod.png', fullPage: true });

  await page.goto(`/clusters/${encodeURIComponent('sandbox-project~us-central1~staging-master')}`);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(1);
  await expect(page.getByRole('heading', { level: 1, name: 'staging-master' })).toBeVisible();
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live');
  await page.screenshot({ path: 'docs/cluster-staging.png', fullPage: true });
});
