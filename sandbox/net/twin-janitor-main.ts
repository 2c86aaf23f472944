// The janitor process (see twin-janitor.ts): `node --import tsx twin-janitor-main.ts <net>`.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { JANITOR_DISARM, JANITOR_PID_DIR, JANITOR_READY, janitorPidFile } from './twin-janitor';
import { cleanupTwinNet } from './twin-network';

const net = z.coerce.number().int().min(1).max(127).parse(process.argv[2]);
const log = (msg: string) => process.stderr.write(`[janitor net ${net} ${new Date().toISOString()}] ${msg}\n`);

mkdirSync(JANITOR_PID_DIR, { recursive: true });
writeFileSync(janitorPidFile(net), `${process.pid}\n`);
process.stdout.write(`${JANITOR_READY}\n`);

let disarmed = false;
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d: string) => {
  input += d;
  if (input.includes(JANITOR_DISARM)) disarmed = true;
});
process.stdin.on('error', () => undefined);
process.stdin.once('close', () => void finish());

async function finish(): Promise<void> {
  if (!disarmed) {
    log('the sandbox is gone; removing its network');
    try {
      await cleanupTwinNet(net, { keepBlackhole: false, log });
      log('done');
    } catch (err) {
      log(`clean-up failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  try {
    if (readFileSync(janitorPidFile(net), 'utf8').trim() === String(process.pid)) rmSync(janitorPidFile(net));
  } catch {
    // a newer janitor's file, or none
  }
  process.exit(0);
}
