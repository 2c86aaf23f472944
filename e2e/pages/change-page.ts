import { expect, type Page } from '@playwright/test';
import { clusterId } from './cluster-page';

export class ChangePage {
  constructor(readonly page: Page) {}

  async goto(masterName: string, region: string) {
    await this.page.goto(`/clusters/${encodeURIComponent(clusterId(masterName, region))}/change`);
    await this.page.getByRole('heading', { level: 1 }).waitFor({ state: 'visible' });
  }

  /** Types the cluster name, runs the previewed plan, and lands on the operation page. */
  async confirmAndRun(masterName: string) {
    await expect(this.page.getByTestId('plan-preview')).toBeVisible();
    await this.page.getByTestId('confirm-run').locator('input').fill(masterName);
    await this.page.getByRole('button', { name: 'Run this plan' }).click();
    await this.page.waitForURL(/\/operations\/[0-9a-f-]{36}$/);
  }

  async expectOperationSucceeded(timeout = 120_000) {
    await expect(this.page.getByTestId('operation-status')).toHaveText('succeeded', { timeout });
  }
}
