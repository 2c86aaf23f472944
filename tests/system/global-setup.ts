// The system project runs the built dashboard (`next start`) as a real process against its own sandbox
// (port 8782, net 36; a 3 s load-balancer propagation keeps the crash runs short). It needs `npm run build`.
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { sandboxGlobalSetup } from '../integration/global-setup';

const startSandbox = sandboxGlobalSetup({
  port: Number(process.env.QUORUM_SYS_SANDBOX_PORT ?? 8782),
  net: Number(process.env.QUORUM_SYS_SANDBOX_NET ?? 36),
  env: { SANDBOX_LB_DELAY_MS: '3000' },
  label: 'system',
});

export default async function setup(project: TestProject) {
  if (!existsSync('.next/BUILD_ID'))
    throw new Error('The system tests run the built dashboard: run `npm run build` first.');
  return startSandbox(project);
}
