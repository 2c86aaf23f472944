// A VM host that boots nothing, for tests of the Compute emulator's API alone: an instance's guest is "running"
// from its boot to its shutdown, and nothing runs in it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeGceClients, createGceClients, GceCompute, type GceClients } from '@/lib/adapters/gce/gce-compute';
import { startEmulator, type Emulator } from '@/sandbox/compute/emulator';
import type { VmHost, VmProcessState } from '@/sandbox/vm/types';

export class IdleVmHost implements VmHost {
  private readonly states = new Map<string, VmProcessState>();
  async boot(spec: { name: string }): Promise<void> {
    this.states.set(spec.name, 'running');
  }
  async shutdown(name: string): Promise<void> {
    this.states.set(name, 'stopped');
  }
  async shutdownAll(): Promise<void> {
    this.states.clear();
  }
  state(name: string): VmProcessState {
    return this.states.get(name) ?? 'stopped';
  }
}

/**
 * The Compute emulator on an IdleVmHost in a data dir of its own, with Google's clients and the GceCompute
 * adapter pointed at it: the setup of the adapter's emulator-backed unit tests. `close` undoes all of it.
 */
export async function idleComputeEmulator(
  net: number,
  opts: { opDelayMs?: number; prefix?: string } = {},
): Promise<{
  emulator: Emulator;
  clients: GceClients;
  compute: GceCompute;
  close: () => Promise<void>;
}> {
  const dataDir = mkdtempSync(path.join(tmpdir(), opts.prefix ?? 'quorum-idle-emulator-'));
  const emulator = await startEmulator({
    dataDir,
    port: 0,
    net,
    opDelayMs: opts.opDelayMs ?? 20,
    bootDelayMs: 0,
    lbDelayMs: 0,
    waitTimeoutMs: 5_000,
    vmHost: new IdleVmHost(),
    log: () => {},
  });
  const clients = createGceClients({ kind: 'sandbox', port: emulator.port });
  return {
    emulator,
    clients,
    compute: new GceCompute(clients, 5_000),
    close: async () => {
      await closeGceClients(clients);
      await emulator.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
