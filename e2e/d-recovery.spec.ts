// Runs after c-chaos (file order), on the same sandbox: prod starts 3/3 healthy, one replica per zone, and ends so.
// Two recoveries through the recovery wizard, each with a write-safety writer on prod's etcd main from before the
// failure until after the recovery (zero acknowledged writes may be lost), then quorum lost and the runbook.
import path from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { expect, test } from './fixtures/test';
import { sandboxChaos } from './fixtures/chaos';
import { listMasters } from './fixtures/compute';
import { etcdctlMembers, killEtcdAndOpenRecovery, prodFollower, startProdWriter } from './fixtures/recovery';

test.describe.configure({ timeout: 300_000 });

const ZONES = ['europe-west1-b', 'europe-west1-c', 'europe-west1-d'];
const shot = (name: string) => path.join('test-results', 'recovery', name);

async function expectProdWhole(page: Page) {
  await page.goto(`/clusters/${encodeURIComponent('sandbox-project~europe-west1~prod-master')}`);
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 60_000 });
}

/** etcdctl, not the dashboard: both member lists name exactly the replica VMs, with no learner. */
async function expectEtcdctlAgrees() {
  const vms = (await listMasters('prod-master')).map((m) => `etcd-${m.name}`).sort();
  expect(vms).toHaveLength(3);
  for (const cluster of ['main', 'events'] as const) {
    await expect
      .poll(
        async () => (await etcdctlMembers(cluster)).map((m) => `${m.name}${m.isLearner ? ' (learner)' : ''}`).sort(),
        { timeout: 30_000 },
      )
      .toEqual(vms);
  }
}

/** On the operation page: a done, verified backup-gate step before every membership change, and the log says so. */
async function expectSnapshotBeforeEachMembershipChange(page: Page) {
  const steps = await page
    .getByTestId('operation-step')
    .evaluateAll((els) =>
      els.map((e) => ({ kind: e.getAttribute('data-kind'), status: e.getAttribute('data-status') })),
    );
  let gated = false;
  let changes = 0;
  for (const s of steps) {
    if (s.kind === 'snapshot-etcd' && s.status === 'done') gated = true;
    if (s.kind === 'remove-member' || s.kind === 'add-learner') {
      expect(gated, `a verified snapshot before ${s.kind}`).toBe(true);
      gated = false;
      changes += 1;
    }
  }
  expect(changes).toBe(2);
  await expect(
    page
      .getByTestId('operation-log')
      .locator('li')
      .filter({ hasText: /etcd main snapshot \S+ from \S+ verified: revision \d+/ }),
  ).toHaveCount(2);
}

/** Stops the writer, reads every acknowledged key back and prints the report (the longest stall among it). */
async function expectNoWriteLost(
  writer: Awaited<ReturnType<typeof startProdWriter>>,
  label: string,
  testInfo: TestInfo,
) {
  const report = await writer.stop();
  testInfo.annotations.push({ type: 'write-safety', description: report.lines.join(' | ') });
  console.log(`[write-safety ${label}] ${report.lines.join('\n  ')}`);
  expect(report.acknowledged).toBeGreaterThan(50);
  expect(report.lost).toEqual([]);
}

async function runPreviewedRecovery(page: Page) {
  await expect(page.getByTestId('plan-preview')).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('confirm-run').locator('input').fill('prod-master');
  await page.getByRole('button', { name: 'Run the recovery' }).click();
  await page.waitForURL(/\/operations\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('operation-status')).toHaveText('succeeded', { timeout: 180_000 });
}

