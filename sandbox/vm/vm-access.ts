// How one gets into a sandbox VM, as into a Compute Engine VM: a real OpenSSH sshd on :22 and the
// guest-agent stand-in that turns `ssh-keys` metadata into logins. Wired to sandbox/vm/sshd.ts and
// sandbox/vm/guest-agent.ts.
import type { VmSpec } from './types';

export type VmAccess = { stop(): Promise<void> };

export async function startVmAccess(opts: { spec: VmSpec; vmRoot: string; log: (msg: string) => void }): Promise<VmAccess> {
  opts.log('access: sshd and guest agent not wired yet');
  return { stop: async () => undefined };
}
