// Accounts (issue 12, findings 7, 9, 13 and the acceptance item): an admin disables an operator who is
// watching a cluster page; the operator's live stream ends within seconds (the page says the session ended, and
// a raw stream opened with the same session closes), the operator's next action is refused, and the audit
// shows both. A viewer renaming themselves "Administrator" is audited; weak passwords are refused on the users
// page; the last admin cannot demote themselves; a disabled account can be deleted.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Browser, BrowserContext } from '@playwright/test';
import { expect, test } from './fixtures/test';
import { BASE_URL, createOnUsersPage, signIn } from './fixtures/auth';
import { builtAction, callAction } from './fixtures/actions';

test.describe.configure({ mode: 'serial', timeout: 180_000 });

const PROD_ID = 'sandbox-project~europe-west1~prod-master';
const PROD = `/clusters/${encodeURIComponent(PROD_ID)}`;
const suffix = randomBytes(3).toString('hex');
const shot = (name: string) => path.join('test-results', 'accounts', name);
const OPERATOR = {
  email: `watcher-${suffix}@e2e.test`,
  name: 'Wanda Watcher',
  role: 'operator',
  password: randomBytes(12).toString('base64url'),
};
const VIEWER = {
  email: `renamer-${suffix}@e2e.test`,
  name: 'Rita Renamer',
  role: 'viewer',
  password: randomBytes(12).toString('base64url'),
};

async function signedInContext(browser: Browser, who: { email: string; password: string }): Promise<BrowserContext> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] }, baseURL: BASE_URL });
  await signIn(context.request, who.email, who.password);
  return context;
}

/** Opens the cluster's live stream with the context's session, in Node; resolves with the time it ended. */
async function rawStream(
  context: BrowserContext,
): Promise<{ opened: Promise<void>; ended: Promise<{ at: number; text: string }> }> {
  const cookie = (await context.cookies(BASE_URL)).map((c) => `${c.name}=${c.value}`).join('; ');
  const res = await fetch(`${BASE_URL}/api/clusters/${encodeURIComponent(PROD_ID)}/events`, { headers: { cookie } });
  expect(res.status).toBe(200);
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no stream body');
  let text = '';
  let markOpened = () => {};
  const opened = new Promise<void>((resolve) => (markOpened = resolve));
  const ended = (async () => {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return { at: Date.now(), text };
      text += new TextDecoder().decode(chunk.value);
      if (text.includes('event: snapshot')) markOpened();
    }
  })();
  return { opened, ended };
}

test('weak passwords are refused on the users page, with the reason', async ({ page }) => {
  await page.goto('/users');
  await createOnUsersPage(page, { ...OPERATOR, password: 'password1234' });
  await expect(page.getByTestId('users-message')).toContainText('too easy to guess');
  await createOnUsersPage(page, { ...OPERATOR, password: OPERATOR.email });
  await expect(page.getByTestId('users-message')).toContainText('email');
  await expect(page.locator(`[data-testid="user-row"][data-email="${OPERATOR.email}"]`)).toHaveCount(0);
});

