import type { ChaosInstance, ChaosReplicaAction, ChaosState } from '@/lib/core/chaos';

/** An instance the chaos controls act on. */
export type ChaosTarget = { project: string; zone: string; name: string };

/**
 * The sandbox cloud's chaos controls (sandbox mode only). Rejects with a ProviderError: `NotFound` (no such
 * instance or zone), `Conflict` (not in a state the action applies to, e.g. killing etcd on a stopped VM, or
 * restoring a replica whose zone is down), `InvalidArgument`, `ProviderUnavailable` (the sandbox does not answer).
 */
export interface SandboxChaosPort {
  state(): Promise<ChaosState>;
  actOnReplica(target: ChaosTarget, action: ChaosReplicaAction): Promise<ChaosInstance>;
  setZoneDown(zone: string, down: boolean): Promise<ChaosState>;
}
