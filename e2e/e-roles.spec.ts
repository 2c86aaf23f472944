// Roles, end to end (issue 5): the bootstrap admin (this run's default session) creates an operator and a
// viewer on the users page; the viewer signs in through the form, sees everything and can change nothing (the
// buttons are disabled with the reason, and a direct call of the action is refused); the operator adds a
// replica to prod (and removes it again, for the specs that follow); the audit page shows the viewer's refused
// attempt and the operator's change. Runs after d-recovery (file order), prod 3/3 healthy.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from '@playwright/test';
import { expect, test } from './fixtures/test';
import { BASE_URL, createOnUsersPage } from './fixtures/auth';
import { builtAction, callAction } from './fixtures/actions';
import { listMasters } from './fixtures/compute';
import { ChangePage } from './pages/change-page';

test.describe.configure({ mode: 'serial', timeout: 240_000 });

const PROD = `/clusters/${encodeURIComponent('sandbox-project~europe-west1~prod-master')}`;
const suffix = randomBytes(3).toString('hex');
const OPERATOR = {
  email: `operator-${suffix}@e2e.test`,
  name: 'Olga Operator',
  role: 'operator',
  password: randomBytes(12).toString('base64url'),
};
const VIEWER = {
  email: `viewer-${suffix}@e2e.test`,
  name: 'Vic Viewer',
  role: 'viewer',
  password: randomBytes(12).toString('base64url'),
};
const shot = (name: string) => path.join('test-results', 'roles', name);

/** A browser page with no session, signed in through the sign-in form as `who`, landing on `next`. */
async function signedInPage(browser: Browser, who: { email: string; password: string }, next: string): Promise<Page> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] }, baseURL: BASE_URL });
  const page = await context.newPage();
  await page.goto(next);
  // Not signed in: sent to the sign-in page, which brings the user back afterwards.
  await page.waitForURL(/\/sign-in\?next=/);
  await page.screenshot({ path: shot('sign-in.png') });
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === next);
  return page;
}

test('the bootstrap admin creates an operator and a viewer', async ({ page }) => {
  await page.goto('/users');
  await expect(page.getByTestId('user-menu')).toHaveAttribute('data-role', 'admin');
  for (const user of [OPERATOR, VIEWER]) {
    await createOnUsersPage(page, user);
    await expect(page.getByTestId('users-message')).toContainText(`Created ${user.email} (${user.role})`);
    await expect(page.locator(`[data-testid="user-row"][data-email="${user.email}"] select`)).toHaveValue(user.role);
  }
  await page.screenshot({ path: shot('users.png'), fullPage: true });
});

test('the viewer sees everything and can change nothing: buttons disabled with the reason, direct calls refused', async ({
  browser,
}) => {
  const page = await signedInPage(browser, VIEWER, PROD);
  await expect(page.getByTestId('user-menu')).toHaveAttribute('data-role', 'viewer');
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 60_000 });
  // The chaos panel is there, every control disabled, and says why.
  await expect(page.getByTestId('chaos-panel').getByTestId('role-reason')).toContainText('Your role is viewer');
  await expect(page.locator('[data-testid="chaos-panel"] button[data-action="zone-down"]').first()).toBeDisabled();

  // A viewer may preview a change, not run it.
  const change = new ChangePage(page);
  await change.goto('prod-master', 'europe-west1');
  await change.zone('europe-west1-d').click();
  await expect(page.getByTestId('plan-preview')).toBeVisible();
  const confirm = page.getByTestId('confirm-run');
  await expect(confirm.locator('input')).toBeDisabled();
  await expect(confirm.getByRole('button', { name: 'Run this plan' })).toBeDisabled();
  await expect(confirm.getByTestId('role-reason')).toHaveText(
    'Your role is viewer: this takes the operator role, which also runs operations on clusters (and chaos controls in the sandbox).',
  );
  await page.screenshot({ path: shot('viewer-change.png'), fullPage: true });

  // The same change called directly, as a hand-made request with the viewer's session: refused, nothing started.
  const before = (await listMasters('prod-master')).map((m) => m.name).sort();
  const direct = await callAction(page.request, builtAction('startOperationAction'), {
    clusterId: 'sandbox-project~europe-west1~prod-master',
    intent: { kind: 'add-replica', zone: 'europe-west1-d' },
    confirm: 'prod-master',
  });
  expect(direct.result).toMatchObject({ ok: false, code: 'Forbidden' });
  await page.waitForTimeout(2_000);
  expect((await listMasters('prod-master')).map((m) => m.name).sort()).toEqual(before);
  await page.context().close();
});

test('the operator adds a replica (and removes it again)', async ({ browser, consoleErrors }) => {
  // better-auth answers the wrong current password below with a 4xx, which Chromium logs.
  consoleErrors.allow(
    /Failed to load resource: the server responded with a status of 4\d\d/,
    'a wrong current password is refused',
  );
  const page = await signedInPage(browser, OPERATOR, PROD);
  await expect(page.getByTestId('user-menu')).toHaveAttribute('data-role', 'operator');
  const change = new ChangePage(page);
  await change.goto('prod-master', 'europe-west1');
  await change.zone('europe-west1-d').click();
  await change.confirmAndRun('prod-master');
  await change.expectOperationSucceeded();
  await expect(page.getByText(`by ${OPERATOR.email}`)).toBeVisible();

  // Back to three for the specs that follow: the replica Quorum picks in -d.
  await change.goto('prod-master', 'europe-west1');
  await change.previewRemoval('europe-west1-d');
  await change.confirmAndRun('prod-master');
  await change.expectOperationSucceeded();

  // The password an admin handed over is changed by its owner (a wrong current password is refused first).
  await page.getByTestId('account-link').click();
  const form = page.getByTestId('change-password');
  await form.getByLabel('Current password').fill('not-the-password-at-all');
  await form.getByLabel(/New password/).fill(`${OPERATOR.password}-new`);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByTestId('change-password-message')).toHaveAttribute('role', 'alert');
  await form.getByLabel('Current password').fill(OPERATOR.password);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByTestId('change-password-message')).toHaveText(
    'Password changed; your other sessions were signed out.',
  );
  await page.context().close();
});

test("the audit page shows the viewer's refused attempt and the operator's change", async ({ page }) => {
  await page.goto(`/audit?actor=${encodeURIComponent(VIEWER.email)}`);
  const refused = page.locator(
    '[data-testid="audit-row"][data-outcome="refused"][data-action="action.startOperation"]',
  );
  await expect(refused.first()).toBeVisible();
  await expect(refused.first()).toContainText('Forbidden');
  // Audited with its params, so worded from them; the English record is the title.
  await expect(refused.first().getByTestId('audit-reason')).toHaveAttribute(
    'title',
    /^Your role \(viewer\) may not do this: it takes the operator role/,
  );

  await page.goto(`/audit?actor=${encodeURIComponent(OPERATOR.email)}`);
  await expect(page.locator('[data-testid="audit-row"][data-action="operation.add-replica"]').first()).toBeVisible();
  await expect(
    page.locator('[data-testid="audit-row"][data-action="operation.add-replica"][data-outcome="succeeded"]'),
  ).toHaveCount(1);
  await page.screenshot({ path: shot('audit.png'), fullPage: true });
});
