// A stockout as Google reports it (the instance insert's Operation fails with ZONE_RESOURCE_POOL_EXHAUSTED),
// injected by the sandbox: the add stops, rolled back, with the words; its page links to the wizard, which plans
// the same add in the best other zone at once; that runs; then prod goes back to three replicas.
import { sandboxComputeFault } from './fixtures/chaos';
import { listMasters } from './fixtures/compute';
import { expect, test } from './fixtures/test';
import { ChangePage } from './pages/change-page';
import { clusterId } from './pages/cluster-page';

test.describe.configure({ timeout: 300_000 });

test('an add stopped by a stockout is offered again in the best other zone, and that plan succeeds', async ({
  page,
  request,
}) => {
  const change = new ChangePage(page);
  const before = (await listMasters('prod-master')).map((m) => m.name);
  try {
    await sandboxComputeFault(request, {
      method: 'instances.insert',
      zone: 'europe-west1-b',
      count: 1,
      error: 'ZONE_RESOURCE_POOL_EXHAUSTED',
    });
    await change.goto('prod-master', 'europe-west1');
    await change.zone('europe-west1-b').click();
    await change.confirmAndRun('prod-master');
    await expect(page.getByTestId('operation-status')).toHaveText('failed', { timeout: 120_000 });
    await expect(page.getByTestId('operation-outcome')).toContainText(
      'zone europe-west1-b has no capacity for this instance now (ZONE_RESOURCE_POOL_EXHAUSTED, a stockout, not a quota)',
    );
    await expect(page.getByTestId('operation-outcome')).toContainText('Rolled back "Create the data disk');
    await expect(page.getByTestId('stockout')).toBeVisible();
    await page.screenshot({ path: 'test-results/e2e/stockout-operation.png', fullPage: true });

    await page.getByTestId('stockout-offer-link').click();
    await expect(page.getByTestId('stockout-offer')).toHaveAttribute('data-zone', 'europe-west1-c', {
      timeout: 30_000,
    });
    await expect(page.getByTestId('stockout-offer')).toContainText(
      'europe-west1-b had no capacity for the new replica (a stockout)',
    );
    await expect(page.getByTestId('plan-preview')).toContainText('europe-west1-c');
    // The picker agrees with the offer: the exhausted zone is not the recommended one.
    const picker = page.getByTestId('zone-picker');
    await expect(picker.locator('[data-zone="europe-west1-b"]')).toContainText('out of capacity just now');
    await expect(picker.locator('[data-zone="europe-west1-b"]')).not.toContainText('recommended');
    await expect(picker.locator('[data-zone="europe-west1-c"]')).toContainText('recommended');
    await page.screenshot({ path: 'test-results/e2e/stockout-offer.png', fullPage: true });
    await change.confirmAndRun('prod-master');
    await change.expectOperationSucceeded(180_000);
  } finally {
    await sandboxComputeFault(request, null);
  }

  // The new replica goes again, by name, so prod keeps the replicas the specs after this one know.
  const added = (await listMasters('prod-master')).filter((m) => !before.includes(m.name));
  expect(added.map((m) => m.zone)).toEqual(['europe-west1-c']);
  await change.goto('prod-master', 'europe-west1');
  await change.previewRemoval('europe-west1-c', added[0]?.name);
  await expect(change.refusal()).toHaveCount(0);
  await change.confirmAndRun('prod-master');
  await change.expectOperationSucceeded(180_000);
  await page.goto(`/clusters/${encodeURIComponent(clusterId('prod-master', 'europe-west1'))}`);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 30_000 });
});
