// One sandbox VM as a process of its own. The namespaced VM host starts it inside the VM's network
// namespace and a PID namespace of its own (`ip netns exec <ns> unshare --pid --fork --kill-child
// --mount-proc node vm-main.ts`), so that, as on a kube-up master, etcd listens on the VM's own
// 127.0.0.1, the API server on every address of the VM, and sshd on :22. It also plays the metadata
// server's address 169.254.169.254 (a TCP proxy to the sandbox's metadata listener on the bridge:
// the caller is still told apart by its internal IP, which is the proxy's source address), and its DNS
// there (metadata-dns.ts: instance names, answered from the VM's hosts file as it is at each query).
//
// It obeys the sandbox over the IPC channel. When that channel closes (the sandbox died, however it
// died) it exits at once; it is PID 1 of its PID namespace, so the kernel ends etcd and sshd with it.
import { execFileSync } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import type dgram from 'node:dgram';
import { createVmHost } from './agent';
import path from 'node:path';
import { startVmSshAccess, type VmSshAccess } from './guest-agent';
import { startMetadataDns } from './metadata-dns';
import { vmRequestSchema, type VmBoot, type VmMessage, type VmRequest } from './vm-protocol';

const METADATA_IP = '169.254.169.254';

const send = (message: VmMessage) => {
  if (process.connected) process.send?.(message);
};
const log = (msg: string) => console.log(msg);

if (!process.send) {
  console.error('vm-main: must be started by the sandbox with an IPC channel');
  process.exit(2);
}

const host = createVmHost({ log });
let name: string | undefined;
let bootSpec: VmBoot['spec'] | undefined;
let proxy: net.Server | undefined;
let dns: dgram.Socket | undefined;
let access: VmSshAccess | undefined;
let lastState = '';

function pushState(): void {
  if (name === undefined) return;
  const chaos = host.describe(name);
  const masterName = host.masterOf(name);
  const sshd = access?.sshdRunning() ?? false;
  const text = JSON.stringify([chaos, masterName, sshd]);
  if (text === lastState) return;
  lastState = text;
  send({ type: 'state', chaos: { ...chaos, sshd }, ...(masterName !== undefined ? { masterName } : {}) });
}
const stateTimer = setInterval(pushState, 100);

function startMetadataProxy(upstream: VmBoot['metadataUpstream']): Promise<net.Server> {
  const server = net.createServer((client) => {
    const up = net.connect({ host: upstream.host, port: upstream.port });
    client.pipe(up).pipe(client);
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', end);
    up.on('error', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(80, METADATA_IP, () => resolve(server));
  });
}

async function handle(request: VmRequest): Promise<unknown> {
  switch (request.op) {
    case 'boot': {
      const { spec } = request.boot;
      name = spec.name;
      bootSpec = spec;
      // GCE sets the guest's hostname to the instance name (its own UTS namespace here).
      execFileSync('hostname', [spec.name]);
      proxy ??= await startMetadataProxy(request.boot.metadataUpstream);
      // `ip netns exec` bind-mounts the VM's own hosts file (/etc/netns/<ns>/hosts) on /etc/hosts.
      dns ??= await startMetadataDns({
        host: METADATA_IP,
        hostsFile: '/etc/hosts',
        log: (msg) => log(`${spec.name}: ${msg}`),
      });
      // sshd and the guest agent come up whatever configure-helper later makes of the metadata, as on a real VM.
      access ??= await startVmSshAccess({
        diskDir: spec.diskDir,
        homeRoot: path.join(request.boot.vmRoot, 'home'),
        metadataUrl: spec.metadataUrl,
        log: (msg) => log(`${spec.name}: ${msg}`),
      });
      await host.boot(spec);
      return undefined;
    }
    case 'shutdown':
      if (name !== undefined) await host.shutdown(name);
      await access?.stop();
      access = undefined;
      return undefined;
    case 'killEtcd':
      return host.killEtcd(requireName(), request.clusters);
    case 'freeze':
      return host.freeze(requireName());
    case 'thaw':
      return host.thaw(requireName());
    case 'restore':
      return host.restore(requireName());
    case 'setZoneNodesReady':
      return host.setZoneNodesReady(request.zone, request.ready);
    case 'stopSshd':
      return requireAccess().stopSshd();
    case 'startSshd':
      return requireAccess().startSshd();
    case 'replaceHostKeys': {
      // What a reimaged VM or a man in the middle looks like from outside: sshd answers with new host keys.
      const vmAccess = requireAccess();
      await vmAccess.stopSshd();
      const dir = path.join(requireSpec().diskDir, 'ssh');
      for (const file of await readdir(dir))
        if (file.startsWith('ssh_host_')) await rm(path.join(dir, file), { force: true });
      await vmAccess.startSshd();
      log(`${requireName()}: sshd has new host keys (chaos)`);
      return undefined;
    }
  }
}

function requireAccess(): VmSshAccess {
  if (access === undefined) throw new Error('the VM has not booted');
  return access;
}

function requireSpec(): VmBoot['spec'] {
  if (bootSpec === undefined) throw new Error('the VM has not booted');
  return bootSpec;
}

function requireName(): string {
  if (name === undefined) throw new Error('the VM has not booted');
  return name;
}

process.on('message', (raw: unknown) => {
  const parsed = vmRequestSchema.safeParse(raw);
  if (!parsed.success) {
    log(`vm-main: ignoring a malformed request: ${parsed.error.message}`);
    return;
  }
  const request = parsed.data;
  handle(request).then(
    (result) => {
      pushState();
      send({ type: 'reply', id: request.id, ok: true, result });
    },
    (err: unknown) => {
      pushState();
      const error =
        err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
      send({ type: 'reply', id: request.id, ok: false, error });
    },
  );
});

let exiting = false;
async function exitVm(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  clearInterval(stateTimer);
  // A hung stop must not keep the VM alive; exiting ends the PID namespace and every process in it.
  setTimeout(() => process.exit(code), 10_000).unref();
  if (name !== undefined) await host.shutdown(name).catch(() => undefined);
  await access?.stop().catch(() => undefined);
  proxy?.close();
  dns?.close();
  process.exit(code);
}

// The sandbox went away (however it died): nothing of the VM may outlive it.
process.on('disconnect', () => void exitVm(0));
process.on('SIGTERM', () => void exitVm(0));
process.on('SIGINT', () => void exitVm(0));
