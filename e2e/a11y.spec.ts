// Accessibility and layout (issue 13): axe-core on the pages an operator uses at 3 a.m., in the light and the dark
// theme, every serious or critical violation listed by rule and element; no sideways scrolling on a 390 px phone;
// the theme switch; an add driven by the keyboard alone, and the live region announcing the way back. The add
// comes first, so prod has operations to show even when this file runs alone; it removes its replica again,
// leaving prod with 3 healthy replicas in 3 zones. Screenshots of every page in both themes at 1440 and 390 px go
// to test-results/a11y/.
import type { Locator, Page } from '@playwright/test';
import { seriousViolations, sidewaysOverflow } from './fixtures/a11y';
import { listMasters } from './fixtures/compute';
import { expect, test } from './fixtures/test';
import { ChangePage } from './pages/change-page';
import { clusterId } from './pages/cluster-page';

const PROD = `/clusters/${encodeURIComponent(clusterId('prod-master', 'europe-west1'))}`;
const DESKTOP = { width: 1440, height: 1000 };
const PHONE = { width: 390, height: 844 };

/**
 * The page as it is now in both themes (the switch follows the system's preference, emulated here) at 1440 and
 * 390 px: axe's serious and critical findings, any sideways scrolling on the phone, and a screenshot of each.
 */
async function checkBothThemesAndWidths(page: Page, name: string): Promise<string[]> {
  const found: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    if (scheme === 'dark') await expect(page.locator('html')).toHaveClass(/\bdark\b/);
    else await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
    await page.setViewportSize(DESKTOP);
    found.push(...(await seriousViolations(page)).map((v) => `${name}, ${scheme}: ${v}`));
    await page.screenshot({ path: `test-results/a11y/${name}-${scheme}-1440.png`, fullPage: true });
    await page.setViewportSize(PHONE);
    const overflow = await sidewaysOverflow(page);
    if (overflow > 0) found.push(`${name}, ${scheme}: ${overflow} px wider than a ${PHONE.width} px screen`);
    await page.screenshot({ path: `test-results/a11y/${name}-${scheme}-390.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(DESKTOP);
  return found;
}

/** Presses Tab until `target` has the focus: how a keyboard user gets there. */
async function tabTo(page: Page, target: Locator, maxPresses = 80): Promise<void> {
  await target.waitFor();
  for (let i = 0; i < maxPresses; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${String(target)} not reached with ${maxPresses} presses of Tab`);
}

test.describe.configure({ timeout: 180_000 });

test('keyboard only: an add on prod is previewed, started and seen to completion; then that replica is removed again', async ({
  page,
}) => {
  test.setTimeout(360_000);
  const before = new Set((await listMasters('prod-master')).map((m) => m.name));
  await page.goto(PROD);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 30_000 });

  // The skip link is the first stop and takes the focus into the page's content.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();

  await tabTo(page, page.getByRole('link', { name: 'Change replicas' }));
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/change$/);
  // The wizard's tabs take arrow keys; "Add replica" is open first. The recommended zone is a button named by its zone.
  const addTab = page.getByRole('tab', { name: 'Add replica' });
  await tabTo(page, addTab);
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Remove replica' })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowLeft');
  await expect(addTab).toHaveAttribute('aria-selected', 'true');
  const zone = page.getByTestId('zone-picker').locator('button').filter({ hasText: 'recommended' });
  await tabTo(page, zone);
  const zoneName = (await zone.getAttribute('data-zone')) ?? '';
  await expect(zone).toHaveAccessibleName(zoneName);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('plan-preview')).toBeVisible({ timeout: 30_000 });

  await tabTo(page, page.getByTestId('confirm-run').locator('input'));
  await page.keyboard.type('prod-master');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Run this plan' })).toBeFocused();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/operations\/[0-9a-f-]{36}$/);
  const change = new ChangePage(page);
  await change.expectOperationSucceeded(180_000);

  const added = (await listMasters('prod-master')).filter((m) => !before.has(m.name));
  expect(added).toHaveLength(1);
  const [replica] = added;
  if (!replica) throw new Error('no new replica');
  expect(replica.zone).toBe(zoneName);

  // Four voters, two in one zone: a warning. The cluster page stays open while the new replica goes again (by name,
  // so the specs that follow find prod as it was), and its live region says so once prod is back to three.
  await page.goto(PROD);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(4, { timeout: 30_000 });
  const announcement = page.getByTestId('health-announcement');
  const other = new ChangePage(await page.context().newPage());
  await other.goto('prod-master', 'europe-west1');
  await other.previewRemoval(replica.zone, replica.name);
  await other.confirmAndRun('prod-master');
  await other.expectOperationSucceeded(180_000);
  await other.page.close();

  await expect(announcement).toHaveText('prod-master: healthy, can lose 1 replica and 1 zone.', { timeout: 30_000 });
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 30_000 });
  for (const z of ['europe-west1-b', 'europe-west1-c', 'europe-west1-d']) {
    await expect(
      page.locator(`[data-testid="zone-column"][data-zone="${z}"] [data-testid="replica-card"]`),
    ).toHaveCount(1);
  }
});

