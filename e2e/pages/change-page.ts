import { expect, type Locator, type Page } from '@playwright/test';
import { clusterId } from './cluster-page';

export class ChangePage {
  constructor(readonly page: Page) {}

  async goto(masterName: string, region: string) {
    await this.page.goto(`/clusters/${encodeURIComponent(clusterId(masterName, region))}/change`);
    await this.page.getByRole('heading', { level: 1 }).waitFor({ state: 'visible' });
  }

  zonePicker(): Locator {
    return this.page.getByTestId('zone-picker');
  }

  /** A zone of the cluster's region in the add picker. */
  zone(zone: string): Locator {
    return this.zonePicker().locator(`button[data-zone="${zone}"]`);
  }

  /** A zone of another region, listed with the reason it is not offered. */
  outsideZone(zone: string): Locator {
    return this.zonePicker().locator(`button[data-outside-zone="${zone}"]`);
  }

  /** The reason every zone of the region is refused, said once above them. */
  zoneNote(): Locator {
    return this.zonePicker().getByRole('note');
  }

  /** The planner's refusal of the previewed change. */
  refusal(): Locator {
    return this.page.getByTestId('plan-refusal');
  }

  async previewRemoval(zone?: string, name?: string) {
    await this.page.getByRole('tab', { name: 'Remove replica' }).click();
    if (zone) await this.page.getByRole('combobox', { name: 'Zone', exact: true }).selectOption(zone);
    if (name) await this.page.getByRole('combobox', { name: 'Replica (optional)' }).selectOption(name);
    await this.page.getByRole('button', { name: 'Preview removal' }).click();
  }

  async previewScale(replicas: number) {
    await this.page.getByRole('tab', { name: 'Scale' }).click();
    await this.page.getByRole('spinbutton').fill(String(replicas));
    await this.page.getByRole('button', { name: 'Preview', exact: true }).click();
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
