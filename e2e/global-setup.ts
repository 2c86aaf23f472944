import { startSandbox } from '../tests/support/sandbox-process';
import { E2E } from '../playwright.config';

export default async function globalSetup() {
  // A 4 s load-balancer propagation keeps the HA spec short while its progress bar is still visible.
  const sandbox = await startSandbox({ port: E2E.sandboxPort, net: E2E.sandboxNet, dataDir: E2E.dataDir, env: { SANDBOX_LB_DELAY_MS: '4000' } });
  return async () => {
    await sandbox.stop();
  };
}
