import path from 'node:path';
import { expect, test } from './fixtures/test';
import { clusterId } from './pages/cluster-page';

const changeUrl = (master: string, region: string) =>
  `/clusters/${encodeURIComponent(clusterId(master, region))}/change`;

test('making staging HA previews one plan: backup first, then the load balancer, the two-replica moment marked, 3 replicas after', async ({
  page,
}) => {
  await page.goto(changeUrl('staging-master', 'us-central1'));
  await page.getByRole('button', { name: /Make it HA/ }).click();
  const preview = page.getByTestId('plan-preview');
  await expect(preview).toBeVisible();
  await expect(preview.getByTestId('plan-before')).toContainText('1 voter · can lose 0 replicas and 0 zones');
  await expect(preview.getByTestId('plan-after')).toContainText('3 voters · can lose 1 replica and 1 zone');
  const steps = preview.getByTestId('plan-steps').locator('li');
  await expect(steps.first()).toContainText(
    'Take and verify etcd snapshots (main and events) before the membership changes',
  );
  await expect(steps.nth(1)).toContainText('ephemeral external IP');
  await expect(steps.nth(3)).toContainText('forwarding rule');
  // One backup before each of the two adds: the second add has no load-balancer steps, so its gate is just before its learner.
  await expect(steps.filter({ hasText: 'Take and verify etcd snapshots' })).toHaveCount(2);
  await expect(preview.getByText(/Two voters for now/)).toHaveCount(1);
  await expect(preview).toContainText('KUBE_REPLICATE_EXISTING_MASTER=true');
});

test("the preview lists what the change will do, collapsed: Compute calls by resource, etcd calls, the new replicas' metadata and key", async ({
  page,
}) => {
  await page.goto(changeUrl('staging-master', 'us-central1'));
  await page.getByRole('button', { name: /Make it HA/ }).click();
  const calls = page.getByTestId('plan-preview').getByTestId('planned-calls');
  await expect(calls).toBeVisible();
  await expect(calls.getByTestId('planned-call').first()).toBeHidden();
  await calls.locator('summary').click();
  // The static IP leaves the first replica, the load balancer comes, two replicas join as learners.
  await expect(
    calls.locator('[data-testid="planned-calls-step"][data-kind="move-first-replica-to-ephemeral-ip"]'),
  ).toContainText('instances.deleteAccessConfig');
  await expect(calls.locator('[data-testid="planned-calls-step"][data-kind="create-target-pool"]')).toContainText(
    'targetPools.insert sandbox-project/us-central1/staging-master',
  );
  await expect(calls.locator('[data-testid="planned-calls-step"][data-kind="add-learner"]')).toHaveCount(2);
  await expect(calls.locator('[data-testid="planned-calls-step"][data-kind="create-instance"]').first()).toContainText(
    "Quorum's SSH key published",
  );
  await expect(calls).toContainText('Reads (lists, status, probes) and retries of the same call are not listed.');
  await calls.screenshot({ path: path.join('test-results', 'preview', 'planned-calls.png') });
});

test('a two-replica target is refused with the reason in words', async ({ page }) => {
  await page.goto(changeUrl('prod-master', 'europe-west1'));
  await page.getByRole('tab', { name: 'Scale' }).click();
  await page.getByRole('spinbutton').fill('2');
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  const refusal = page.getByTestId('plan-refusal');
  await expect(refusal).toHaveAttribute('data-code', 'TwoReplicaLayout');
  await expect(refusal).toContainText('two replicas');
});

test('the add-replica zone picker lists every zone of the region, recommends one, and warns on an even count', async ({
  page,
}) => {
  await page.goto(changeUrl('prod-master', 'europe-west1'));
  const picker = page.getByTestId('zone-picker');
  await expect(picker.locator('button[data-zone]')).toHaveCount(3);
  await expect(picker.getByText('recommended')).toHaveCount(1);
  await picker.locator('button[data-zone="europe-west1-c"]').click();
  const preview = page.getByTestId('plan-preview');
  await expect(preview).toContainText('europe-west1-c');
  await expect(preview.getByTestId('plan-warnings')).toBeVisible();
  await expect(preview.getByTestId('plan-after')).toContainText('4 voters');
});

test('on a single replica, adding one is refused once, in words, with the 1 -> 3 way out', async ({ page }) => {
  await page.goto(changeUrl('staging-master', 'us-central1'));
  const picker = page.getByTestId('zone-picker');
  await expect(picker.getByRole('note')).toContainText('two replicas');
  await expect(picker.locator('button[data-zone]:disabled')).toHaveCount(4);
});
