import 'server-only';
import type { ComputePort, MetadataItem } from '@/lib/ports/compute';
import { isProviderError } from '@/lib/ports/provider-error';
import { reachWhyText } from '@/lib/core/reach-why';
import { ReachError, reachTargetLabel, type ReachTarget } from '@/lib/ports/reach';
import { osLoginEnabled, planQuorumKey, type SshPublicKey } from './ssh-keys';

// Publishes Quorum's key in an instance's `ssh-keys` metadata as `gcloud compute ssh` does (instance level,
// Google's form with expireOn), so the guest agent lets Quorum's user in. Project-wide keys are never
// touched: an instance-level key counts even with block-project-ssh-keys.

export type KeyPublisherCompute = Pick<ComputePort, 'getInstance' | 'setInstanceMetadata' | 'getProjectMetadata'>;

export type KeyPublisherOptions = {
  compute: KeyPublisherCompute;
  user: string;
  key: SshPublicKey;
  /** How long a published key is valid (expireOn = now + ttl). */
  ttlMs: number;
  /** A key valid for less than this is renewed. */
  renewBeforeMs: number;
  /**
   * A key published less than this ago is trusted to still be there without reading the metadata again; after
   * it, the next ensure reads it (and puts the key back if someone removed it).
   */
  recheckMs: number;
  /** setMetadata attempts when another writer changes the metadata in between (412 conditionNotMet). */
  maxAttempts?: number;
  now?: () => number;
};

export type Publication = { wrote: boolean; expireOn: Date | null };

type Known = { expireOn: number; checkedAt: number };

export class KeyPublisher {
  private readonly known = new Map<string, Known>();
  private readonly inFlight = new Map<string, Promise<Publication>>();
  private readonly now: () => number;

  constructor(private readonly opts: KeyPublisherOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * Makes sure the instance's metadata lets Quorum's user in with Quorum's key for at least `renewBeforeMs`
   * more. Resolves whether it wrote the metadata now (the guest agent then needs a moment to take it up).
   * Rejects with ReachError OsLoginUnsupported or KeyNotPublished.
   */
  ensure(target: ReachTarget): Promise<Publication> {
    const known = this.known.get(target.instanceId);
    const now = this.now();
    if (known && known.expireOn - now > this.opts.renewBeforeMs && now - known.checkedAt < this.opts.recheckMs) {
      return Promise.resolve({ wrote: false, expireOn: new Date(known.expireOn) });
    }
    const running = this.inFlight.get(target.instanceId);
    if (running) return running;
    const work = this.publish(target).finally(() => this.inFlight.delete(target.instanceId));
    this.inFlight.set(target.instanceId, work);
    return work;
  }

  /** Forget what was published, so the next ensure reads the metadata (after a refused login). */
  invalidate(target: Pick<ReachTarget, 'instanceId'>): void {
    this.known.delete(target.instanceId);
  }

  private async publish(target: ReachTarget): Promise<Publication> {
    const label = reachTargetLabel(target);
    const attempts = this.opts.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      let instance;
      let project;
      try {
        [instance, project] = await Promise.all([
          this.opts.compute.getInstance(target.project, target.zone, target.instance),
          this.opts.compute.getProjectMetadata(target.project),
        ]);
      } catch (e) {
        throw new ReachError('KeyNotPublished', label, reachWhyText('metadataUnread', { error: messageOf(e) }), {
          cause: e,
        });
      }
      if (instance === null) throw new ReachError('KeyNotPublished', label, reachWhyText('instanceGone'));
      if (osLoginEnabled(instance.metadata, project?.items ?? null)) {
        throw new ReachError('OsLoginUnsupported', label, reachWhyText('osLogin'));
      }
      const plan = planQuorumKey(instance.metadata['ssh-keys'], {
        user: this.opts.user,
        key: this.opts.key,
        now: new Date(this.now()),
        ttlMs: this.opts.ttlMs,
        renewBeforeMs: this.opts.renewBeforeMs,
      });
      if (!plan.write) {
        this.remember(target, plan.expireOn);
        return { wrote: false, expireOn: plan.expireOn };
      }
      if (instance.metadataFingerprint === null) {
        throw new ReachError('KeyNotPublished', label, reachWhyText('noFingerprint'));
      }
      // Every other item is written back as read; only ssh-keys changes (added at the end when absent).
      const items: MetadataItem[] = Object.entries(instance.metadata).map(([key, value]) => ({
        key,
        value: key === 'ssh-keys' ? plan.value : value,
      }));
      if (!('ssh-keys' in instance.metadata)) items.push({ key: 'ssh-keys', value: plan.value });
      try {
        await this.opts.compute.setInstanceMetadata(
          target.project,
          target.zone,
          target.instance,
          items,
          instance.metadataFingerprint,
        );
      } catch (e) {
        const stale = isProviderError(e) && (e.httpStatus === 412 || e.reason === 'conditionNotMet');
        if (stale && attempt < attempts) {
          // Someone else wrote the metadata since it was read: read it again and redo the change on top.
          await sleep(50 * attempt + Math.floor(Math.random() * 50));
          continue;
        }
        throw new ReachError('KeyNotPublished', label, reachWhyText('keyNotPublished', { error: messageOf(e) }), {
          cause: e,
        });
      }
      this.remember(target, plan.expireOn);
      return { wrote: true, expireOn: plan.expireOn };
    }
  }

  private remember(target: ReachTarget, expireOn: Date | null): void {
    this.known.set(target.instanceId, {
      expireOn: expireOn === null ? Number.POSITIVE_INFINITY : expireOn.getTime(),
      checkedAt: this.now(),
    });
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
