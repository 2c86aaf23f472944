// Ground truth for the tests on the kube-up twin: etcdctl run inside a VM's own network namespace against
// 127.0.0.1, the only place a kube-up master's etcd listens (main :2379, events :4002). This is how an
// operator logged into the master would ask (`etcdctl --endpoints https://127.0.0.1:2379`); the tests use
// `ip netns exec` instead of an SSH login because it needs no key in metadata and cannot be broken by the
// access faults some tests inject (a stopped sshd, a removed key). It is a sandbox-only door: nothing in
// lib/** may use it. The acceptance test tests/integration/twin-wire.test.ts checks the SSH door itself.
// No 'server-only' and no vitest: the integration tests, Playwright fixtures, benches and scripts use it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { twinNamespaceName } from '../../sandbox/net/twin-plan';

const run = promisify(execFile);

export type TwinEtcdCluster = 'main' | 'events';

/** Client ports on the VM's loopback, as kube-up's etcd manifests set them. */
export const TWIN_ETCD_PORTS: Record<TwinEtcdCluster, number> = { main: 2379, events: 4002 };

/** PEM files for etcd main's mutual TLS; null for plain http (events always, main in the pre-1.16 layout). */
export type EtcdctlTlsFiles = { cacert: string; cert: string; key: string } | null;

/** Runs `fn` with the client PEMs written as etcdctl's files (0600, in a fresh directory removed afterwards). */
export async function withEtcdctlTlsFiles<T>(
  pems: { ca: string; cert: string; key: string },
  fn: (tls: NonNullable<EtcdctlTlsFiles>) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'quorum-etcdctl-'));
  try {
    const file = (name: string, body: string) => {
      const p = path.join(dir, name);
      writeFileSync(p, body, { mode: 0o600 });
      return p;
    };
    return await fn({
      cacert: file('ca.pem', pems.ca),
      cert: file('cert.pem', pems.cert),
      key: file('key.pem', pems.key),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One etcd of one VM of a sandbox: which namespace (net + instance name) and which cluster. */
export type TwinEtcdTarget = { net: number; instance: string; cluster: TwinEtcdCluster };

/** The VM's network namespace (sandbox/net/twin-plan.ts: the namespaced VM host keys VMs by instance name). */
export function twinVmNamespace(net: number, instance: string): string {
  return twinNamespaceName(net, instance);
}

/** The URL etcdctl dials inside the VM: events is plain http always, main with TLS exactly when TLS files are given. */
export function twinEtcdUrl(cluster: TwinEtcdCluster, tls: EtcdctlTlsFiles): string {
  const scheme = cluster === 'main' && tls ? 'https' : 'http';
  return `${scheme}://127.0.0.1:${TWIN_ETCD_PORTS[cluster]}`;
}

/**
 * `ip netns exec <vm> etcdctl --endpoints <url> [tls] <args>`; stdout. etcdctl verifies the server as
 * 127.0.0.1, which kube-up's etcd server certificate names. Rejects when etcdctl fails (etcd down, frozen,
 * or the VM's namespace gone).
 */
export async function etcdctlInVm(
  target: TwinEtcdTarget,
  tls: EtcdctlTlsFiles,
  args: readonly string[],
  timeoutMs = 20_000,
): Promise<string> {
  const withTls = target.cluster === 'main' ? tls : null;
  const { stdout } = await run(
    'ip',
    [
      'netns',
      'exec',
      twinVmNamespace(target.net, target.instance),
      'etcdctl',
      '--endpoints',
      twinEtcdUrl(target.cluster, withTls),
      ...(withTls ? ['--cacert', withTls.cacert, '--cert', withTls.cert, '--key', withTls.key] : []),
      '--dial-timeout',
      '3s',
      '--command-timeout',
      '5s',
      ...args,
    ],
    { env: { ...process.env, ETCDCTL_API: '3' }, timeout: timeoutMs },
  );
  return stdout;
}

/** etcdctl prints uint64 ids as JSON numbers; keep every long integer as its decimal string. */
export function parseEtcdctlJson(text: string): unknown {
  return JSON.parse(text.replace(/([:[,]\s*)(\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
}
