// Runs first (file order): it changes the clusters and leaves them as it found them in shape
// (staging 1 replica, prod 3 replicas in 3 zones) for the specs that follow.
import { expect, test } from './fixtures/test';
import { ChangePage } from './pages/change-page';
import { clusterId } from './pages/cluster-page';

test.describe.configure({ timeout: 240_000 });

test('staging is made HA through the wizard; the load-balancer wait shows progress; then back to one', async ({
  page,
}) => {
  const change = new ChangePage(page);
  await change.goto('staging-master', 'us-central1');
  await page.getByRole('button', { name: /Make it HA/ }).click();
  await change.confirmAndRun('staging-master');

  // The load balancer is created first and its propagation is shown with a progress bar and an ETA.
  const lbWait = page.locator('[data-testid="operation-step"][data-kind="await-cluster-address"]');
  await expect(lbWait.getByTestId('step-progress')).toBeVisible({ timeout: 30_000 });
  await expect(lbWait.getByTestId('step-progress')).toContainText('left');
  await change.expectOperationSucceeded();
  await expect(page.locator('[data-testid="operation-step"][data-status="done"]')).toHaveCount(
    await page.getByTestId('operation-step').count(),
  );
  // Each finished step says how long it took; the load-balancer wait took seconds.
  await expect(page.getByTestId('step-duration')).toHaveCount(await page.getByTestId('operation-step').count());
  await expect(lbWait.getByTestId('step-duration')).toHaveText(/^\d+(\.\d)? s$|min/);
  // The log shows its newest lines: scrolled to the bottom, times in UTC; it can be focused to scroll by keys.
  const log = page.getByTestId('operation-log');
  await expect.poll(() => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(24);
  await expect(log.locator('li').first()).toContainText(/^\d\d:\d\d:\d\d UTC /);
  await log.focus();
  await expect(log).toBeFocused();
  // The kube-up command's copy button says what it copies; the learner's member ID is in hex, as etcdctl prints it.
  await expect(page.getByRole('button', { name: 'Copy the kube-up command' })).toBeVisible();
  await expect(log).toContainText(/is a learner in etcd main \(member [0-9a-f]{1,16}, as etcdctl prints it\)/);

  await page.goto(`/clusters/${encodeURIComponent(clusterId('staging-master', 'us-central1'))}`);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 30_000 });
  await expect(page.getByTestId('load-balancer')).toContainText('staging-master');

  await change.goto('staging-master', 'us-central1');
  await page.getByRole('tab', { name: 'Scale' }).click();
  await page.getByRole('spinbutton').fill('1');
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  await change.confirmAndRun('staging-master');
  await change.expectOperationSucceeded();
});

// Removing one of prod's three would leave two, which Quorum refuses; so the replica is added first
// (3 -> 4, with the even-count warning) and then one is removed by zone, with no name (4 -> 3).
test('prod: removal to two is refused; a replica is added, then one is removed by zone with no name', async ({
  page,
}) => {
  const change = new ChangePage(page);
  await change.goto('prod-master', 'europe-west1');
  await page.getByRole('tab', { name: 'Remove replica' }).click();
  await page.getByRole('button', { name: 'Preview removal' }).click();
  await expect(page.getByTestId('plan-refusal')).toHaveAttribute('data-code', 'TwoReplicaLayout');

  await page.getByRole('tab', { name: 'Add replica' }).click();
  await page.getByTestId('zone-picker').locator('button[data-zone="europe-west1-d"]').click();
  await expect(page.getByTestId('plan-warnings')).toBeVisible();
  await change.confirmAndRun('prod-master');
  await change.expectOperationSucceeded();
  // The operation page keeps the dry run it was started with.
  const calls = page.getByTestId('planned-calls');
  await calls.locator('summary').click();
  await expect(calls.locator('[data-testid="planned-calls-step"][data-kind="create-instance"]')).toContainText(
    /instances\.insert sandbox-project\/europe-west1-d\/prod-master-[a-z0-9]{3}/,
  );

  await change.goto('prod-master', 'europe-west1');
  await page.getByRole('tab', { name: 'Remove replica' }).click();
  await page.getByRole('combobox', { name: 'Zone', exact: true }).selectOption('europe-west1-d');
  await page.getByRole('button', { name: 'Preview removal' }).click();
  // The preview names the replica the planner picked.
  await expect(page.getByTestId('plan-preview').getByRole('heading')).toContainText(/prod-master-[a-z0-9]{3}/);
  await change.confirmAndRun('prod-master');
  await change.expectOperationSucceeded();

  await page.goto(`/clusters/${encodeURIComponent(clusterId('prod-master', 'europe-west1'))}`);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 30_000 });
  for (const zone of ['europe-west1-b', 'europe-west1-c', 'europe-west1-d']) {
    await expect(
      page.locator(`[data-testid="zone-column"][data-zone="${zone}"] [data-testid="replica-card"]`),
    ).toHaveCount(1);
  }
});
