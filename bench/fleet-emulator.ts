// The Compute emulator for the fleet benchmark, in a process of its own (so the dashboard's memory is measured
// alone), with a stand-in VM host: instances are real Compute resources of the emulator (inserted, stopped,
// listed through its REST API) but no VM boots and no packet is sent. Its addresses follow Compute Engine's
// auto-mode plan (a /20 per region, 4092 instances each; see autoModeAddressPlan in sandbox/compute/ip-plan.ts)
// instead of the twin's /25s, which hold 124 instances a region. Prints `port <n> static-addresses <m>` once it
// listens (m: the size of its static external address pool).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../sandbox/compute/emulator';
import { IdleVmHost } from '../tests/support/idle-vm-host';

const dataDir = mkdtempSync(join(tmpdir(), 'quorum-bench-fleet-'));
const emulator = await startEmulator({
  dataDir,
  port: 0,
  net: 52,
  opDelayMs: 0,
  bootDelayMs: 0,
  lbDelayMs: 0,
  vmHost: new IdleVmHost(),
  addressPlan: 'auto-mode',
  // Never restarted: no state.json (with a thousand instances it is tens of MB, rewritten after every mutation).
  persistState: false,
  log: () => {},
});
// Ends with the bench: its stdin is a pipe from the bench, which closes when the bench exits, however it exits.
process.stdin.on('end', () => {
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
});
process.stdin.resume();
console.log(`port ${emulator.port} static-addresses ${emulator.cloud.addresses.staticExternalPool().length}`);
