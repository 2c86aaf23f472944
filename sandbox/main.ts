// The sandbox cloud's process: `npm run sandbox` (tsx sandbox/main.ts). Serves the Compute emulator,
// the metadata server and the sandbox controls on 127.0.0.1:SANDBOX_PORT, runs the VMs (each a network
// namespace on the twin's bridge, sandbox/net), seeds the two demo clusters at the first start, and on
// restart brings back the VMs that were RUNNING.
import path from 'node:path';
import { startEmulator, type Emulator } from './compute/emulator';
import { ensurePrivateSandboxDir } from './compute/state-file';
import { twinBlock } from './compute/ip-plan';
import { loadSandboxConfig, type SandboxConfig } from './config';
import { watchParentDeath } from './net/parent-watch';
import { APISERVER_PORT } from './pki/index';
import { TwinNetwork, TwinUnavailableError } from './net/twin-network';
import { discardUnfinishedSeed, runSeed, waitForSeedClusters } from './seed';
import { createNamespacedVmHost } from './vm/namespaced-host';

const log = (msg: string) => console.log(`[sandbox] ${msg}`);
const errorText = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

// A stopping VM host must not outlive a hung shutdown forever.
const SHUTDOWN_TIMEOUT_MS = 30_000;

let config: SandboxConfig;
try {
  config = loadSandboxConfig();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}

ensurePrivateSandboxDir(config.dataDir);
const twin = new TwinNetwork({
  net: config.net,
  log: (msg) => console.log(`[net] ${msg}`),
  janitorLogFile: path.join(config.sandboxDir, 'janitor.log'),
});
try {
  await twin.prepare();
} catch (err) {
  console.error(
    err instanceof TwinUnavailableError ? err.message : `The sandbox cannot set up its network: ${errorText(err)}`,
  );
  process.exit(2);
}
// The metadata server's port on the bridge: as on GCE, VMs reach it at 169.254.169.254:80 (their proxy forwards here).
const METADATA_PORT = 80;
const vmHost = createNamespacedVmHost({
  network: {
    addVm: (vm) => twin.addVm(vm),
    removeVm: (ns) => twin.removeVm(ns),
    setHosts: (entries) => twin.setHosts(entries),
    metadataUpstream: { host: twin.metadataIp, port: METADATA_PORT },
    vmRootDir: `/var/lib/quorum-sandbox/net${config.net}`,
  },
  log: (msg) => console.log(`[vm] ${msg}`),
});
const seedAbort = new AbortController();
let emulator: Emulator | undefined;
let stopping = false;

async function stop(code: number, why: string): Promise<void> {
  if (stopping) {
    // A second Ctrl-C: leave now; the VM host's exit hook still kills its etcds. Anything else while stopping (a
    // wrapper passing on a SIGTERM after the terminal's SIGINT) must not cut the orderly stop short.
    if (why === 'SIGINT') process.exit(code || 1);
    log(`${why} while stopping: still stopping`);
    return;
  }
  stopping = true;
  log(`${why}: stopping VMs`);
  seedAbort.abort();
  // The load balancer's listeners go first, so no client is forwarded to a VM that is going down.
  emulator?.network.close();
  const timeout = new Promise<void>((resolve) =>
    setTimeout(() => {
      log(`VMs did not stop within ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting anyway`);
      resolve();
    }, SHUTDOWN_TIMEOUT_MS).unref(),
  );
  const orderly = async () => {
    await vmHost.shutdownAll();
    await emulator?.close();
  };
  const teardown = async () => {
    try {
      await twin.teardown();
    } catch (err) {
      log(`network teardown: ${errorText(err)}`);
    }
  };
  try {
    await Promise.race([orderly(), timeout]);
  } catch (err) {
    log(`error while stopping: ${errorText(err)}`);
  }
  await teardown();
  process.exit(code);
}

// A wrapper (npm, tsx, a test harness) killed outright leaves this process orphaned: stop too.
watchParentDeath(() => void stop(0, 'parent process died'));
process.on('SIGINT', () => void stop(0, 'SIGINT'));
process.on('SIGTERM', () => void stop(0, 'SIGTERM'));
process.on('SIGHUP', () => void stop(0, 'SIGHUP'));
process.on('uncaughtException', (err) => {
  log(`uncaught error: ${errorText(err)}`);
  void stop(1, 'uncaught error');
});
process.on('unhandledRejection', (err) => {
  log(`unhandled rejection: ${errorText(err)}`);
  void stop(1, 'unhandled rejection');
});

try {
  await discardUnfinishedSeed(config.sandboxDir, log);
  emulator = await startEmulator({
    dataDir: config.dataDir,
    host: config.host,
    port: config.port,
    net: config.net,
    opDelayMs: config.opDelayMs,
    bootDelayMs: config.bootDelayMs,
    lbDelayMs: config.lbDelayMs,
    vmHost,
    chaos: vmHost,
    faults: twin,
    // Compute's firewall rules, enforced with nftables inside every VM (sandbox/net/firewall-plan.ts).
    firewall: twin,
    log,
    verbose: config.verbose,
    metadataListen: { host: twin.metadataIp, port: METADATA_PORT },
    networkOptions: {
      // GCE's 1:1 NAT: an external IP reaches the instance's sshd and API server.
      natPorts: [22, APISERVER_PORT],
      backendLocalAddress: twin.loadBalancerIp,
      addresses: { add: (ip) => twin.addHostAddress(ip), remove: (ip) => twin.removeHostAddress(ip) },
    },
  });
} catch (err) {
  log(`cannot start: ${errorText(err)}`);
  await stop(1, 'start failed');
}

if (emulator) {
  const em = emulator;
  log(`Compute API ${em.url}/compute/v1, metadata ${em.url}/computeMetadata/v1, health ${em.url}/sandbox/v1/health`);
  log(
    `load balancer: forwarding rules forward ${config.lbDelayMs} ms after their insert is DONE; external IPs of RUNNING instances forward to their internal IP`,
  );
  log(
    `data ${config.sandboxDir}, net ${config.net} (${twinBlock(config.net).cidr}: gateways ${twin.gateways().join(', ')}, metadata ${twin.metadataIp})`,
  );
  const t0 = Date.now();
  try {
    if (!em.isSeedComplete()) {
      log('first start: seeding clusters prod and staging in project sandbox-project');
      await runSeed({ baseUrl: em.url, net: config.net, log, signal: seedAbort.signal });
      em.markSeedComplete();
      log(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } else {
      const ready = await waitForSeedClusters({ baseUrl: em.url, log, signal: seedAbort.signal });
      log(
        ready
          ? `VMs restored in ${((Date.now() - t0) / 1000).toFixed(1)} s`
          : 'VMs restored, some masters are not ready',
      );
    }
    em.setSeeded(true);
  } catch (err) {
    if (!seedAbort.signal.aborted) {
      // Keep serving so the state can be inspected; the next start discards the unfinished seed.
      log(`seed failed: ${errorText(err)}`);
      em.setSeedError(err instanceof Error ? err.message : String(err));
    }
  }
  // After the seed: it stands in for kube-up run by the clusters' owner; the denied set is the caller's (Quorum's).
  if (config.deniedPermissions.length > 0) {
    em.iam.setDenied(config.deniedPermissions);
    log(`IAM: the caller lacks ${config.deniedPermissions.join(', ')}`);
  }
}
