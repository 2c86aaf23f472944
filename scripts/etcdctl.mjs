// Runs the real etcdctl against a sandbox cluster's etcd the way an operator logged into a kube-up master
// would: on the master itself, against 127.0.0.1 (main :2379, events :4002), the only place kube-up's etcd
// listens. etcd events, and etcd main of a pre-1.16 cluster (no ETCD_APISERVER_* in kube-master-certs), are
// plain http; etcd main of a current cluster is mutual TLS with the ETCD_APISERVER_CA_CERT / CLIENT_CERT
// (gzip, then base64) and CLIENT_KEY (base64) from the master's metadata, verified as 127.0.0.1, which
// kube-up's etcd server certificate names.
//
// Sandbox tool: "on the master" is `ip netns exec <the VM's namespace> etcdctl ...` (needs root, as the
// sandbox does). The namespace is `qnet<SANDBOX_NET>-<8 hex of sha256(instance name)>` (sandbox/net/twin-plan.ts).
// On Compute Engine the same is `gcloud compute ssh <master> -- etcdctl ...` or `ssh -L` to port 22.
// Usage: [SANDBOX_PORT=8780 SANDBOX_NET=10] node scripts/etcdctl.mjs <master-name> [main|events] <etcdctl args...>
// The first RUNNING replica (by name) is asked; QUORUM_ETCDCTL_VM=<instance> picks another.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
const sandboxNet = Number(process.env.SANDBOX_NET ?? 10);
const project = process.env.QUORUM_PROJECT ?? 'sandbox-project';

const response = await fetch(`http://127.0.0.1:${port}/compute/v1/projects/${project}/aggregated/instances`);
if (!response.ok) throw new Error(`sandbox answered ${response.status}`);
const body = await response.json();
const replicas = Object.values(body.items ?? {})
  .flatMap((scope) => scope.instances ?? [])
  .filter((i) => new RegExp(`^${masterName}(-[a-z0-9]{3})?$`).test(i.name) && i.status === 'RUNNING')
  .sort((a, b) => a.name.localeCompare(b.name));
const wanted = process.env.QUORUM_ETCDCTL_VM;
const vm = wanted ? replicas.find((r) => r.name === wanted) : replicas[0];
if (!vm)
  throw new Error(wanted ? `${wanted} is no running replica of ${masterName}` : `no running replica of ${masterName}`);
const meta = Object.fromEntries((vm.metadata?.items ?? []).map((i) => [i.key, i.value]));
const certs = parse(meta['kube-master-certs'] ?? '') ?? {};
const clientPort = which === 'events' ? 4002 : 2379;
const tls = which === 'main' && Boolean(certs.ETCD_APISERVER_CA_CERT);
const ns = `qnet${sandboxNet}-${createHash('sha256').update(vm.name).digest('hex').slice(0, 8)}`;

const dir = mkdtempSync(path.join(tmpdir(), 'quorum-etcdctl-'));
let status = 1;
try {
  let args = ['--endpoints', `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`];
  if (tls) {
    const file = (name, bytes) => {
      const p = path.join(dir, name);
      writeFileSync(p, bytes, { mode: 0o600 });
      return p;
    };
    const gunzipped = (key) => gunzipSync(Buffer.from(certs[key], 'base64'));
    args = [
      ...args,
      '--cacert',
      file('ca.crt', gunzipped('ETCD_APISERVER_CA_CERT')),
      '--cert',
      file('client.crt', gunzipped('ETCD_APISERVER_CLIENT_CERT')),
      '--key',
      file('client.key', Buffer.from(certs.ETCD_APISERVER_CLIENT_KEY, 'base64')),
    ];
  }
  const child = spawn('ip', ['netns', 'exec', ns, 'etcdctl', ...args, ...rest], {
    stdio: 'inherit',
    env: { ...process.env, ETCDCTL_API: '3' },
  });
  status = await new Promise((resolve) => {
    child.on('error', (err) => {
      console.error(`cannot run ip netns exec ${ns} etcdctl: ${err.message}`);
      resolve(1);
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
