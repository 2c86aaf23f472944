// Contract between the Compute emulator (sandbox/compute) and the VM agent (sandbox/vm).

export type VmSpec = {
  project: string;
  zone: string;
  name: string;
  /** The instance's own address in 127.0.0.0/8; every process of the VM binds it. */
  internalIp: string;
  /** The instance's boot/data disk directory: etcd data lives under it, so it survives stop/start. */
  diskDir: string;
  /**
   * Base URL of the emulator's metadata server, e.g. http://127.0.0.1:8780/computeMetadata/v1.
   * The agent reads `instance/attributes/<key>` from it with `Metadata-Flavor: Google`, from a socket
   * bound to `internalIp` (the server tells instances apart by source address, as GCE's does).
   */
  metadataUrl: string;
};

export type VmProcessState = 'booting' | 'running' | 'stopped' | 'failed';

export interface VmHost {
  /** Start the VM's processes (idempotent). Resolves once they are launched, not necessarily ready. */
  boot(spec: VmSpec): Promise<void>;
  /** Stop the VM's processes, keeping its disk. Idempotent. */
  shutdown(name: string): Promise<void>;
  /** Stop everything (sandbox exit). */
  shutdownAll(): Promise<void>;
  state(name: string): VmProcessState;
}
