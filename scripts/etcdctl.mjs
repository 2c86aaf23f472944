// Runs the real etcdctl against a sandbox cluster's etcd the way an operator would with what a kube-up
// master's metadata holds: etcd events, and etcd main of a pre-1.16 cluster (no ETCD_APISERVER_* in
// kube-master-certs), are plain http; etcd main of a current cluster is mutual TLS with the
// ETCD_APISERVER_CA_CERT / CLIENT_CERT (gzip, then base64) and CLIENT_KEY (base64). kube-up's etcd server
// certificate names `etcd-<instance>` and 127.0.0.1, never the VM's address, and etcdctl has no server-name
// flag, so main is reached through a local TCP forward and verified as 127.0.0.1 (as through `ssh -L`).
// Usage: node scripts/etcdctl.mjs <master-name> [main|events] <etcdctl args...>
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
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
const certs = parse(meta['kube-master-certs'] ?? '') ?? {};
const clientPort = which === 'events' ? 4002 : 2379;
const addresses = replicas.map((r) => [r.networkInterfaces[0].networkIP, clientPort]);
const tls = which === 'main' && Boolean(certs.ETCD_APISERVER_CA_CERT);

/** Forwards 127.0.0.1:<free port> to host:port while etcdctl runs. */
async function forward(host, to) {
  const server = net.createServer((inbound) => {
    const outbound = net.connect(to, host);
    const end = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', end);
    outbound.on('error', end);
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const dir = mkdtempSync(path.join(tmpdir(), 'quorum-etcdctl-'));
const servers = [];
let status = 1;
try {
  let args;
  if (tls) {
    const file = (name, bytes) => {
      const p = path.join(dir, name);
      writeFileSync(p, bytes, { mode: 0o600 });
      return p;
    };
    const gunzipped = (key) => gunzipSync(Buffer.from(certs[key], 'base64'));
    for (const [host, to] of addresses) servers.push(await forward(host, to));
    const endpoints = servers.map((s) => `https://127.0.0.1:${s.address().port}`).join(',');
    args = [
      '--endpoints', endpoints,
      '--cacert', file('ca.crt', gunzipped('ETCD_APISERVER_CA_CERT')),
      '--cert', file('client.crt', gunzipped('ETCD_APISERVER_CLIENT_CERT')),
      '--key', file('client.key', Buffer.from(certs.ETCD_APISERVER_CLIENT_KEY, 'base64')),
    ];
  } else {
    args = ['--endpoints', addresses.map(([host, to]) => `http://${host}:${to}`).join(',')];
  }
  const child = spawn('etcdctl', [...args, ...rest], { stdio: 'inherit', env: { ...process.env, ETCDCTL_API: '3' } });
  status = await new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
} finally {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
