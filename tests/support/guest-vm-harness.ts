// Runs inside a test's network namespace what a sandbox VM process will run there: `startVmSshAccess`
// (sshd on :22 and the guest-agent stand-in reading a metadata server), plus a TCP service on the VM's
// loopback only (for `ssh -L`). Started as
// `ip netns exec <ns> unshare --pid --fork --kill-child --mount-proc node <bundle> <config>`.
// Talks to the test by JSON lines: events on stdout, commands (`restart-sshd`, `stop`) on stdin.

import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { startVmSshAccess } from '../../sandbox/vm/guest-agent';
import { readHostPublicKeys } from '../../sandbox/vm/sshd';

const Config = z.object({
  metadataUrl: z.string(),
  diskDir: z.string(),
  homeRoot: z.string(),
  loopbackPort: z.number().int(),
});

const config = Config.parse(JSON.parse(Buffer.from(process.argv[2] ?? '', 'base64').toString('utf8')));
const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

async function main(): Promise<void> {
  const service = net.createServer((socket) => socket.end('hello from inside the VM\n'));
  await new Promise<void>((resolve) => service.listen(config.loopbackPort, '127.0.0.1', resolve));

  const access = await startVmSshAccess({
    diskDir: config.diskDir,
    homeRoot: config.homeRoot,
    metadataUrl: config.metadataUrl,
    log,
  });
  emit({ event: 'ready', hostKeys: access.hostKeys });

  let stopping = false;
  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    await access.stop();
    service.close();
    emit({ event: 'stopped' });
    process.exit(0);
  }
  process.once('SIGTERM', () => void stop());
  // The test gone (its end of the pipe closed) means stop: nothing of the VM outlives it.
  process.stdin.once('close', () => void stop());
  createInterface({ input: process.stdin }).on('line', (line) => {
    void (async () => {
      if (line === 'restart-sshd') {
        await access.stopSshd();
        const down = !access.sshdRunning();
        await access.startSshd();
        emit({
          event: 'sshd-restarted',
          wasDown: down,
          hostKeys: await readHostPublicKeys(path.join(config.diskDir, 'ssh')),
        });
      } else if (line === 'stop') {
        await stop();
      }
    })().catch((err: unknown) => {
      log(`harness: ${line} failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
  });
}

main().catch((err: unknown) => {
  log(`harness: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
