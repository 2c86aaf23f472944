// A local TCP forward from the host into a twin VM's own loopback, for the tests' etcd clients (the
// write-safety writer) that must speak gRPC to a master's etcd as its API server does: from 127.0.0.1 on
// that master. kube-up's etcd listens there only, so no host connection reaches it by the VM's address.
//
// Each accepted connection runs a tiny relay inside the VM's network namespace (`ip netns exec <vm> node
// -e ...`, stdin/stdout <-> 127.0.0.1:<port>). Chosen over `ssh -N -L` for the harness because it needs no
// key in every replica's metadata (replicas come and go mid-run in the recovery tests) and it is not
// broken by the access faults some runs inject (sshd stopped, a key removed), which are not what the
// write-safety check measures; a zone cut off still shows (its etcd cannot commit). A sandbox-only door:
// lib/** never uses it; tests/integration/twin-wire.test.ts checks the SSH path itself.
// No 'server-only' and no vitest: integration tests, Playwright fixtures and benches import it.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { twinVmNamespace } from './twin-etcdctl';

export type TwinForward = { port: number; close: () => Promise<void> };

// Runs inside the VM: one TCP connection to 127.0.0.1:<argv[1]>, piped to stdin/stdout; exits when it ends.
const RELAY = [
  "const s = require('node:net').connect(Number(process.argv[1]), '127.0.0.1');",
  'process.stdin.pipe(s); s.pipe(process.stdout);',
  "process.stdin.on('end', () => s.end());",
  "s.on('error', () => process.exit(1)); s.on('close', () => process.exit(0));",
].join(' ');

/** 127.0.0.1:<port> on the host -> 127.0.0.1:`remotePort` inside the VM `instance` of sandbox `net`. */
export async function twinLoopbackForward(
  sandboxNet: number,
  instance: string,
  remotePort: number,
): Promise<TwinForward> {
  const ns = twinVmNamespace(sandboxNet, instance);
  const open = new Set<() => void>();
  const server = net.createServer((inbound) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', RELAY, String(remotePort)], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const end = () => {
      inbound.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    open.add(end);
    inbound.on('close', () => {
      open.delete(end);
      end();
    });
    inbound.on('error', end);
    child.on('error', end);
    child.stdin.on('error', end);
    // The relay ends (refused inside, the VM's namespace gone, etcd closed the connection): so does the
    // client's connection, once the relay's output is flushed (the stdout pipe ends it too).
    child.on('close', () => inbound.end());
    inbound.pipe(child.stdin);
    child.stdout.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const end of [...open]) end();
        server.close(() => resolve());
      }),
  };
}

/** etcd client ports on a kube-up master's loopback. */
const ETCD_PORTS = { main: 2379, events: 4002 } as const;

/**
 * One forward per (instance, cluster), made on first use and kept: what the write-safety writer is given as
 * endpoints. serverName is `etcd-<instance>`, which kube-up's etcd server certificate names.
 */
export class TwinEtcdForwards {
  private readonly forwards = new Map<string, Promise<TwinForward>>();
  constructor(private readonly sandboxNet: number) {}

  async endpoint(
    instance: string,
    cluster: keyof typeof ETCD_PORTS = 'main',
  ): Promise<{ address: string; serverName: string }> {
    const key = `${instance}/${cluster}`;
    let forward = this.forwards.get(key);
    if (!forward) {
      forward = twinLoopbackForward(this.sandboxNet, instance, ETCD_PORTS[cluster]);
      this.forwards.set(key, forward);
    }
    return { address: `127.0.0.1:${(await forward).port}`, serverName: `etcd-${instance}` };
  }

  /** The endpoints of `instances` (e.g. a cluster's replicas read from Compute just now). */
  endpoints(instances: readonly string[], cluster: keyof typeof ETCD_PORTS = 'main') {
    return Promise.all(instances.map((i) => this.endpoint(i, cluster)));
  }

  async close(): Promise<void> {
    const all = [...this.forwards.values()];
    this.forwards.clear();
    await Promise.all(all.map(async (f) => (await f).close()));
  }
}
