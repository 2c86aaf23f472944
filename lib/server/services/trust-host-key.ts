import 'server-only';
import { fail, ok, type DomainErrorCode, type Result } from '@/lib/core/errors';
import { clusterId, isReplicaName, regionOfZone, type ClusterRef } from '@/lib/core/topology';
import { isReachError } from '@/lib/ports/reach';
import { container, reachTargetOf, type Container } from '@/lib/server/container';

/** What the admin was shown on the page: the replica and both fingerprints of its changed host key. */
export type HostKeySeen = { replica: string; zone: string; pinnedFingerprint: string; presentedFingerprint: string };

/**
 * An admin trusts a replica's changed SSH host key. The key is read from the replica now and pinned only when
 * its fingerprint is the one the admin saw and the pin is still the one the admin saw replaced (no trust
 * given to a key nobody looked at). Every attempt, trusted or not, leaves an audit entry.
 */
export async function trustHostKey(
  ref: ClusterRef,
  seen: HostKeySeen,
  actor: string,
  source: string | null,
  c: Container = container(),
): Promise<Result<{ replica: string; fingerprint: string }>> {
  const detail = {
    replica: seen.replica,
    zone: seen.zone,
    pinnedFingerprint: seen.pinnedFingerprint,
    presentedFingerprint: seen.presentedFingerprint,
  };
  const audit = (outcome: 'succeeded' | 'refused' | 'failed', extra: Record<string, string | null> = {}) =>
    c.store.addAudit({
      actor,
      source,
      action: 'ssh.trust-host-key',
      clusterId: clusterId(ref),
      operationId: null,
      outcome,
      detail: { ...detail, ...extra },
    });
  const refuse = async <T>(
    code: DomainErrorCode,
    message: string,
    extra: Record<string, string | null> = {},
  ): Promise<Result<T>> => {
    await audit('refused', { code, message, ...extra });
    return fail(code, message);
  };

  if (regionOfZone(seen.zone) !== ref.region)
    return refuse(
      'ZoneOutsideRegion',
      `Zone ${seen.zone} is not in ${ref.region}, the region of ${ref.masterName}; nothing was trusted.`,
    );
  if (!isReplicaName(ref.masterName, seen.replica))
    return refuse('NotFound', `${seen.replica} is not a replica of ${ref.masterName}; nothing was trusted.`);
  const instance = await c.compute.getInstance(ref.project, seen.zone, seen.replica);
  if (instance === null)
    return refuse('NotFound', `${seen.replica} does not exist in ${seen.zone}; nothing was trusted.`);

  let outcome;
  try {
    outcome = await c.reach.trustPresentedHostKey(reachTargetOf({ ...instance, project: ref.project }), {
      pinnedFingerprint: seen.pinnedFingerprint,
      presentedFingerprint: seen.presentedFingerprint,
    });
  } catch (error) {
    if (!isReachError(error)) {
      await audit('failed', { error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
    return refuse(
      'NoAccess',
      `Quorum could not read the host key ${seen.replica} presents (${error.message}); nothing was trusted.`,
    );
  }
  if (!outcome.ok) {
    const message =
      outcome.reason === 'PresentedKeyDiffers'
        ? `${seen.replica} now presents ${outcome.presentedFingerprint ?? 'no host key of the pinned type'}, not ${seen.presentedFingerprint} that you were shown; nothing was trusted. Check the key on the VM again.`
        : `The host key pinned for ${seen.replica} is ${outcome.pinnedFingerprint ?? 'none'} by now, not ${seen.pinnedFingerprint} that you were shown (someone changed it meanwhile); nothing was trusted.`;
    return refuse('HostKeyMismatch', message, {
      reason: outcome.reason,
      nowPresented: outcome.presentedFingerprint,
      nowPinned: outcome.pinnedFingerprint,
    });
  }
  await audit('succeeded', { instanceId: instance.id });
  return ok({ replica: seen.replica, fingerprint: outcome.fingerprint });
}
