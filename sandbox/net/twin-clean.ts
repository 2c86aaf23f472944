// By hand: `sudo npx tsx sandbox/net/twin-clean.ts <net>` removes everything a run of that net left
// (namespaces and their processes, bridge, routes, /etc/netns), as the next prepare() would.
import { z } from 'zod';
import { stopStaleTwinJanitor } from './twin-janitor';
import { cleanupTwinNet } from './twin-network';

const net = z.coerce.number().int().min(1).max(127).parse(process.argv[2]);
await stopStaleTwinJanitor(net);
await cleanupTwinNet(net, { keepBlackhole: false, log: (m) => console.log(m) });
console.log(`net ${net}: clean`);
