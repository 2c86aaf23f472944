// A process that sets up net <N> with one VM running `sleep` (standing in for etcd), prints
// "ready <ns> <pid>" and waits to be killed; used by twin-network.netns.test.ts to check that a
// crash leaves nothing behind. With `watch-parent` it also stops itself when its parent dies.
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { twinRegionSubnet } from '../compute/ip-plan';
import { watchParentDeath } from './parent-watch';
import { TwinNetwork } from './twin-network';

const net = z.coerce.number().int().min(1).max(127).parse(process.argv[2]);
const watchParent = process.argv[3] === 'watch-parent';

const twin = new TwinNetwork({ net, log: (m) => process.stderr.write(`[fixture] ${m}\n`) });
await twin.prepare();
const { ns } = await twin.addVm({
  key: 'crash-vm',
  internalIp: twinRegionSubnet(net, 1).hosts[0] ?? '',
  zone: 'europe-west1-b',
});
const sleeper = spawn('ip', ['netns', 'exec', ns, 'sleep', '600'], { stdio: 'ignore' });
if (watchParent) {
  watchParentDeath(
    () => {
      void twin.teardown().finally(() => process.exit(0));
    },
    { intervalMs: 100 },
  );
}
process.stdout.write(`ready ${ns} ${sleeper.pid ?? 0}\n`);
setInterval(() => undefined, 60_000);
