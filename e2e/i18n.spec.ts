// The console in Simplified Chinese (issue 13): a browser that asks for Chinese gets it without doing anything,
// the header's switch changes the language and the choice outlives a reload, and the Chinese pages are as
// accessible as the English ones (axe: no serious or critical finding) and fit a 390 px phone. Screenshots of
// each page go to test-results/i18n/.
import { seriousViolations, sidewaysOverflow } from './fixtures/a11y';
import { sandboxChaos } from './fixtures/chaos';
import { PROJECT } from './fixtures/compute';
import { expect, test } from './fixtures/test';
import { ChaosPanel } from './pages/chaos-panel';
import { clusterId } from './pages/cluster-page';

const PROD = `/clusters/${encodeURIComponent(clusterId('prod-master', 'europe-west1'))}`;
const PHONE = { width: 390, height: 844 };

// Accept-Language: zh-CN, as a browser set to Chinese sends it.
test.use({ locale: 'zh-CN' });
test.describe.configure({ timeout: 120_000 });

const PAGES = [
  { name: 'fleet', path: '/', heading: '集群' },
  { name: 'cluster-prod', path: PROD, heading: 'prod-master' },
  { name: 'change-prod', path: `${PROD}/change`, heading: null },
  { name: 'operations-prod', path: `${PROD}/operations`, heading: null },
  { name: 'audit', path: '/audit', heading: '审计' },
  { name: 'users', path: '/users', heading: '用户' },
  { name: 'settings', path: '/settings', heading: '设置' },
  { name: 'new-cluster', path: '/clusters/new', heading: null },
] as const;

test('a browser asking for Chinese gets every page in Chinese, accessible and fitting a phone', async ({ page }) => {
  const found: string[] = [];
  for (const p of PAGES) {
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.goto(p.path);
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '集群' })).toBeVisible();
    if (p.heading) await expect(page.getByRole('heading', { level: 1, name: p.heading })).toBeVisible();
    await expect(page.getByTestId('locale-switch')).toHaveValue('zh-CN');
    found.push(...(await seriousViolations(page)).map((v) => `${p.name}: ${v}`));
    await page.screenshot({ path: `test-results/i18n/${p.name}-zh-CN-1440.png`, fullPage: true });
    await page.setViewportSize(PHONE);
    const overflow = await sidewaysOverflow(page);
    if (overflow > 0) found.push(`${p.name}: ${overflow} px wider than a ${PHONE.width} px screen`);
    await page.screenshot({ path: `test-results/i18n/${p.name}-zh-CN-390.png`, fullPage: true });
  }
  expect(found).toEqual([]);
});

test('the switch changes the language at once and the choice outlives a reload', async ({ page, context }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: '集群' })).toBeVisible();
  await page.getByTestId('locale-switch').selectOption('en');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { level: 1, name: 'Clusters' })).toBeVisible();
  expect((await context.cookies()).find((c) => c.name === 'quorum-locale')?.value).toBe('en');
  // The browser still asks for Chinese; the cookie wins.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Clusters' })).toBeVisible();
  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
  await expect(page.getByRole('heading', { level: 1, name: '集群' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  expect((await context.cookies()).find((c) => c.name === 'quorum-locale')?.value).toBe('zh-CN');
});

test("the users page and the server's own refusals read in Chinese: the roles, a weak password (also in the audit), a taken name in the create wizard", async ({
  page,
}) => {
  await page.goto('/users');
  // What each role may do, in Chinese too.
  await expect(page.getByText('可查看所有集群、操作和计划，但不能做任何更改')).toBeVisible();
  await expect(page.locator('body')).not.toContainText('sees every cluster');
  const form = page.getByTestId('create-user');
  await form.getByLabel('邮箱').fill(`zh-${Date.now()}@e2e.test`);
  await form.getByLabel('姓名').fill('Li Lei');
  await form.getByLabel(/初始密码/).fill('abcdefghijkl');
  await form.getByRole('button', { name: '创建账户' }).click();
  await expect(page.getByTestId('users-message')).toHaveText(
    '密码太容易猜到（abc 或 6543 这样的序列）：它很常见、是某种模式，或由账户自己的名字组成。请使用由不相关的词组成的更长短语。未做任何更改。',
  );
  await page.screenshot({ path: 'test-results/i18n/users-weak-password-zh-CN.png', fullPage: true });
  // The audit keeps the English record; its page words the refusal from the params audited with it.
  await page.goto(`/audit?q=${encodeURIComponent('user.create')}`);
  const reason = page.getByTestId('audit-reason').first();
  await expect(reason).toContainText('密码太容易猜到（abc 或 6543 这样的序列）');
  await expect(reason).toHaveAttribute('title', /^The password is too easy to guess/);
  await page.screenshot({ path: 'test-results/i18n/audit-refusal-zh-CN.png', fullPage: true });

  await page.goto('/clusters/new');
  const wizard = page.getByTestId('create-form');
  await wizard.getByLabel('主节点名称').fill('staging-master');
  await wizard.getByRole('button', { name: '预览' }).click();
  const refusal = page.getByTestId('plan-refusal');
  await expect(refusal).toHaveAttribute('data-code', 'AlreadyExists');
  await expect(refusal).toContainText(/名称 staging-master 已被占用：.*中的 staging-master.* 已存在。请另选一个名称。/);
  await expect(refusal).not.toContainText('is taken');
  await page.screenshot({ path: 'test-results/i18n/create-taken-zh-CN.png', fullPage: true });
});

test("Quorum's reason for no access to a replica reads in Chinese on its card, in the finding and in the chaos panel", async ({
  page,
  request,
}) => {
  await page.goto(PROD);
  const follower = page
    .locator('[data-testid="replica-card"]:has([data-testid="etcd-main"][data-role="follower"])')
    .first();
  await expect(follower).toBeVisible({ timeout: 30_000 });
  const name = await follower.getAttribute('data-replica');
  const zone = await follower.locator('xpath=ancestor::*[@data-testid="zone-column"][1]').getAttribute('data-zone');
  if (!name || !zone) throw new Error('no prod follower on the page');
  const card = page.locator(`[data-testid="replica-card"][data-replica="${name}"]`);
  const sshd = (verb: string) => sandboxChaos(request, `projects/${PROJECT}/zones/${zone}/instances/${name}/${verb}`);
  await sshd('stop-sshd');
  try {
    await expect(card).toHaveAttribute('data-access', 'none', { timeout: 10_000 });
    // Port 22 refuses: Quorum's sentence in Chinese, the socket's own code as it came.
    const reason = /无法连接 [\d.]+ 的 22 端口（ECONNREFUSED）/;
    await expect(card.getByTestId('replica-no-access')).toContainText(reason);
    await expect(card.getByTestId('replica-no-access')).not.toContainText('cannot be reached');
    const finding = page.locator('[data-testid="finding"][data-code="NoAccess"]').filter({ hasText: name });
    await expect(finding).toContainText(reason);
    // The chaos panel says what was done to the VM (it reads the sandbox every 5 s).
    await expect(new ChaosPanel(page).replica(name).getByTestId('chaos-faults')).toHaveText('sshd 已停止', {
      timeout: 10_000,
    });
    await page.screenshot({ path: 'test-results/i18n/no-access-zh-CN.png', fullPage: true });
  } finally {
    await sshd('start-sshd');
  }
  await expect(card).toHaveAttribute('data-health', 'healthy', { timeout: 30_000 });
});
