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

// --- Chaos (sandbox/chaos): failures injected into a VM's processes, never persisted ---------------

export type ChaosEtcdCluster = 'main' | 'events';

/** `killed`: the process died (SIGKILL) and stays dead until restored or the VM restarts. */
export type ChaosEtcdState = 'running' | 'killed' | 'absent';

export type VmChaosState = {
  state: VmProcessState;
  /** Its etcd processes are SIGSTOPped and its API server answers nothing. */
  frozen: boolean;
  etcd: Record<ChaosEtcdCluster, ChaosEtcdState>;
  /** Its sshd is up (false: stopped by chaos, or the VM is not running). */
  sshd: boolean;
};

export interface VmChaos {
  /** SIGKILL the VM's etcd of these clusters. Rejects when the VM runs no such process. */
  killEtcd(name: string, clusters: readonly ChaosEtcdCluster[]): Promise<void>;
  /** SIGSTOP both etcds and hold every API-server request. */
  freeze(name: string): Promise<void>;
  /** SIGCONT and release the API server. */
  thaw(name: string): Promise<void>;
  /** Thaw, and start again every etcd that was killed (on its data dir, as a reboot would). */
  restore(name: string): Promise<void>;
  describe(name: string): VmChaosState;
  /** Stops the VM's sshd (open sessions end too) or starts it again; the rest of the VM keeps running. */
  setSshd(name: string, running: boolean): Promise<void>;
  /** sshd comes back with new host keys (a reimaged VM, or a man in the middle, as a client sees it). */
  replaceHostKeys(name: string): Promise<void>;
  /**
   * What the node lifecycle controller of a surviving master does when a zone's kubelets stop posting
   * status: sets the Ready condition of the zone's Nodes to Unknown (or back to True), through a running,
   * unfrozen replica outside the zone of each cluster. Resolves to the number of Nodes changed.
   */
  setZoneNodesReady(zone: string, ready: boolean): Promise<number>;
}

/** What the in-VM agent (sandbox/vm/agent.ts) controls: everything but sshd, which vm-main runs beside it. */
export type AgentChaos = Omit<VmChaos, 'setSshd' | 'replaceHostKeys' | 'describe'> & {
  describe(name: string): Omit<VmChaosState, 'sshd'>;
};
