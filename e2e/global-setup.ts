import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startSandbox } from '../tests/support/sandbox-process';
import { E2E } from '../playwright.config';
import { bootstrapAdmin, signedInState } from './fixtures/auth';

export default async function globalSetup() {
  // A 4 s load-balancer propagation keeps the HA spec short while its progress bar is still visible.
  const sandbox = await startSandbox({
    port: E2E.sandboxPort,
    net: E2E.sandboxNet,
    dataDir: E2E.dataDir,
    env: { SANDBOX_LB_DELAY_MS: '4000' },
  });
  // The dashboard (started before this setup) created its bootstrap admin on its first start: sign in as it.
  try {
    mkdirSync(path.dirname(E2E.adminState), { recursive: true });
    const admin = bootstrapAdmin();
    // The bootstrap admin must set a password of its own before anything else (every page sends it to /account).
    await signedInState(admin.email, admin.password, E2E.adminState, { replaceOneTimePassword: true });
  } catch (error) {
    // No teardown runs when the setup throws: stop the sandbox here, or it would hold the port for the next run.
    await sandbox.stop();
    throw error;
  }
  return async () => {
    await sandbox.stop();
  };
}