test('etcd killed on a prod replica: failed within 2 s, the recovery wizard replaces it in the same zone, etcdctl agrees, no acknowledged write lost', async ({
  page,
  clusterPage,
  request,
}, testInfo) => {
  const { victim, zone } = await prodFollower(page, clusterPage);

  const writer = await startProdWriter('etcd-killed');
  await killEtcdAndOpenRecovery(request, page, clusterPage, { victim, zone }, async () => {
    // 1. Diagnose: the class and the evidence.
    const diagnose = page.getByTestId('recovery-diagnose');
    await expect(diagnose.getByTestId('failure-class')).toHaveText('etcd unreachable');
    await expect(diagnose.getByTestId('failure-evidence')).toContainText('connection refused');
    // 2. Place: its own zone, recommended and chosen.
    const own = page.getByTestId('replacement-zones').locator(`[data-zone="${zone}"]`);
    await expect(own).toHaveAttribute('data-recommended', 'true');
    await expect(own.locator('input')).toBeChecked();
    await expect(own.getByTestId('tolerance-warning')).toHaveCount(0);
    // 3. Plan and run: removal first, the hand-over skipped because the member does not answer.
    await page.getByTestId('preview-recovery').click();
    const preview = page.getByTestId('plan-preview');
    await expect(preview.getByRole('heading')).toHaveText(
      `Replace ${victim} in ${zone}: remove it, then add a new replica there`,
    );
    await expect(preview.getByTestId('plan-steps')).toContainText('skipped (and logged) while it does not answer');
    await page.screenshot({ path: shot('recover-replica.png'), fullPage: true });
    await runPreviewedRecovery(page);
    await expect(page.getByTestId('operation-log')).toContainText(`etcd main on ${victim} does not answer`);
    await expect(page.getByTestId('operation-log')).toContainText('leadership is not moved gracefully (skipped)');
    await expectSnapshotBeforeEachMembershipChange(page);
  });

  // 4. Verify: three healthy voters, the new one in the same zone, and etcdctl agrees.
  await expectProdWhole(page);
  await expect(clusterPage.replica(victim)).toHaveCount(0);
  await expect(clusterPage.zone(zone).getByTestId('replica-card')).toHaveCount(1);
  await expectEtcdctlAgrees();
  await expectNoWriteLost(writer, 'etcd-killed', testInfo);
});

test('europe-west1-c down: recovery places the replacement in another zone with the tolerance warning; the zone comes back and a rebalance leaves one replica per zone', async ({
  page,
  clusterPage,
  request,
}, testInfo) => {
  const down = 'europe-west1-c';
  await clusterPage.goto('prod-master', 'europe-west1');
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 60_000 });
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live', { timeout: 30_000 });
  const victim = await clusterPage.zone(down).getByTestId('replica-card').getAttribute('data-replica');
  if (!victim) throw new Error(`no replica in ${down}`);

  const writer = await startProdWriter('zone-down');
  const card = clusterPage.zone(down).getByTestId('replica-card');
  const cutAt = Date.now();
  await sandboxChaos(request, `zones/${down}/down`);
  try {
    // Soon after the cut the replica no longer reads healthy: its probes go unanswered (a real partition). Silence
    // counts only when seen twice in a row (issue 13: a single time-out keeps the last answer), each probe waiting
    // its deadline (0.5 s, up to 4 x p90 of measured latency on a loaded machine), the second asked at once: within
    // 8 s, not the 2 s of a confirmed failure (a refused port, a stopped VM: this file's first test, c-chaos,
    // i-load). Measured: 3.8 s locally with the writer running. The time is annotated.
    await expect(card).not.toHaveAttribute('data-health', 'healthy', {
      timeout: Math.max(0, 8_000 - (Date.now() - cutAt)),
    });
    testInfo.annotations.push({
      type: 'zone-down',
      description: `${victim} read ${await card.getAttribute('data-health')} ${Date.now() - cutAt} ms after the cut`,
    });
    // The zone's classification needs a second witness (its Nodes NotReady), which comes later.
    await expect(clusterPage.zone(down).getByTestId('zone-unreachable')).toBeVisible({ timeout: 15_000 });
    await expect(clusterPage.tolerance()).toContainText('Can lose 0 replicas');
    const finding = page.locator('[data-testid="finding"][data-code="ZoneUnreachable"]');
    await expect(finding).toContainText(`Zone ${down} is unreachable`);
    await finding.getByTestId('finding-action').click();
    await page.waitForURL(/\/recover\?replica=/);

    await expect(page.getByTestId('recovery-diagnose').getByTestId('failure-class')).toHaveText('zone unreachable');
    const zones = page.getByTestId('replacement-zones');
    await expect(zones.locator(`[data-zone="${down}"] input`)).toBeDisabled();
    await expect(zones.locator(`[data-zone="${down}"]`)).toContainText(`${down} is unreachable now`);
    const target = zones.locator('[data-recommended="true"]');
    await expect(target).toHaveAttribute('data-zone', 'europe-west1-b');
    await expect(target.getByTestId('tolerance-warning')).toContainText('only 0 zone outages instead of 1');
    // Fast when something is broken (issue 13: within 2 s): the preview gives the replicas known silent up at the live
    // deadline, including an SSH connect into the lost zone that would otherwise take its own 3 s time-out first.
    const previewAt = Date.now();
    await page.getByTestId('preview-recovery').click();
    await expect(page.getByTestId('plan-preview')).toBeVisible({ timeout: 2_000 });
    testInfo.annotations.push({
      type: 'preview-during-outage',
      description: `${Date.now() - previewAt} ms from the click to the plan`,
    });
    await expect(page.getByTestId('plan-warnings')).toContainText('The replacement goes to europe-west1-b');
    await expect(page.getByTestId('plan-warnings')).toContainText('only 0 zone outages instead of 1');
    await expect(page.getByTestId('plan-preview').getByRole('heading')).toHaveText(
      `Replace ${victim} (${down}) by a new replica in europe-west1-b: remove it, then add the new one`,
    );
    await page.screenshot({ path: shot('recover-zone-down.png'), fullPage: true });
    await runPreviewedRecovery(page);
    await expectSnapshotBeforeEachMembershipChange(page);

    await clusterPage.goto('prod-master', 'europe-west1');
    await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, {
      timeout: 60_000,
    });
    await expect(clusterPage.zone('europe-west1-b').getByTestId('replica-card')).toHaveCount(2);
    // The pair is not offered a rebalance while the free zone is still down.
    await expect(page.locator('[data-testid="finding-action"][data-action="rebalance"]')).toHaveCount(0);
    await sandboxChaos(request, `zones/${down}/up`);
  } finally {
    await sandboxChaos(request, `zones/${down}/up`);
  }

  // The zone is back: the finding offers the rebalance.
  // Both findings about the pair (the zone holds quorum, the zone is shared) offer it.
  const rebalance = page.locator('[data-testid="finding-action"][data-action="rebalance"]').first();
  await expect(rebalance).toHaveText(`Rebalance into ${down}…`, { timeout: 30_000 });
  await page.screenshot({ path: shot('rebalance-offered.png'), fullPage: true });
  await rebalance.click();
  await page.waitForURL(/\/recover\?rebalance=/);
  await page.getByTestId('preview-recovery').click();
  await expect(page.getByTestId('plan-preview').getByRole('heading')).toContainText(
    `Rebalance: add a replica in ${down}, then remove`,
  );
  await runPreviewedRecovery(page);
  await expectSnapshotBeforeEachMembershipChange(page);

  await expectProdWhole(page);
  for (const zone of ZONES) await expect(clusterPage.zone(zone).getByTestId('replica-card')).toHaveCount(1);
  await expectEtcdctlAgrees();
  await expectNoWriteLost(writer, 'zone-down', testInfo);
});

