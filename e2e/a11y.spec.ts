// Accessibility (issue 13): axe-core on the pages an operator uses at 3 a.m., with every serious or critical
// violation listed by rule and element. Runs right after a-operations (file order), so prod has operations.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/test';
import { clusterId } from './pages/cluster-page';

const PROD = encodeURIComponent(clusterId('prod-master', 'europe-west1'));

/** Serious and critical violations of WCAG 2.x A/AA on the page as it is now, one line per element. */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(0, 2).join(' ') ?? ''}`));
}

test.describe.configure({ timeout: 120_000 });

test('fleet, cluster, audit, users and settings pages have no serious or critical axe violation', async ({ page }) => {
  const pages: Array<[string, string, () => Promise<void>]> = [
    ['/', 'fleet', () => expect(page.getByTestId('fleet-healthy').first()).toBeVisible()],
    [`/clusters/${PROD}`, 'cluster', () => expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 30_000 })],
    ['/audit', 'audit', () => expect(page.getByTestId('audit-table')).toBeVisible()],
    ['/users', 'users', () => expect(page.getByTestId('user-row').first()).toBeVisible()],
    ['/settings', 'settings', () => expect(page.getByRole('heading', { level: 1 })).toBeVisible()],
  ];
  const found: string[] = [];
  for (const [url, name, ready] of pages) {
    await page.goto(url);
    await ready();
    await page.screenshot({ path: `test-results/a11y/${name}.png`, fullPage: true });
    found.push(...(await seriousViolations(page)).map((v) => `${name}: ${v}`));
  }
  expect(found).toEqual([]);
});

test('the change wizard with its preview, an operation page and the recovery wizard have no serious or critical axe violation', async ({ page }) => {
  const found: string[] = [];
  await page.goto(`/clusters/${PROD}/change`);
  await page.getByRole('tab', { name: 'Scale' }).click();
  await page.getByRole('spinbutton').fill('5');
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  await expect(page.getByTestId('plan-preview')).toBeVisible();
  await page.screenshot({ path: 'test-results/a11y/change-preview.png', fullPage: true });
  found.push(...(await seriousViolations(page)).map((v) => `change wizard: ${v}`));

  await page.goto(`/clusters/${PROD}/operations`);
  await page.screenshot({ path: 'test-results/a11y/operations.png', fullPage: true });
  await page.locator('a[href*="/operations/"]').first().click();
  await expect(page.getByTestId('operation-status')).toBeVisible();
  await page.screenshot({ path: 'test-results/a11y/operation.png', fullPage: true });
  found.push(...(await seriousViolations(page)).map((v) => `operation: ${v}`));

  await page.goto(`/clusters/${PROD}/recover`);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  found.push(...(await seriousViolations(page)).map((v) => `recovery wizard: ${v}`));
  expect(found).toEqual([]);
});
