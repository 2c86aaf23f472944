// Creates a new cluster through the wizard and leaves it in place: the specs after it (secrets, topology)
// find a third cluster, with its own keys and a create operation in its history.
import { expect, test } from './fixtures/test';
import { listMasters } from './fixtures/compute';
import { clusterId } from './pages/cluster-page';
import { CreateClusterPage } from './pages/create-cluster-page';

test.describe.configure({ timeout: 180_000 });

const NAME = 'blue-master';

test('a cluster is created through the wizard in the sandbox, watched to completion, and listed in the fleet', async ({
  page,
  fleetPage,
}) => {
  await fleetPage.goto();
  await page.getByRole('link', { name: 'Create cluster' }).click();
  const wizard = new CreateClusterPage(page);
  await page.getByRole('heading', { level: 1, name: 'Create a cluster' }).waitFor({ state: 'visible' });

  // Refusals, in words: a name that exists, a name GCE would not take.
  await wizard.fill({ name: 'staging-master' });
  await wizard.preview();
  await expect(page.getByTestId('plan-refusal')).toHaveAttribute('data-code', 'AlreadyExists');
  await expect(page.getByTestId('plan-refusal')).toContainText('staging-master is taken');
  await wizard.fill({ name: 'Blue_Master' });
  await wizard.preview();
  await expect(page.getByTestId('plan-refusal')).toHaveAttribute('data-code', 'InvalidInput');
  await expect(page.getByTestId('plan-refusal')).toContainText('not a usable master name');
  await wizard.fill({ name: 'blue' });
  await wizard.preview();
  await expect(page.getByTestId('plan-refusal')).toHaveAttribute('data-code', 'InvalidInput');
  await expect(page.getByTestId('plan-refusal')).toContainText('always names it <prefix>-master');

  await wizard.fill({ name: NAME, region: 'us-central1', zone: 'us-central1-f' });
  await wizard.preview();
  const preview = page.getByTestId('plan-preview');
  await expect(preview.getByRole('heading')).toHaveText(`Create cluster ${NAME} with one master in us-central1-f`);
  await expect(page.getByTestId('plan-before')).toContainText('no replica yet');
  await expect(page.getByTestId('plan-after')).toContainText('1 voter · can lose 0 replicas and 0 zones');
  await expect(page.getByTestId('plan-steps').locator('li')).toHaveCount(8);
  await expect(preview).toContainText('MULTIZONE=true KUBE_GCE_ZONE=us-central1-f ./cluster/kube-up.sh');
  await expect(preview).not.toContainText('QUORUM_READS');

  // A changed input makes the preview stale; the plan is shown again for what is on screen.
  await wizard.fill({ name: `${NAME}x` });
  await expect(preview).toHaveCount(0);
  await wizard.fill({ name: NAME });
  await wizard.preview();
  await wizard.confirmAndCreate(NAME);

  await expect(page.getByTestId('operation-status')).toHaveText('succeeded', { timeout: 120_000 });
  await expect(page.locator('[data-testid="operation-step"][data-status="done"]')).toHaveCount(8);
  await expect(page.locator('[data-testid="operation-step"][data-kind="await-etcd"]')).toBeVisible();

  // The VM carries the settings the wizard was given.
  const [master] = await listMasters(NAME);
  expect(master?.zone).toBe('us-central1-f');
  expect(master?.metadata['kube-env']).toContain("MULTIZONE: 'true'");
  expect(master?.metadata['kube-env']).not.toContain('ETCD_QUORUM_READ');
  expect(master?.metadata['kube-env']).toContain("INITIAL_ETCD_CLUSTER_STATE: 'new'");

  await fleetPage.goto();
  await expect(fleetPage.row(NAME).getByTestId('fleet-healthy')).toContainText('1/1', { timeout: 30_000 });
  await expect(fleetPage.row(NAME).getByTestId('fleet-tolerance')).toHaveText('can lose 0 replicas and 0 zones');
  await fleetPage.row(NAME).getByRole('link', { name: NAME }).click();
  await expect(page).toHaveURL(`/clusters/${encodeURIComponent(clusterId(NAME, 'us-central1'))}`);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(1, { timeout: 30_000 });

  // Once it exists, the wizard refuses the name.
  await wizard.goto();
  await wizard.fill({ name: NAME });
  await wizard.preview();
  await expect(page.getByTestId('plan-refusal')).toHaveAttribute('data-code', 'AlreadyExists');
});