test('two of three prod replicas stopped: the wizard refuses membership changes and shows the runbook naming the survivor with the highest raft index', async ({
  page,
  clusterPage,
  request,
}) => {
  await clusterPage.goto('prod-master', 'europe-west1');
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 60_000 });
  const masters = await listMasters('prod-master');
  const [survivor, ...stopped] = masters;
  if (!survivor || stopped.length !== 2) throw new Error(`prod has ${masters.length} replicas`);
  try {
    for (const m of stopped)
      await sandboxChaos(request, `projects/sandbox-project/zones/${m.zone}/instances/${m.name}/stop`);
    await expect(page.locator('[data-testid="finding"][data-code="QuorumLost"]').first()).toBeVisible({
      timeout: 30_000,
    });
    await clusterPage
      .replica(stopped[0]?.name ?? '')
      .getByTestId('recover-replica')
      .click();
    await page.waitForURL(/\/recover\?replica=/);
    const runbook = page.getByTestId('quorum-lost-runbook');
    await expect(runbook.getByRole('alert')).toContainText('etcd has lost quorum: membership changes are refused');
    await expect(runbook.getByTestId('runbook-survivor').first()).toContainText(survivor.name);
    await expect(runbook).toContainText('--force-new-cluster');
    await expect(page.getByTestId('preview-recovery')).toHaveCount(0);
    await page.screenshot({ path: shot('quorum-lost-runbook.png'), fullPage: true });
  } finally {
    for (const m of stopped)
      await sandboxChaos(request, `projects/sandbox-project/zones/${m.zone}/instances/${m.name}/restore`).catch(
        () => undefined,
      );
  }
  await expectProdWhole(page);
});
