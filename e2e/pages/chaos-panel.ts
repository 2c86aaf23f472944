import type { Locator, Page } from '@playwright/test';

/** The cluster page's chaos panel (sandbox only). */
export class ChaosPanel {
  constructor(readonly page: Page) {}

  root(): Locator {
    return this.page.getByTestId('chaos-panel');
  }

  /** The whole card, title included (for screenshots). */
  card(): Locator {
    return this.root().locator('xpath=ancestor::section[1]');
  }

  replica(name: string): Locator {
    return this.page.locator(`[data-testid="chaos-replica"][data-replica="${name}"]`);
  }

  zone(zone: string): Locator {
    return this.page.locator(`[data-testid="chaos-zone"][data-zone="${zone}"]`);
  }

  /** A replica's button: stop-vm, freeze, unfreeze, kill-etcd-main|events|both, restore. */
  action(name: string, action: string): Locator {
    return this.replica(name).locator(`[data-action="${action}"]`);
  }

  notice(): Locator {
    return this.page.getByTestId('chaos-notice');
  }
}