test('fleet, cluster, audit, users, settings, create and account: no serious axe violation in either theme, none wider than a phone', async ({
  page,
}) => {
  const found: string[] = [];

  await page.goto('/');
  await expect(page.getByTestId('fleet-healthy').first()).toBeVisible();
  found.push(...(await checkBothThemesAndWidths(page, 'fleet')));

  await page.goto(PROD);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 30_000 });
  found.push(...(await checkBothThemesAndWidths(page, 'cluster')));
  // On a phone the quorum summary comes first: above the replicas and the chaos controls.
  await page.setViewportSize(PHONE);
  const top = async (locator: Locator) => (await locator.boundingBox())?.y ?? Number.NaN;
  const summary = await top(page.getByTestId('tolerance'));
  expect(summary).toBeLessThan(await top(page.getByTestId('replica-card').first()));
  expect(summary).toBeLessThan(await top(page.getByTestId('chaos-panel')));
  await page.setViewportSize(DESKTOP);

  await page.goto('/audit');
  await expect(page.getByTestId('audit-table')).toBeVisible();
  found.push(...(await checkBothThemesAndWidths(page, 'audit')));

  await page.goto('/users');
  await expect(page.getByTestId('user-row').first()).toBeVisible();
  found.push(...(await checkBothThemesAndWidths(page, 'users')));

  await page.goto('/settings');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  found.push(...(await checkBothThemesAndWidths(page, 'settings')));

  await page.goto('/clusters/new');
  await expect(page.getByTestId('create-form')).toBeVisible();
  found.push(...(await checkBothThemesAndWidths(page, 'create-cluster')));

  await page.goto('/account');
  await expect(page.getByTestId('change-password')).toBeVisible();
  found.push(...(await checkBothThemesAndWidths(page, 'account')));

  expect(found).toEqual([]);
});

test('the change wizard with its preview, an operation page and the recovery wizard: the same in either theme and on a phone', async ({
  page,
}) => {
  const found: string[] = [];
  const change = new ChangePage(page);
  await change.goto('prod-master', 'europe-west1');
  await change.previewScale(5);
  await expect(page.getByTestId('plan-preview')).toBeVisible();
  found.push(...(await checkBothThemesAndWidths(page, 'change-preview')));

  await page.goto(`${PROD}/operations`);
  await expect(page.getByTestId('operation-history')).toBeVisible();
  await page.screenshot({ path: 'test-results/a11y/operations-light-1440.png', fullPage: true });
  await page.locator('a[href*="/operations/"]').first().click();
  await expect(page.getByTestId('operation-status')).toBeVisible();
  found.push(...(await checkBothThemesAndWidths(page, 'operation')));

  // A healthy replica's recovery: diagnosis, the zone choices (radios) and the preview button.
  const [replica] = await listMasters('prod-master');
  await page.goto(`${PROD}/recover?replica=${replica?.name ?? ''}`);
  await expect(page.getByTestId('replacement-zones')).toBeVisible();
  found.push(...(await checkBothThemesAndWidths(page, 'recovery')));
  expect(found).toEqual([]);
});

test('the theme switch: picked by keyboard, applied at once, remembered and in place before the first paint', async ({
  page,
}) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  const html = page.locator('html');
  await expect(html).not.toHaveClass(/\bdark\b/);
  const theme = page.getByTestId('theme-switch');
  // With no choice made the switch follows the system; arrow keys move through its radios and pick.
  await tabTo(page, theme.getByRole('radio', { name: 'System' }));
  await page.keyboard.press('ArrowLeft');
  await expect(theme.getByRole('radio', { name: 'Dark' })).toBeChecked();
  await expect(html).toHaveClass(/\bdark\b/);

  // Remembered across a reload, and drawn dark from the first frame on (the boot script runs before any paint).
  await page.addInitScript(() => {
    requestAnimationFrame(() =>
      document.documentElement.setAttribute('data-first-frame', document.documentElement.className),
    );
  });
  await page.reload();
  await expect(html).toHaveAttribute('data-first-frame', /\bdark\b/);
  await expect(theme.getByRole('radio', { name: 'Dark' })).toBeChecked();

  // Light wins over a system that prefers dark.
  await page.emulateMedia({ colorScheme: 'dark' });
  await tabTo(page, theme.getByRole('radio', { name: 'Dark' }));
  await page.keyboard.press('ArrowLeft');
  await expect(theme.getByRole('radio', { name: 'Light' })).toBeChecked();
  await expect(html).not.toHaveClass(/\bdark\b/);
  await page.reload();
  await expect(html).toHaveAttribute('data-first-frame', '');
});
