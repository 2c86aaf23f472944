import { startSandbox } from '../tests/support/sandbox-process';
import { E2E } from '../playwright.config';

export default async function globalSetup() {
  const sandbox = await startSandbox({ port: E2E.sandboxPort, net: E2E.sandboxNet, dataDir: E2E.dataDir });
  return async () => {
    await sandbox.stop();
  };
}
