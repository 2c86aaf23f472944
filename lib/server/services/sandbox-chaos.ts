import 'server-only';
import type { ChaosReplicaAction, ChaosState } from '@/lib/core/chaos';
import { fail, ok, type DomainErrorCode, type Result } from '@/lib/core/errors';
import { clusterId, isReplicaName, regionOfZone, type ClusterRef } from '@/lib/core/topology';
import { isProviderError } from '@/lib/ports/provider-error';
import type { SandboxChaosPort } from '@/lib/ports/sandbox-chaos';
import { container, type Container } from '@/lib/server/container';
import { describeError } from '@/lib/server/describe-error';

export type ChaosCommand =
  | { scope: 'replica'; name: string; zone: string; action: ChaosReplicaAction }
  | { scope: 'zone'; zone: string; down: boolean };

const NOT_SANDBOX = 'Chaos controls exist only in the sandbox cloud (QUORUM_PROVIDER=sandbox); nothing was changed.';

function chaosPort(c: Container): Result<SandboxChaosPort> {
  return c.chaos ? ok(c.chaos) : fail('Unsupported', NOT_SANDBOX);
}

/** The sandbox's injected faults, for the panel. */
export async function readChaosState(c: Container = container()): Promise<Result<ChaosState>> {
  const port = chaosPort(c);
  if (!port.ok) return port;
  return ok(await port.data.state());
}

/**
 * Applies one chaos control to a replica or zone of `ref` and returns the sandbox's state after it. Only the
 * cluster's own replicas and the zones of its region are accepted: the panel of one cluster must not reach
 * into another's.
 */
export async function applyChaos(
  ref: ClusterRef,
  command: ChaosCommand,
  c: Container = container(),
  actor = 'local-operator',
  source: string | null = null,
): Promise<Result<ChaosState>> {
  // Injected faults are mutations like any other: each attempt, done or refused, leaves an audit entry.
  const action =
    command.scope === 'replica' ? `chaos.${command.action.kind}` : `chaos.zone-${command.down ? 'down' : 'up'}`;
  const target: Record<string, string> =
    command.scope === 'replica'
      ? {
          zone: command.zone,
          name: command.name,
          ...(command.action.kind === 'kill-etcd' ? { etcd: command.action.etcd } : {}),
        }
      : { zone: command.zone };
  const audit = (outcome: 'succeeded' | 'refused' | 'failed', detail: Record<string, string> = {}) =>
    c.store.addAudit({
      actor,
      source,
      action,
      clusterId: clusterId(ref),
      operationId: null,
      outcome,
      detail: { ...target, ...detail },
    });
  const refuse = async (code: DomainErrorCode, message: string): Promise<Result<ChaosState>> => {
    await audit('refused', { code, message });
    return fail(code, message);
  };
  const port = chaosPort(c);
  if (!port.ok) return refuse(port.code, port.message);
  const chaos = port.data;
  if (regionOfZone(command.zone) !== ref.region) {
    return refuse(
      'ZoneOutsideRegion',
      `Zone ${command.zone} is not in ${ref.region}, the region of ${ref.masterName}; nothing was changed.`,
    );
  }
  if (command.scope === 'replica' && !isReplicaName(ref.masterName, command.name)) {
    return refuse('NotFound', `${command.name} is not a replica of ${ref.masterName}; nothing was changed.`);
  }
  try {
    if (command.scope === 'replica')
      await chaos.actOnReplica({ project: ref.project, zone: command.zone, name: command.name }, command.action);
    else await chaos.setZoneDown(command.zone, command.down);
  } catch (error) {
    // The sandbox refusing (a stopped VM has no etcd to kill, a zone that is down cannot be restored piecemeal) is an answer, not a bug.
    if (isProviderError(error) && error.code === 'Conflict') return refuse('InvalidInput', describeError(error));
    await audit('failed', { error: describeError(error) });
    throw error;
  } finally {
    // A stopped VM or a zone down is a Compute state change: live views read Compute again at once (a zone
    // holds every project's VMs).
    for (const project of new Set([ref.project, ...c.projects])) c.computeSnapshots.invalidate(project);
  }
  await audit('succeeded');
  return ok(await chaos.state());
}
