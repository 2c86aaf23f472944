// Runs after d-recovery (file order), on the same sandbox: prod starts and ends 3/3 healthy, one replica per zone.
// The lighter fix before a replacement (issue 13): etcd killed on a follower whose VM still runs. The recovery wizard
// offers "reset the VM" first; it runs as a journaled operation and the member comes back with the same id, with no
// membership change and so no snapshot-gated removal.
import path from 'node:path';
import { expect, test } from './fixtures/test';
import { listMasters } from './fixtures/compute';
import { etcdctlMembers, killEtcdAndOpenRecovery, prodFollower } from './fixtures/recovery';

test.describe.configure({ timeout: 240_000 });

const shot = (name: string) => path.join('test-results', 'recovery', name);

async function memberIds(name: string): Promise<Record<'main' | 'events', string | undefined>> {
  const [main, events] = await Promise.all(
    (['main', 'events'] as const).map(
      async (cluster) => (await etcdctlMembers(cluster)).find((m) => m.name === `etcd-${name}`)?.id,
    ),
  );
  return { main, events };
}

test('etcd killed on a prod follower: the recovery wizard offers resetting the VM first, and the member rejoins with the same id, no membership change', async ({
  page,
  clusterPage,
  request,
}, testInfo) => {
  const { victim, zone } = await prodFollower(page, clusterPage);
  const before = await memberIds(victim);
  expect(before.main).toMatch(/^\d+$/);
  expect(before.events).toMatch(/^\d+$/);

  await killEtcdAndOpenRecovery(request, page, clusterPage, { victim, zone }, async () => {
    // Offered first, above the replacement, and saying why it fits.
    const restart = page.getByTestId('recovery-restart');
    await expect(restart).toHaveAttribute('data-action', 'reset');
    await expect(restart.getByRole('heading')).toHaveText(`Try this first: reset the VM ${victim}`);
    const first = await page.evaluate(() => {
      const r = document.querySelector('[data-testid="recovery-restart"]');
      const p = document.querySelector('[data-testid="recovery-placement"]');
      return r !== null && p !== null && (r.compareDocumentPosition(p) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    });
    expect(first, 'the reset is offered before the replacement').toBe(true);

    await restart.getByTestId('preview-restart').click();
    const preview = restart.getByTestId('plan-preview');
    await expect(preview.getByRole('heading')).toHaveText(
      `Reset ${victim} in ${zone}; it rejoins etcd as the same member`,
      { timeout: 30_000 },
    );
    await page.screenshot({ path: shot('recover-restart.png'), fullPage: true });
    await restart.getByTestId('confirm-run').locator('input').fill('prod-master');
    await restart.getByRole('button', { name: 'Run the recovery' }).click();
    await page.waitForURL(/\/operations\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId('operation-status')).toHaveText('succeeded', { timeout: 180_000 });
    const kinds = await page
      .getByTestId('operation-step')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toEqual(['restart-instance', 'await-replica-rejoined', 'verify']);
    await expect(page.getByTestId('operation-log')).toContainText(`reset ${victim} (instances.reset)`);
    await expect(page.getByTestId('operation-log')).toContainText('as the same members');
  });

  // etcdctl, not the dashboard: the same member ids, and the member lists name exactly the three replica VMs.
  const after = await memberIds(victim);
  expect(after).toEqual(before);
  testInfo.annotations.push({
    type: 'member-ids',
    description: `${victim}: main ${before.main}, events ${before.events} before and after the reset`,
  });
  const vms = (await listMasters('prod-master')).map((m) => `etcd-${m.name}`).sort();
  for (const cluster of ['main', 'events'] as const) {
    expect((await etcdctlMembers(cluster)).map((m) => `${m.name}${m.isLearner ? ' (learner)' : ''}`).sort()).toEqual(
      vms,
    );
  }
  await page.goto(`/clusters/${encodeURIComponent('sandbox-project~europe-west1~prod-master')}`);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 60_000 });
  await expect(clusterPage.replica(victim)).toHaveCount(1);
  // The timeline (read from the store when the page loads) has the outage, ended, and the operation.
  await page.reload();
  const outage = page.locator(`[data-testid="timeline-outage"][data-replica="${victim}"]`).first();
  await expect(outage).toContainText(`${victim} down from`);
  expect(await outage.getAttribute('data-to')).not.toBe('');
  await expect(page.getByTestId('timeline-operation').first()).toContainText('restart-replica succeeded');
  await page.getByTestId('cluster-timeline').screenshot({ path: shot('cluster-timeline.png') });
});
