// Runs the real etcdctl against a sandbox cluster's etcd with the client certificates taken from the
// instance metadata, exactly as an operator would with certs copied off a master.
// Usage: node scripts/etcdctl.mjs <master-name> [main|events] <etcdctl args...>
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

const [masterName, ...rest] = process.argv.slice(2);
if (!masterName) {
  console.error('usage: node scripts/etcdctl.mjs <master-name> [main|events] <etcdctl args...>');
  process.exit(2);
}
const which = rest[0] === 'events' || rest[0] === 'main' ? rest.shift() : 'main';
const port = process.env.SANDBOX_PORT ?? '8780';
const project = process.env.QUORUM_PROJECT ?? 'sandbox-project';

const response = await fetch(`http://127.0.0.1:${port}/compute/v1/projects/${project}/aggregated/instances`);
if (!response.ok) throw new Error(`sandbox answered ${response.status}`);
const body = await response.json();
const replicas = Object.values(body.items ?? {})
  .flatMap((scope) => scope.instances ?? [])
  .filter((i) => new RegExp(`^${masterName}(-[a-z0-9]{3})?$`).test(i.name) && i.status === 'RUNNING');
if (replicas.length === 0) throw new Error(`no running replica of ${masterName}`);
const meta = Object.fromEntries((replicas[0].metadata?.items ?? []).map((i) => [i.key, i.value]));
const certs = parse(meta['kube-master-certs'] ?? '');
const dir = mkdtempSync(path.join(tmpdir(), 'quorum-etcdctl-'));
const file = (name, b64) => {
  const p = path.join(dir, name);
  writeFileSync(p, Buffer.from(b64, 'base64'), { mode: 0o600 });
  return p;
};
const clientPort = which === 'events' ? 4002 : 2379;
const endpoints = replicas.map((r) => `https://${r.networkInterfaces[0].networkIP}:${clientPort}`).join(',');
const result = spawnSync(
  'etcdctl',
  ['--endpoints', endpoints, '--cacert', file('ca.crt', certs.ETCD_APISERVER_CA_CERT), '--cert', file('client.crt', certs.ETCD_APISERVER_CLIENT_CERT), '--key', file('client.key', certs.ETCD_APISERVER_CLIENT_KEY), ...rest],
  { stdio: 'inherit', env: { ...process.env, ETCDCTL_API: '3' } },
);
rmSync(dir, { recursive: true, force: true });
process.exit(result.status ?? 1);