test('an admin disables an operator watching a cluster page: the stream ends, the next action is refused, the audit shows both', async ({
  page,
  browser,
}) => {
  await page.goto('/users');
  await createOnUsersPage(page, OPERATOR);
  await expect(page.getByTestId('users-message')).toContainText(`Created ${OPERATOR.email} (operator)`);

  const operator = await signedInContext(browser, OPERATOR);
  const watching = await operator.newPage();
  await watching.goto(PROD);
  await expect(watching.getByTestId('user-menu')).toHaveAttribute('data-role', 'operator');
  await expect(watching.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live', { timeout: 60_000 });
  const stream = await rawStream(operator);
  await stream.opened;

  const row = page.locator(`[data-testid="user-row"][data-email="${OPERATOR.email}"]`);
  await row.getByRole('button', { name: 'Disable' }).click();
  await expect(page.getByTestId('users-message')).toHaveText(`${OPERATOR.email} is disabled; their sessions ended.`);
  const disabledAt = Date.now();
  await expect(row).toHaveAttribute('data-disabled', 'true');

  // The stream ends within 5 s: the page says the session ended, and the raw stream is closed by the server.
  await expect(watching.getByTestId('live-indicator')).toHaveAttribute('data-status', 'ended', { timeout: 5_000 });
  await expect(watching.getByTestId('session-ended')).toContainText('Your session ended');
  await page.screenshot({ path: shot('users-disabled.png'), fullPage: true });
  await watching.screenshot({ path: shot('session-ended.png') });
  const ended = await stream.ended;
  expect(ended.at - disabledAt).toBeLessThan(5_000);
  expect(ended.text).toContain('event: session-ended');

  // The operator's next action, from the same browser session: refused, nothing started.
  const next = await callAction(watching.request, builtAction('startOperationAction'), {
    clusterId: PROD_ID,
    intent: { kind: 'add-replica', zone: 'europe-west1-d' },
    confirm: 'prod-master',
  });
  expect(next.result).toMatchObject({ ok: false, code: 'Unauthenticated' });
  // Nor can the disabled account sign in again.
  const again = await operator.request.post('/api/auth/sign-in/email', {
    data: { email: OPERATOR.email, password: OPERATOR.password },
    headers: { origin: BASE_URL },
  });
  expect(again.ok()).toBe(false);
  await operator.close();

  // The audit: the admin's disable, and the refused action (anonymous now: its session is gone; folded per
  // source and minute, so it may be in the minute's count row, written when that minute is over).
  await page.goto(`/audit?action=user.disable&q=${encodeURIComponent(OPERATOR.email)}`);
  await expect(
    page.locator('[data-testid="audit-row"][data-action="user.disable"][data-outcome="succeeded"]'),
  ).toHaveCount(1);
  await expect(async () => {
    await page.goto(
      `/audit?actor=anonymous&q=startOperation&since=${encodeURIComponent(new Date(disabledAt - 1_000).toISOString())}`,
    );
    await expect(page.locator('[data-testid="audit-row"][data-outcome="refused"]').first()).toBeVisible({
      timeout: 1_000,
    });
  }).toPass({ timeout: 75_000, intervals: [2_000] });
});

test('a disabled account can be deleted; the last admin cannot demote themselves', async ({ page, request }) => {
  await page.goto('/users');
  const row = page.locator(`[data-testid="user-row"][data-email="${OPERATOR.email}"]`);
  // Asked first; "Keep" takes the question back.
  await row.getByRole('button', { name: `Delete ${OPERATOR.email}`, exact: true }).click();
  await row.getByRole('button', { name: 'Keep' }).click();
  await expect(row.getByRole('button', { name: `Delete ${OPERATOR.email} for good` })).toHaveCount(0);
  await row.getByRole('button', { name: `Delete ${OPERATOR.email}`, exact: true }).click();
  await page.screenshot({ path: shot('users-delete-confirm.png'), fullPage: true });
  await row.getByRole('button', { name: `Delete ${OPERATOR.email} for good` }).click();
  await expect(page.getByTestId('users-message')).toHaveText(`${OPERATOR.email} is deleted.`);
  await expect(row).toHaveCount(0);

  const session = (await (await request.get('/api/auth/get-session')).json()) as { user: { id: string } };
  const demote = await callAction(request, builtAction('setUserRoleAction'), {
    userId: session.user.id,
    role: 'operator',
  });
  expect(demote.result).toMatchObject({ ok: false, code: 'LastAdmin' });
  const disableSelf = await callAction(request, builtAction('changeAccountAction'), {
    userId: session.user.id,
    change: 'disable',
  });
  expect(disableSelf.result).toMatchObject({ ok: false });
});

test('a viewer renaming themselves "Administrator" is in the audit', async ({ page, browser, request }) => {
  const created = await callAction(request, builtAction('createUserAction'), VIEWER);
  expect(created.result).toMatchObject({ ok: true });
  const viewer = await signedInContext(browser, VIEWER);
  const renamed = await viewer.request.post('/api/auth/update-user', {
    data: { name: 'Administrator' },
    headers: { origin: BASE_URL },
  });
  expect(renamed.ok()).toBe(true);
  await viewer.close();
  await page.goto(`/audit?actor=${encodeURIComponent(VIEWER.email)}&action=user.update-profile`);
  const entry = page.locator('[data-testid="audit-row"][data-action="user.update-profile"]');
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText('Administrator');
  await expect(entry).toContainText('Rita Renamer');
});
