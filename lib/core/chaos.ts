// Chaos controls of the sandbox cloud (sandbox mode only): what the dashboard can do to a replica or a zone
// to rehearse a failure, and what the sandbox reports about it. Types only; the sandbox is reached over HTTP.

export const CHAOS_ETCD_TARGETS = ['main', 'events', 'both'] as const;
export type ChaosEtcdTarget = (typeof CHAOS_ETCD_TARGETS)[number];

export const CHAOS_REPLICA_ACTIONS = ['stop-vm', 'kill-etcd', 'freeze', 'unfreeze', 'restore'] as const;
export type ChaosReplicaActionKind = (typeof CHAOS_REPLICA_ACTIONS)[number];

export type ChaosReplicaAction =
  | { kind: 'stop-vm' }
  | { kind: 'kill-etcd'; etcd: ChaosEtcdTarget }
  | { kind: 'freeze' }
  | { kind: 'unfreeze' }
  /** Start the VM if it is stopped; else thaw it and start its killed etcds again. */
  | { kind: 'restore' };

export type ChaosEtcdProcess = 'running' | 'killed' | 'absent';

/** One instance as the sandbox's chaos controls see it. */
export type ChaosInstance = {
  project: string;
  zone: string;
  name: string;
  /** Compute's status (RUNNING, STOPPING, TERMINATED...). */
  status: string;
  /** The VM agent's state: booting, running, failed (an etcd died), stopped. */
  vmState: 'booting' | 'running' | 'stopped' | 'failed';
  frozen: boolean;
  zoneDown: boolean;
  etcd: { main: ChaosEtcdProcess; events: ChaosEtcdProcess };
  /** Whether the VM's sshd runs (false after the sandbox's stop-sshd: nobody gets in, etcd keeps running). */
  sshd: boolean;
};

export type ChaosState = { zonesDown: string[]; instances: ChaosInstance[] };

/** A fault injected into an instance, as the panel shows it (`topology.chaos.faults.<kind>`). */
export type InjectedFault =
  | { kind: 'zoneDown' }
  | { kind: 'vm'; status: string }
  | { kind: 'etcdKilled'; etcd: 'main' | 'events' | 'both' }
  | { kind: 'frozen' }
  | { kind: 'sshdStopped' };

/** An instance's injected faults, e.g. etcd main killed and frozen; [] when none. */
export function injectedFaults(i: ChaosInstance): InjectedFault[] {
  const out: InjectedFault[] = [];
  if (i.zoneDown) out.push({ kind: 'zoneDown' });
  if (i.status !== 'RUNNING') out.push({ kind: 'vm', status: i.status });
  const killed = (['main', 'events'] as const).filter((c) => i.etcd[c] === 'killed');
  if (killed.length > 0) out.push({ kind: 'etcdKilled', etcd: killed.length === 2 ? 'both' : (killed[0] ?? 'main') });
  if (i.frozen && !i.zoneDown) out.push({ kind: 'frozen' });
  if (!i.sshd && i.status === 'RUNNING') out.push({ kind: 'sshdStopped' });
  return out;
}
